/* The county page: the county's size, its policies and runs, and for each component the chart of
   its latest run (static/console/charts/ holds one module per kind of component). */
countypay.start(async (main, args) => {
  const cp = countypay;
  const { t, h } = cp;
  const d = await cp.gql(`query($c: String!) {
    county(code: $c) { code nameZh nameEn population province { nameZh nameEn }
      communities { code nameZh nameEn lead { code nameZh nameEn } }
      units(first: 0) { totalCount } institutions(first: 0) { totalCount } mapFeatures
      policies { code nameZh nameEn version reference components { code nameZh nameEn lines { entity code } } } }
    settlements(county: $c, first: 200) { totalCount nodes { id policy component period status createdAt createdBy flags { severity } } } }`,
  { c: args.code });
  const county = d.county;
  const runs = d.settlements.nodes;
  document.title = cp.name(county) + ' · countypay';
  main.append(h('h1', null, cp.name(county)),
    h('p', { class: 'sub' }, h('a', { href: '/' }, cp.name(county.province)), ' · ', county.code));
  main.append(h('div', { class: 'cards' },
    cp.card(t('population'), cp.grouped(county.population === null ? null : String(county.population))),
    cp.card(t('communities'), String(county.communities.length)),
    cp.card(t('units'), cp.grouped(String(county.units.totalCount))),
    cp.card(t('institutions'), cp.grouped(String(county.institutions.totalCount))),
    cp.card(t('county.runs'), String(d.settlements.totalCount))));
  if (county.mapFeatures) {
    main.append(h('p', null, h('a', { href: '/counties/' + encodeURIComponent(county.code) + '/map', class: 'map-link' }, t('county.map'))));
  }

  if (county.communities.length) {
    main.append(h('p', null, h('strong', null, t('communities') + ': '),
      county.communities.map((c, i) => [i ? '; ' : '', cp.name(c), c.lead ? ' (' + t('county.lead') + ' ' + cp.name(c.lead) + ')' : ''])));
  }

  const components = new Map();
  const policies = h('section', null, h('h2', null, t('county.policies')));
  for (const p of county.policies) {
    policies.append(h('h3', null, cp.name(p), ' ', h('small', { class: 'muted' }, p.code + ' ' + p.version)),
      p.reference ? h('p', { class: 'muted' }, p.reference) : null,
      h('ul', null, p.components.map((c) => {
        components.set(p.code + '.' + c.code, c);
        return h('li', null, cp.name(c), ' ', h('code', null, c.code));
      })));
  }
  if (!county.policies.length) policies.append(h('p', { class: 'muted' }, t('county.no_policies')));
  main.append(policies);

  const runList = h('section', null, h('h2', null, t('county.runs')));
  runList.append(runs.length ? cp.table([
    { label: '#', num: true, value: (r) => h('a', { href: '/settlements/' + r.id }, r.id), sort: (r) => Number(r.id) },
    { label: t('component'), value: (r) => cp.name(components.get(r.policy + '.' + r.component)) || r.component, sort: (r) => r.component },
    { label: t('period'), value: (r) => r.period, sort: (r) => r.period },
    { label: t('status'), value: (r) => cp.badge(r.status), sort: (r) => r.status },
    { label: t('flags'), num: true, value: (r) => String(r.flags.length), sort: (r) => r.flags.length },
    { label: t('created'), value: (r) => r.createdAt.slice(0, 16).replace('T', ' ') + ' ' + r.createdBy, sort: (r) => r.createdAt },
  ], runs, { sortable: true }) : h('p', { class: 'muted' }, t('runs.none')));
  main.append(runList);

  // One section per component, its latest run's chart (runs come newest first), drawn side by side in time.
  const drawing = [];
  for (const p of county.policies) {
    for (const c of p.components) {
      const run = runs.find((r) => r.policy === p.code && r.component === c.code);
      const box = h('section', { class: 'component', 'data-component': p.code + '.' + c.code },
        h('h2', null, cp.name(c)));
      main.append(box);
      if (!run) {
        box.append(h('p', { class: 'muted' }, t('county.no_run')));
        continue;
      }
      box.append(h('p', { class: 'sub' }, t('period'), ' ', run.period, ' · ', cp.badge(run.status), ' · ',
        h('a', { href: '/settlements/' + run.id }, t('county.open_run', run.id))));
      drawing.push(cp.charts.draw(box, c.lines.map((l) => l.code), { run, county: county.code, component: c }));
    }
  }
  await Promise.all(drawing);
});
