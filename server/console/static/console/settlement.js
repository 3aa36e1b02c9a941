/* The settlement page: a run's state, downloads, flags and chart, its lines with filters and each
   line's explanation in words, and a what-if form (simulateSettlement: nothing is stored). */
countypay.start(async (main, args) => {
  const cp = countypay;
  const { t, h } = cp;
  const d = await cp.gql(`query($id: ID!) {
    settlement(id: $id) { id county { code nameZh nameEn } policy component period status parameterVersion
      parameters parameterSources inputHash createdAt createdBy approvedAt approvedBy supersedes { id }
      flags { entity code message severity } totalsByCode(first: 1000) { nodes { key amount } } lines(first: 0) { totalCount } }
    policies { code nameZh nameEn components { code nameZh nameEn lines { entity code description } } } }`,
  { id: args.id });
  const run = d.settlement;
  const totals = run.totalsByCode.nodes;
  const policy = d.policies.find((p) => p.code === run.policy);
  const component = policy && policy.components.find((c) => c.code === run.component);
  const county = run.county.code;
  const names = await cp.names(county);
  const label = (entity) => (names.get(entity) && names.get(entity) !== entity ? names.get(entity) + ' (' + entity + ')' : entity);

  document.title = t('settlement.title') + ' #' + run.id + ' · countypay';
  main.append(h('h1', null, t('settlement.title'), ' #', run.id, ' ', cp.badge(run.status)),
    h('p', { class: 'sub' }, h('a', { href: '/counties/' + encodeURIComponent(county) }, cp.name(run.county)), ' · ',
      policy ? cp.name(policy) : run.policy, ' · ', component ? cp.name(component) : run.component, ' · ', run.period));

  const when = (s) => (s ? s.slice(0, 19).replace('T', ' ') : '—');
  const facts = [
    [t('status'), cp.badge(run.status)],
    [t('settlement.approved'), run.approvedAt ? when(run.approvedAt) + ' · ' + run.approvedBy : t('settlement.not_approved')],
    [t('created'), when(run.createdAt) + ' · ' + (run.createdBy || '—')],
    [t('settlement.lines'), cp.grouped(String(run.lines.totalCount))],
    [t('settlement.parameter_version'), h('code', null, run.parameterVersion)],
    [t('settlement.input_hash'), h('code', null, run.inputHash)],
    [t('settlement.supersedes'), run.supersedes ? h('a', { href: '/settlements/' + run.supersedes.id }, '#' + run.supersedes.id) : '—'],
  ];
  main.append(h('dl', { class: 'explain facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
  main.append(h('p', { class: 'downloads' }, h('strong', null, t('settlement.download') + ': '),
    h('a', { href: `/export/settlements/${run.id}.xlsx`, download: '', 'data-format': 'xlsx' }, 'Excel (.xlsx)'),
    h('a', { href: `/export/settlements/${run.id}.csv`, download: '', 'data-format': 'csv' }, 'CSV')));

  if (run.flags.length) {
    main.append(h('section', null, h('h2', null, t('flags') + ' (' + run.flags.length + ')'),
      cp.table([
        { label: t('severity'), value: (f) => h('span', { class: 'badge ' + cp.stored(f.severity) }, t('severity.' + cp.stored(f.severity))) },
        { label: t('entity'), value: (f) => label(f.entity) },
        { label: t('code'), value: (f) => h('code', null, f.code) },
        { label: t('message'), wrap: true, value: (f) => f.message },
      ], run.flags)));
  }

  const chartBox = h('section', null, h('h2', null, t('settlement.chart')));
  main.append(chartBox);
  await cp.charts.draw(chartBox, component ? component.lines.map((l) => l.code) : [], { run, county, component });

  if (totals.length) {
    main.append(h('section', null, h('h2', null, t('settlement.totals')), cp.table([
      { label: t('code'), value: (x) => h('code', null, x.key), sort: (x) => x.key },
      { label: t('amount'), num: true, value: (x) => cp.grouped(x.amount), sort: (x) => Number(x.amount) },
    ], totals, { sortable: true })));
  }

  // ---- lines, filtered and paged

  const specs = component ? component.lines : [];
  const codes = [...new Set([...totals.map((x) => x.key), ...specs.map((s) => s.code).filter((c) => !/[<…]/.test(c))])].sort();
  const entityIn = h('input', { name: 'entity', list: 'entities', size: 14, placeholder: t('settlement.any') });
  const codeIn = h('input', { name: 'code', list: 'codes', size: 28, placeholder: t('settlement.any') });
  const linesForm = h('form', { class: 'controls' },
    h('label', null, t('entity'), entityIn), h('label', null, t('code'), codeIn),
    h('button', { type: 'submit' }, t('settlement.filter')),
    h('datalist', { id: 'codes' }, codes.map((c) => h('option', { value: c }))),
    h('datalist', { id: 'entities' }, [...names.keys()].slice(0, 2000).map((c) => h('option', { value: c }, names.get(c)))));
  const linesOut = h('div');
  const linesBox = h('section', { class: 'lines' }, h('h2', null, t('settlement.lines')), linesForm, linesOut);
  main.append(linesBox);
  const cursors = [null];
  let at = 0;

  async function showLines() {
    linesOut.replaceChildren(h('p', { class: 'loading' }, t('loading')));
    const v = { id: run.id, after: cursors[at], entity: entityIn.value.trim() || null, code: codeIn.value.trim() || null };
    let page;
    try {
      page = (await cp.gql(`query($id: ID!, $entity: String, $code: String, $after: String) { settlement(id: $id) {
        lines(entity: $entity, code: $code, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
          nodes { entity code unit value trace } } } }`, v)).settlement.lines;
    } catch (e) {
      linesOut.replaceChildren(cp.notice(e.message, 'error'));
      return;
    }
    cursors[at + 1] = page.pageInfo.endCursor;
    const first = page.totalCount ? at * 100 + 1 : 0;
    const pager = h('p', { class: 'controls' },
      h('span', null, t('settlement.showing', first, at * 100 + page.nodes.length, page.totalCount)),
      h('button', { type: 'button', class: 'plain', disabled: at === 0, onclick: () => { at -= 1; showLines(); } }, t('previous')),
      h('button', { type: 'button', class: 'plain', disabled: !page.pageInfo.hasNextPage, onclick: () => { at += 1; showLines(); } }, t('next')));
    const rows = page.nodes.map((l) => {
      const more = h('details', null, h('summary', null, l.trace && l.trace.formula ? l.trace.formula : t('settlement.explain')));
      more.addEventListener('toggle', () => { if (more.open && more.children.length === 1) more.append(cp.explain(l.trace)); }, { once: false });
      return h('tr', null, h('td', null, label(l.entity)), h('td', null, h('code', null, l.code)),
        h('td', null, cp.unitLabel(l.unit)), h('td', { class: 'num' }, cp.figure(l.value, l.unit)), h('td', { class: 'wrap' }, more));
    });
    linesOut.replaceChildren(pager, h('div', { class: 'scroll tall' }, h('table', { class: 'lines' },
      h('thead', null, h('tr', null, [t('entity'), t('code'), t('unit'), t('value'), t('settlement.explanation')].map((x, i) =>
        h('th', { class: i === 3 ? 'num' : null }, x)))),
      h('tbody', null, rows))));
  }
  linesForm.addEventListener('submit', (e) => { e.preventDefault(); at = 0; cursors.length = 1; showLines(); });
  await showLines();

  // ---- what if: the same settlement with changed parameters, stored nowhere

  const whatIf = h('section', { class: 'what-if' }, h('h2', null, t('whatif.title')), h('p', { class: 'sub' }, t('whatif.help')));
  const fields = h('div', { class: 'params' });
  const source = (x) => (x === undefined || x === null ? '—' : typeof x === 'string' ? x : JSON.stringify(x));
  const original = {};
  for (const [key, value] of Object.entries(run.parameters || {})) {
    const scalar = value === null || typeof value !== 'object';
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    original[key] = { text, string: typeof value === 'string' };
    const input = scalar && text.length < 60
      ? h('input', { name: key, value: text, size: 24 })
      : h('textarea', { name: key, rows: Math.min(8, Math.ceil(text.length / 110) + 1) }, text);
    fields.append(h('label', { for: 'p-' + key }, h('code', null, key)),
      h('div', null, Object.assign(input, { id: 'p-' + key }),
        h('div', { class: 'src' }, t('whatif.source') + ': ' + source((run.parameterSources || {})[key]))));
  }
  const whatIfForm = h('form', null, fields, h('p', null, h('button', { type: 'submit' }, t('whatif.run'))));
  const whatIfOut = h('div', { class: 'what-if-result' });
  whatIf.append(whatIfForm, whatIfOut);
  main.append(whatIf);

  whatIfForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const overrides = {};
    try {
      for (const [key, o] of Object.entries(original)) {
        const text = whatIfForm.elements[key].value.trim();
        if (text === o.text) continue;
        overrides[key] = o.string ? text : JSON.parse(text);
      }
    } catch (err) {
      whatIfOut.replaceChildren(cp.notice(t('whatif.bad_json'), 'error'));
      return;
    }
    if (!Object.keys(overrides).length) {
      whatIfOut.replaceChildren(cp.notice(t('whatif.nothing')));
      return;
    }
    whatIfOut.replaceChildren(h('p', { class: 'loading' }, t('whatif.running')));
    let sim;
    try {
      sim = (await cp.gql(`query($c: String!, $p: String!, $k: String!, $period: Period!, $o: JSON) {
        simulateSettlement(county: $c, policy: $p, component: $k, period: $period, parameterOverrides: $o) {
          latestRun { id } entities { entity changed lines { code unit stored simulated difference } } } }`,
      { c: county, p: run.policy, k: run.component, period: run.period, o: overrides })).simulateSettlement;
    } catch (err) {
      whatIfOut.replaceChildren(cp.notice(err.message, 'error'));
      return;
    }
    const changed = [];
    for (const en of sim.entities) {
      for (const l of en.lines) {
        if (l.difference === null ? l.stored !== l.simulated : cp.fixed(l.difference, 4) !== cp.fixed('0', 4)) changed.push(Object.assign({ entity: en.entity }, l));
      }
    }
    const moved = sim.entities.filter((x) => x.changed).length;
    const parts = [h('p', null, t('whatif.summary', moved, sim.entities.length, changed.length),
      sim.latestRun && String(sim.latestRun.id) !== String(run.id) ? ' ' + t('whatif.against', sim.latestRun.id) : '')];
    if (changed.length) {
      parts.push(cp.table([
        { label: t('entity'), value: (l) => label(l.entity), sort: (l) => l.entity },
        { label: t('code'), value: (l) => h('code', null, l.code), sort: (l) => l.code },
        { label: t('whatif.stored'), num: true, value: (l) => cp.figure(l.stored, l.unit) },
        { label: t('whatif.simulated'), num: true, value: (l) => cp.figure(l.simulated, l.unit) },
        { label: t('whatif.difference'), num: true, value: (l) => h('span', { class: l.difference && l.difference.startsWith('-') ? 'diff-down' : 'diff-up' },
          l.difference === null ? '—' : cp.grouped(l.difference)), sort: (l) => (l.difference === null ? null : Number(l.difference)) },
      ], changed.slice(0, 2000), { sortable: true }));
      if (changed.length > 2000) parts.push(h('p', { class: 'muted' }, t('whatif.more', changed.length - 2000)));
    }
    whatIfOut.replaceChildren(...parts);
  });
});
