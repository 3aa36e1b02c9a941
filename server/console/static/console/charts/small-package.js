/* A package contracted per head and its surplus shared by tiers (POLICIES.md §2.4, Suixi's small
   package): per centre, how its surplus went to the county, township and village levels and what
   the assessment kept back for the medical community, or the overspend the community bore; and the
   package's share of the big one. Fits components with `township`, `village` and
   `community_retained` lines. */
countypay.charts.register('small-package', ['township', 'village', 'community_retained'], async (box, ctx) => {
  const cp = countypay;
  const { h } = cp;
  const { say } = ctx;
  const [lines, names] = await Promise.all([cp.lines(ctx.run.id, null, 'entity code unit value'), cp.names(ctx.county)]);
  const codes = ['budget', 'actual', 'surplus', 'overspend', 'county', 'township', 'village', 'community_retained', 'community_borne'];
  const centres = new Map();
  const own = new Map();
  for (const l of lines) {
    if (l.entity === 'county') { own.set(l.code, l); continue; }
    if (!codes.includes(l.code)) continue;
    if (!centres.has(l.entity)) centres.set(l.entity, { entity: l.entity, name: names.get(l.entity) || l.entity });
    centres.get(l.entity)[l.code] = l.value;
  }
  const rows = [...centres.values()];
  const get = (r, c) => (r[c] === undefined ? null : r[c]);
  box.append(h('div', { class: 'cards' },
    ['budget', 'actual', 'surplus', 'overspend', 'community_retained'].filter((c) => own.has(c))
      .map((c) => cp.card(say(c), cp.grouped(own.get(c).value), cp.unitLabel('yuan'))),
    own.has('small_package_share') ? cp.card(say('small_package_share'), cp.percent(own.get('small_package_share').value)) : null));

  // Shares to the right of zero, stacked in the order the rule takes them; an overspend to the left.
  const parts = ['county', 'township', 'village', 'community_retained'];
  const colours = { county: '#1d5fa8', township: '#3a9e5f', village: '#e8833a', community_retained: '#9aa5b1', community_borne: '#b3261e' };
  const series = [...parts, 'community_borne'].map((c) => ({
    type: 'bar', name: say(c), stack: 'centre', barMaxWidth: 18, itemStyle: { color: colours[c] },
    data: rows.map((r) => {
      const v = get(r, c);
      return c === 'community_borne' && v !== null ? Object.assign(cp.point(v), { value: -Number(v) }) : cp.point(v);
    }),
  }));
  cp.chart(box, {
    grid: { left: 20, right: 30, top: 40, bottom: 44, containLabel: true },
    legend: { top: 0 },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { interval: 0 } },
    xAxis: { type: 'value', name: say('axis'), nameLocation: 'middle', nameGap: 26 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps) => {
      const r = rows[ps[0].dataIndex];
      const shown = ['budget', 'actual', 'surplus', 'overspend', ...parts, 'community_borne'].filter((c) => get(r, c) !== null);
      return [r.name, ...shown.map((c) => say(c) + ' ' + cp.grouped(r[c]) + (parts.includes(c) && r.surplus
        ? ' (' + cp.percent(cp.divide(r[c], r.surplus, 4)) + ')' : ''))].join('<br>');
    } },
    series,
  }, Math.max(320, 110 + rows.length * 26));
  box.append(h('p', { class: 'muted' }, say('caption')));
  box.append(cp.table([
    { label: say('centre'), value: (r) => r.name, sort: (r) => r.name },
    ...['budget', 'actual', 'surplus', ...parts.slice(0, 3), 'community_retained', 'overspend', 'community_borne'].map((c) => ({
      label: say(c), num: true, value: (r) => cp.grouped(get(r, c)), sort: (r) => (get(r, c) === null ? null : Number(r[c])) })),
    { label: say('kept'), num: true, value: (r) => (r.surplus && r.community_retained ? cp.percent(cp.divide(r.community_retained, r.surplus, 4)) : '—'),
      sort: (r) => (r.surplus && r.community_retained ? Number(r.community_retained) / Number(r.surplus) : null) },
  ], rows, { sortable: true }));
});
