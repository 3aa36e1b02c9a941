/* Services bought by work equivalents (POLICIES.md §3.1, §4.2): what each
   institution was paid and its funding per head served, beside the county's price per
   equivalent. Fits components with a county `price` and institution `paid` and `per_capita` lines. */
countypay.charts.register('equivalents', ['price', 'paid', 'per_capita'], async (box, ctx) => {
  const cp = countypay;
  const { t, h } = cp;
  const { say } = ctx;
  const [d, names] = await Promise.all([cp.gql(`query($id: ID!) { settlement(id: $id) {
    county: lines(entity: "county") { nodes { code unit value } }
    paid: lines(code: "paid", first: 1000) { nodes { entity value } }
    perCapita: lines(code: "per_capita", first: 1000) { nodes { entity value trace } }
    equivalents: lines(code: "equivalents", first: 1000) { nodes { entity value } } } }`, { id: ctx.run.id }),
  cp.names(ctx.county)]);
  const s = d.settlement;
  const own = new Map(s.county.nodes.map((l) => [l.code, l]));
  const by = (list) => new Map(list.nodes.map((l) => [l.entity, l]));
  const perCapita = by(s.perCapita);
  const equivalents = by(s.equivalents);
  const rows = cp.sortBy(s.paid.nodes.filter((l) => l.entity !== 'county'), (l) => Number(l.value), true).map((l) => {
    const pc = perCapita.get(l.entity);
    return { entity: l.entity, name: names.get(l.entity) || l.entity, paid: l.value, perCapita: pc ? pc.value : null,
      population: pc && pc.trace && pc.trace.inputs ? pc.trace.inputs.population : null,
      equivalents: equivalents.has(l.entity) ? equivalents.get(l.entity).value : null };
  });
  const price = own.get('price');
  // The county's funding per head served: all that was paid over all the people served.
  const served = rows.every((r) => r.population !== null) ? cp.sum(rows.map((r) => String(r.population))) : null;
  const average = served ? cp.divide(cp.sum(rows.map((r) => r.paid)), served, 2) : null;
  box.append(h('div', { class: 'cards' },
    price ? cp.card(say('price'), price.value, cp.unitLabel('yuan/equivalent')) : null,
    average ? cp.card(say('average'), cp.grouped(average), say('per_head_axis')) : null,
    ['fund', 'distributable', 'risk_fund.closing'].filter((c) => own.has(c))
      .map((c) => cp.card(say(c), cp.grouped(own.get(c).value), cp.unitLabel('yuan')))));
  const duo = h('div', { class: 'duo half' });
  const left = h('div');
  const right = h('div');
  duo.append(left, right);
  box.append(duo);
  // Institutions down the side (their names are long), the largest payment on top.
  cp.chart(left, {
    grid: { left: 20, right: 30, top: 76, bottom: 40, containLabel: true },
    legend: { top: 0, data: [say('paid'), say('per_capita')] },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { interval: 0 } },
    xAxis: [{ type: 'value', name: say('paid') + ' (' + cp.unitLabel('yuan') + ')', position: 'bottom', nameLocation: 'middle', nameGap: 26 },
      { type: 'value', name: say('per_capita') + ' (' + say('per_head_axis') + ')', position: 'top',
        nameLocation: 'middle', nameGap: 26, splitLine: { show: false } }],
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps) => {
      const r = rows[ps[0].dataIndex];
      return [r.name, say('paid') + ' ' + cp.grouped(r.paid), say('per_capita') + ' ' + cp.grouped(r.perCapita),
        say('equivalents') + ' ' + cp.grouped(r.equivalents)].join('<br>');
    } },
    series: [
      { type: 'bar', name: say('paid'), xAxisIndex: 0, data: rows.map((r) => cp.point(r.paid)), barMaxWidth: 14 },
      { type: 'bar', name: say('per_capita'), xAxisIndex: 1, data: rows.map((r) => cp.point(r.perCapita)), barMaxWidth: 14,
        markLine: average ? { silent: true, symbol: 'none', lineStyle: { color: '#b3261e', type: 'dashed' },
          label: { show: false }, data: [{ xAxis: Number(average) }] } : undefined },
    ],
  }, Math.max(320, 130 + rows.length * 30));
  right.append(cp.table([
    { label: t('institution'), value: (r) => r.name, sort: (r) => r.name },
    { label: say('equivalents'), num: true, value: (r) => cp.grouped(r.equivalents), sort: (r) => Number(r.equivalents) },
    { label: say('paid'), num: true, value: (r) => cp.grouped(r.paid), sort: (r) => Number(r.paid) },
    { label: say('population'), num: true, value: (r) => cp.grouped(r.population === null ? null : String(r.population)), sort: (r) => r.population },
    { label: say('per_capita'), num: true, value: (r) => cp.grouped(r.perCapita), sort: (r) => Number(r.perCapita) },
  ], rows, { sortable: true }));
  if (price) box.append(h('p', { class: 'muted' }, say('caption', price.value)));
});
