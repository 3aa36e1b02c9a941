/* A global budget per medical community (POLICIES.md §4.1): each community's budget,
   actual spending and what it retained of a surplus or bore of an overspend, and beside it the
   county's recorded outcomes of earlier years where they are stored as county indicator values
   (recorded_surplus, recorded_retained, recorded_overspend_shared, budget_growth_rate). Fits
   components with `surplus.retained` and `overspend.borne` lines. */
countypay.charts.register('global-budget', ['surplus.retained', 'overspend.borne'], async (box, ctx) => {
  const cp = countypay;
  const { t, h } = cp;
  const { say } = ctx;
  const [lines, names, history] = await Promise.all([cp.lines(ctx.run.id, null, 'entity code unit value'), cp.names(ctx.county),
    cp.all(async (after) => (await cp.gql(`query($c: String!, $after: String) { indicatorValues(county: $c, entity: "county", first: 1000, after: $after) {
      pageInfo { hasNextPage endCursor } nodes { period value indicator { code nameZh nameEn unit } } } }`, { c: ctx.county, after })).indicatorValues)]);
  const codes = ['budget', 'actual', 'surplus.retained', 'overspend.borne'];
  const communities = new Map();
  for (const l of lines) {
    if (l.entity === 'county' || !codes.includes(l.code) && l.code !== 'surplus' && l.code !== 'overspend') continue;
    if (!communities.has(l.entity)) communities.set(l.entity, { entity: l.entity, name: names.get(l.entity) || l.entity });
    communities.get(l.entity)[l.code] = l.value;
  }
  const rows = [...communities.values()];
  const budget = lines.find((l) => l.entity === 'county' && l.code === 'budget');
  if (budget) box.append(h('div', { class: 'cards' }, cp.card(say('county_budget'), cp.grouped(budget.value), cp.unitLabel('yuan'))));
  const series = codes.filter((c) => rows.some((r) => r[c] !== undefined));
  const duo = h('div', { class: 'duo half' });
  const left = h('div');
  const right = h('div');
  duo.append(left, right);
  box.append(h('h3', null, say('this_year', ctx.run.period)), duo);
  cp.chart(left, {
    grid: { left: 20, right: 20, top: 48, bottom: 30, containLabel: true },
    legend: { top: 0, data: series.map((c) => say(c)) },
    xAxis: { type: 'category', data: rows.map((r) => r.name) },
    // What a community kept or bore is a small part of its budget: it gets the right-hand axis.
    yAxis: [{ type: 'value', name: say('budget_axis') }, { type: 'value', name: say('balance_axis'), splitLine: { show: false } }],
    tooltip: { trigger: 'axis', formatter: (ps) => [ps[0].name, ...ps.map((p) => p.seriesName + ' ' + cp.grouped(p.data.exact))].join('<br>') },
    series: series.map((c) => ({ type: 'bar', name: say(c), yAxisIndex: c === 'budget' || c === 'actual' ? 0 : 1,
      data: rows.map((r) => cp.point(r[c] === undefined ? null : r[c])), barMaxWidth: 40 })),
  }, 340);
  right.append(cp.table([
    { label: t('community'), value: (r) => r.name },
    ...['budget', 'actual', 'surplus', 'surplus.retained', 'overspend', 'overspend.borne'].filter((c) => rows.some((r) => r[c] !== undefined))
      .map((c) => ({ label: say(c), num: true, value: (r) => cp.grouped(r[c] === undefined ? null : r[c]) })),
  ], rows));

  // The recorded years, where the county's store holds them.
  const recorded = ['recorded_surplus', 'recorded_retained', 'recorded_overspend_shared'];
  const years = new Map();
  const indicators = new Map();
  for (const v of history) {
    const code = v.indicator.code;
    if (![...recorded, 'budget_growth_rate'].includes(code) || !/^\d{4}$/.test(v.period)) continue;
    indicators.set(code, v.indicator);
    if (!years.has(v.period)) years.set(v.period, { year: v.period });
    years.get(v.period)[code] = v.value;
  }
  if (!years.size) return;
  const past = [...years.values()].sort((a, b) => a.year.localeCompare(b.year));
  const shown = recorded.filter((c) => indicators.has(c));
  const unit = indicators.get(shown[0] || recorded[0]);
  const duo2 = h('div', { class: 'duo half' });
  const left2 = h('div');
  const right2 = h('div');
  duo2.append(left2, right2);
  box.append(h('h3', null, say('history', past[0].year, past[past.length - 1].year)), duo2);
  const growth = indicators.has('budget_growth_rate');
  cp.chart(left2, {
    grid: { left: 20, right: 20, top: 60, bottom: 30, containLabel: true },
    legend: { top: 0 },
    xAxis: { type: 'category', data: past.map((y) => y.year) },
    yAxis: [{ type: 'value', name: unit ? cp.unitLabel(unit.unit) : '' },
      { type: 'value', name: say('growth_axis'), splitLine: { show: false }, axisLabel: { formatter: (v) => v + ' %' } }],
    tooltip: { trigger: 'axis', formatter: (ps) => [ps[0].name, ...ps.filter((p) => p.data.exact !== undefined && p.data.exact !== null)
      .map((p) => p.seriesName + ' ' + (p.seriesIndex === shown.length ? cp.percent(p.data.exact, 1) : cp.grouped(p.data.exact)))].join('<br>') },
    series: [
      ...shown.map((c) => ({ type: 'bar', name: say(c), barMaxWidth: 32,
        data: past.map((y) => cp.point(y[c] === undefined ? null : y[c])) })),
      ...(growth ? [{ type: 'line', name: say('budget_growth_rate'), yAxisIndex: 1,
        data: past.map((y) => (y.budget_growth_rate === undefined ? cp.point(null)
          : Object.assign(cp.point(y.budget_growth_rate), { value: Number(y.budget_growth_rate) * 100 }))) }] : []),
    ],
  }, 340);
  right2.append(cp.table([
    { label: t('year'), value: (y) => y.year },
    ...shown.map((c) => ({ label: say(c) + ' (' + cp.unitLabel(indicators.get(c).unit) + ')', num: true,
      value: (y) => cp.grouped(y[c] === undefined ? null : y[c]) })),
    ...(growth ? [{ label: say('budget_growth_rate'), num: true,
      value: (y) => (y.budget_growth_rate === undefined ? '—' : cp.percent(y.budget_growth_rate, 1)) }] : []),
  ], past));
  box.append(h('p', { class: 'muted' }, say('history_caption')));
});
