/* A pool paid by rank in tiers (POLICIES.md §2.1 step 5, the effect pool): the eligible
   entities in rank order with the change that ranked them, each tier shaded with its share, the
   50 % line below which nothing is paid, and what each was paid. Fits components with
   `effect.paid` lines whose traces carry delta, rank, tier and the `effect_tiers` parameter. */
countypay.charts.register('ranked-tiers', ['effect.paid'], async (box, ctx) => {
  const cp = countypay;
  const { t, h } = cp;
  const { say } = ctx;
  const [lines, names] = await Promise.all([cp.lines(ctx.run.id, { code: 'effect.paid' }, 'entity value trace'),
    cp.names(ctx.county)]);
  const scopes = new Map();
  for (const l of lines) {
    const scope = (l.trace && l.trace.result && l.trace.result.scope) || 'county';
    if (!scopes.has(scope)) scopes.set(scope, []);
    scopes.get(scope).push(l);
  }
  const shades = ['rgba(29,95,168,0.13)', 'rgba(58,158,95,0.13)', 'rgba(232,131,58,0.13)', 'rgba(122,92,184,0.13)'];
  const colours = ['#1d5fa8', '#3a9e5f', '#e8833a', '#7a5cb8'];
  const label = (e) => (names.get(e) && names.get(e) !== e ? names.get(e) + ' (' + e + ')' : e);

  /** ceil(cut × n), exactly, for a cut written as a decimal string. */
  function position(cut, n) {
    const m = /^(\d*)(?:\.(\d*))?$/.exec(String(cut));
    const frac = (m && m[2]) || '';
    const num = BigInt((m ? m[1] || '0' : '0') + frac) * BigInt(n);
    const den = 10n ** BigInt(frac.length);
    return Number((num + den - 1n) / den);
  }

  for (const [scope, group] of scopes) {
    if (scopes.size > 1) box.append(h('h3', null, names.get(scope) || scope));
    const ranked = group.filter((l) => l.trace.result.rank !== null && l.trace.result.rank !== undefined)
      .sort((a, b) => a.trace.result.rank - b.trace.result.rank);
    const unranked = group.filter((l) => !ranked.includes(l));
    if (!ranked.length) {
      box.append(cp.notice(say('none')));
      continue;
    }
    const first = ranked[0].trace;
    const n = first.result.eligible_n || ranked.length;
    const tiers = (first.parameters && first.parameters.effect_tiers) || [];
    const bounds = [];
    let start = 0;
    tiers.forEach(([cut, share], k) => {
      const end = position(cut, n);
      const members = ranked.filter((l) => l.trace.result.tier === k + 1);
      bounds.push({ k: k + 1, from: start + 1, to: end, cut, share, members,
        paid: cp.sum(members.map((l) => l.value)) });
      start = end;
    });
    const last = bounds.length ? bounds[bounds.length - 1].to : n;
    const areas = bounds.filter((b) => b.to >= b.from).map((b) => [
      { xAxis: String(b.from), name: say('tier', b.k) + ' ' + cp.percent(b.share, 0),
        itemStyle: { color: shades[(b.k - 1) % shades.length] }, label: { position: 'insideTop', color: '#333' } },
      { xAxis: String(b.to) }]);
    const colour = (r) => (r.tier ? colours[(r.tier - 1) % colours.length] : '#b8c2cc');
    const half = { silent: true, symbol: 'none', lineStyle: { color: '#b3261e', type: 'dashed', width: 2 },
      data: [{ xAxis: String(last) }] };
    const ranks = ranked.map((l) => String(l.trace.result.rank));
    const every = Math.max(0, Math.ceil(ranked.length / 24) - 1);
    cp.chart(box, {
      grid: [{ left: 70, right: 24, top: 40, height: '50%' }, { left: 70, right: 24, top: '68%', bottom: 36 }],
      axisPointer: { link: [{ xAxisIndex: 'all' }] },
      xAxis: [{ type: 'category', gridIndex: 0, data: ranks, axisLabel: { show: false }, axisTick: { show: false } },
        { type: 'category', gridIndex: 1, data: ranks, name: t('rank'), nameLocation: 'middle', nameGap: 24,
          axisLabel: { interval: every } }],
      yAxis: [{ type: 'value', gridIndex: 0, name: say('delta_axis') },
        { type: 'value', gridIndex: 1, name: say('paid') + ' (' + cp.unitLabel('yuan') + ')' }],
      tooltip: { trigger: 'axis', formatter: (ps) => {
        const l = ranked[ps[0].dataIndex];
        const r = l.trace.result;
        return [label(l.entity), t('rank') + ' ' + r.rank + ' / ' + n,
          say('delta') + ' ' + cp.percent(r.delta, 2),
          r.tier ? say('tier', r.tier) : say('below'),
          say('paid') + ' ' + cp.grouped(l.value)].join('<br>');
      } },
      series: [
        { type: 'bar', name: say('delta'), xAxisIndex: 0, yAxisIndex: 0, barCategoryGap: '15%',
          data: ranked.map((l) => cp.point(String(Number(l.trace.result.delta) * 100), { itemStyle: { color: colour(l.trace.result) } })),
          markArea: { silent: true, data: areas },
          markLine: Object.assign({ label: { formatter: say('half_line', cp.percent(bounds.length ? bounds[bounds.length - 1].cut : '0.5', 0)),
            position: 'insideEndTop', color: '#b3261e' } }, half) },
        { type: 'bar', name: say('paid'), xAxisIndex: 1, yAxisIndex: 1, barCategoryGap: '15%',
          data: ranked.map((l) => cp.point(l.value, { itemStyle: { color: colour(l.trace.result) } })),
          markLine: Object.assign({ label: { show: false } }, half) },
      ],
    }, 460);
    box.append(h('p', { class: 'muted' }, say('caption', n, last)));
    box.append(h('div', { class: 'duo even' },
      h('div', null, h('h3', null, say('summary')), cp.table([
        { label: say('tier_col'), value: (b) => say('tier', b.k) },
        { label: say('ranks'), value: (b) => (b.to >= b.from ? b.from + '–' + b.to : say('empty')) },
        { label: say('share'), num: true, value: (b) => cp.percent(b.share, 1) },
        { label: t('units'), num: true, value: (b) => String(b.members.length) },
        { label: say('paid'), num: true, value: (b) => cp.grouped(b.paid) },
      ], bounds, { scroll: false })),
      h('div', null, h('h3', null, say('ranking')), cp.table([
        { label: t('rank'), num: true, value: (l) => (l.trace.result.rank === null || l.trace.result.rank === undefined ? '—' : String(l.trace.result.rank)), sort: (l) => l.trace.result.rank },
        { label: t('entity'), value: (l) => label(l.entity), sort: (l) => l.entity },
        { label: say('delta'), num: true, value: (l) => (l.trace.result.delta ? cp.percent(l.trace.result.delta, 2) : say('ineligible')) },
        { label: say('tier_col'), value: (l) => (l.trace.result.tier ? say('tier', l.trace.result.tier) : '—'), sort: (l) => l.trace.result.tier },
        { label: say('paid'), num: true, value: (l) => cp.grouped(l.value), sort: (l) => Number(l.value) },
      ], [...ranked, ...unranked], { sortable: true }))));
  }
});
