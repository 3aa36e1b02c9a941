/* The province page: every county the viewer may read, with its size and latest runs, and any
   indicator compared across the counties (per capita where the indicator says so). */
countypay.start(async (main) => {
  const cp = countypay;
  const { t, h } = cp;
  main.append(h('h1', null, t('province.title')), h('p', { class: 'sub' }, t('province.sub')));

  let d;
  try {
    d = await cp.gql(`{
      counties(first: 1000) { nodes { code nameZh nameEn population province { code nameZh nameEn }
        communities { code } units(first: 0) { totalCount } institutions(first: 0) { totalCount } } }
      policies { code nameZh nameEn components { code nameZh nameEn } indicators { code } }
      indicators(first: 1000) { nodes { code nameZh nameEn unit perCapita direction periodKind } } }`);
  } catch (e) {
    if (e.code !== 'UNAUTHENTICATED') throw e;
    d = null;  // signed out: the API asks for a token before it shows any county
  }
  const counties = d ? d.counties.nodes : [];
  const components = new Map();
  if (d) d.policies.forEach((p) => p.components.forEach((c) => components.set(p.code + '.' + c.code, c)));

  if (!counties.length) {
    main.append(cp.notice(t('province.none')), h('p', null, h('a', { href: '/signin' }, t('sign_in'))));
    return;
  }

  // The latest run of each component of each county, newest first (a request per 25 counties:
  // the API refuses more than 30 aliases in one query).
  const runs = new Map();
  for (let i = 0; i < counties.length; i += 25) {
    const batch = counties.slice(i, i + 25);
    const vars = {};
    const fields = batch.map((c, j) => {
      vars['c' + j] = c.code;
      return `r${j}: settlements(county: $c${j}, first: 100) { nodes { id policy component period status } }`;
    });
    const q = `query(${batch.map((c, j) => '$c' + j + ': String').join(', ')}) { ${fields.join(' ')} }`;
    const got = await cp.gql(q, vars);
    batch.forEach((c, j) => {
      const seen = new Set();
      runs.set(c.code, got['r' + j].nodes.filter((r) => {
        const key = r.policy + '.' + r.component;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      }));
    });
  }

  const countyList = h('section', null, h('h2', null, t('province.counties')));
  main.append(countyList);
  countyList.append(cp.table([
    { label: t('county'), value: (c) => h('a', { href: '/counties/' + encodeURIComponent(c.code) }, cp.name(c)), sort: (c) => cp.name(c) },
    { label: t('province'), value: (c) => cp.name(c.province), sort: (c) => cp.name(c.province) },
    { label: t('population'), num: true, value: (c) => cp.grouped(c.population === null ? null : String(c.population)), sort: (c) => c.population },
    { label: t('communities'), num: true, value: (c) => String(c.communities.length), sort: (c) => c.communities.length },
    { label: t('units'), num: true, value: (c) => cp.grouped(String(c.units.totalCount)), sort: (c) => c.units.totalCount },
    { label: t('institutions'), num: true, value: (c) => cp.grouped(String(c.institutions.totalCount)), sort: (c) => c.institutions.totalCount },
    { label: t('province.latest_runs'), wrap: true, value: (c) => {
      const mine = runs.get(c.code) || [];
      if (!mine.length) return h('span', { class: 'muted' }, t('runs.none'));
      return h('div', { class: 'runs' }, mine.map((r) => h('span', null,
        h('a', { href: '/settlements/' + r.id }, cp.name(components.get(r.policy + '.' + r.component)) || r.component),
        ' ', r.period, ' ', cp.badge(r.status))));
    } },
  ], counties, { sortable: true, scroll: false, class: 'counties' }));

  // ---- compare one indicator across the counties

  const periods = [...runs.values()].flat().map((r) => r.period).sort();
  const shared = new Map();
  d.policies.forEach((p) => p.indicators.forEach((i) => shared.set(i.code, (shared.get(i.code) || 0) + 1)));
  const indicators = d.indicators.nodes;
  const byCode = new Map(indicators.map((i) => [i.code, i]));
  const url = new URL(location.href);
  // By default the yearly indicator that most policies read: the likeliest to be held by several counties.
  const most = indicators.slice().sort((a, b) => (b.periodKind === 'year') - (a.periodKind === 'year')
    || (shared.get(b.code) || 0) - (shared.get(a.code) || 0))[0];
  let chosen = url.searchParams.get('indicator') || localStorage.getItem('countypay.indicator') || (most && most.code);
  if (!byCode.has(chosen)) chosen = most && most.code;
  const period = url.searchParams.get('period') || periods[periods.length - 1] || String(new Date().getFullYear() - 1);

  const select = h('select', { name: 'indicator' });
  const grouped = new Set();
  for (const p of d.policies) {
    const mine = p.indicators.map((i) => byCode.get(i.code)).filter(Boolean);
    if (!mine.length) continue;
    select.append(h('optgroup', { label: cp.name(p) }, mine.map((i) => {
      grouped.add(i.code);
      return h('option', { value: i.code, selected: i.code === chosen }, cp.name(i) + ' (' + i.code + ')');
    })));
  }
  const rest = indicators.filter((i) => !grouped.has(i.code));
  if (rest.length) {
    select.append(h('optgroup', { label: t('province.other_indicators') },
      rest.map((i) => h('option', { value: i.code, selected: i.code === chosen }, cp.name(i) + ' (' + i.code + ')'))));
  }
  const periodInput = h('input', { name: 'period', value: period, size: 8, pattern: '\\d{4}(H[12]|Q[1-4]|-\\d{2})?' });
  const button = h('button', { type: 'submit' }, t('province.compare'));
  const form = h('form', { class: 'controls' },
    h('label', null, t('indicator'), select), h('label', null, t('period'), periodInput), button);
  const compare = h('section', null, h('h2', null, t('province.comparison')), form);
  const out = h('div', { class: 'comparison' });
  compare.append(out);
  main.append(compare);

  async function draw() {
    const code = select.value;
    const ind = byCode.get(code);
    localStorage.setItem('countypay.indicator', code);
    url.searchParams.set('indicator', code);
    url.searchParams.set('period', periodInput.value);
    history.replaceState(null, '', url);
    out.replaceChildren(h('p', { class: 'loading' }, t('loading')));
    let rows;
    try {
      rows = await cp.all(async (after) => (await cp.gql(`query($i: String!, $p: Period!, $after: String) {
        compareCounties(indicator: $i, period: $p, first: 1000, after: $after) { pageInfo { hasNextPage endCursor }
          nodes { county { code nameZh nameEn } value entities population perCapita
            attainment { benchmark target meetsBenchmark meetsTarget } } } }`,
      { i: code, p: periodInput.value, after })).compareCounties);
    } catch (e) {
      out.replaceChildren(cp.notice(e.message, 'error'));
      return;
    }
    const shown = (r) => (ind.perCapita ? r.perCapita : r.value);
    const unit = ind.perCapita ? t('province.per_head', cp.unitLabel(ind.unit)) : cp.unitLabel(ind.unit);
    out.replaceChildren(h('p', { class: 'sub' }, cp.name(ind), ' · ', periodInput.value, ' · ', unit,
      ind.direction ? ' · ' + t('direction.' + cp.stored(ind.direction)) : ''));
    const valued = rows.filter((r) => shown(r) !== null);
    if (!valued.length) {
      out.append(cp.notice(t('province.no_values')));
      return;
    }
    const duo = h('div', { class: 'duo half' });
    const left = h('div', { 'data-chart': 'comparison' });
    const right = h('div');
    duo.append(left, right);
    out.append(duo);
    let order = cp.sortBy(rows, (r) => (shown(r) === null ? null : Number(shown(r))), true);
    const chart = cp.chart(left, option(order), 380);
    function option(sorted) {
      const with_ = sorted.filter((r) => shown(r) !== null);
      return {
        grid: { left: 70, right: 20, top: 30, bottom: 50, containLabel: true },
        xAxis: { type: 'category', data: with_.map((r) => cp.name(r.county)), axisLabel: { interval: 0, rotate: with_.length > 8 ? 30 : 0 } },
        yAxis: { type: 'value', name: unit, scale: false },
        tooltip: { trigger: 'item', formatter: (p) => p.name + '<br>' + cp.figure(p.data.exact, ind.unit) },
        series: [{ type: 'bar', name: cp.name(ind), barMaxWidth: 48,
          data: with_.map((r) => cp.point(shown(r), { itemStyle: { color: r.attainment.meetsTarget === false || r.attainment.meetsBenchmark === false ? '#c9a227' : '#1d5fa8' } })),
          label: { show: true, position: 'top', formatter: (p) => cp.figure(p.data.exact, ind.unit) } }],
      };
    }
    const yesNo = (v) => (v === null ? '—' : t(v ? 'yes' : 'no'));
    const columns = [
      { label: t('county'), value: (r) => h('a', { href: '/counties/' + encodeURIComponent(r.county.code) }, cp.name(r.county)), sort: (r) => cp.name(r.county) },
      { label: t('value'), num: true, value: (r) => cp.figure(r.value, ind.unit), sort: (r) => (r.value === null ? null : Number(r.value)) },
    ];
    if (ind.perCapita) {
      columns.push({ label: t('per_capita'), num: true, value: (r) => cp.grouped(r.perCapita), sort: (r) => (r.perCapita === null ? null : Number(r.perCapita)) });
    }
    columns.push(
      { label: t('province.source'), value: (r) => (r.value === null ? '—' : r.entities ? t('province.from_entities', r.entities) : t('province.own_value')) },
      { label: t('benchmark'), num: true, value: (r) => cp.figure(r.attainment.benchmark, ind.unit) },
      { label: t('target'), num: true, value: (r) => cp.figure(r.attainment.target, ind.unit) },
      { label: t('meets_benchmark'), value: (r) => yesNo(r.attainment.meetsBenchmark), sort: (r) => r.attainment.meetsBenchmark },
      { label: t('meets_target'), value: (r) => yesNo(r.attainment.meetsTarget), sort: (r) => r.attainment.meetsTarget },
    );
    right.append(cp.table(columns, order, { sortable: true, onSort: (sorted) => {
      order = sorted;
      if (chart) chart.setOption(option(sorted), { replaceMerge: ['series', 'xAxis'] });
    } }));
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); draw(); });
  select.addEventListener('change', draw);
  await draw();
});
