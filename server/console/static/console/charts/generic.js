/* Any component's lines: the county's own figures, and one line code across the entities (a bar
   each, largest first) with a choice of code. Drawn for every component no other module fits. */
countypay.charts.register('generic', [], async (box, ctx) => {
  const cp = countypay;
  const { t, h } = cp;
  const { say } = ctx;
  const [sample, names] = await Promise.all([cp.gql(`query($id: ID!) { settlement(id: $id) {
    county: lines(entity: "county", first: 200) { nodes { code unit value } }
    sample: lines(first: 1000) { nodes { entity code unit } } } }`, { id: ctx.run.id }), cp.names(ctx.county)]);
  const own = sample.settlement.county.nodes;
  if (own.length) {
    box.append(h('h3', null, say('county_lines')), h('div', { class: 'cards' },
      own.slice(0, 8).map((l) => cp.card(l.code, cp.figure(l.value, l.unit),
        cp.stored(l.unit) === 'ratio' ? '' : cp.unitLabel(l.unit)))));
    if (own.length > 8) {
      box.append(cp.table([
        { label: t('code'), value: (l) => h('code', null, l.code) },
        { label: t('value'), num: true, value: (l) => cp.figure(l.value, l.unit) },
        { label: t('unit'), value: (l) => cp.unitLabel(l.unit) },
      ], own));
    }
  }
  // Line codes of the entities, the most widely held first; `paid` or `total` when there is one.
  const count = new Map();
  const units = new Map();
  for (const l of sample.settlement.sample.nodes) {
    if (l.entity === 'county') continue;
    count.set(l.code, (count.get(l.code) || 0) + 1);
    units.set(l.code, l.unit);
  }
  const codes = [...count.keys()].sort((a, b) => count.get(b) - count.get(a) || a.localeCompare(b));
  if (!codes.length) return;
  const preferred = ['paid', 'total', 'score', 'index'].find((c) => count.has(c)) || codes[0];
  const select = h('select', { name: 'code' }, codes.map((c) => h('option', { value: c, selected: c === preferred }, c)));
  const out = h('div');
  box.append(h('form', { class: 'controls' }, h('label', null, say('line_code'), select)), out);

  async function draw() {
    const code = select.value;
    out.replaceChildren(h('p', { class: 'loading' }, t('loading')));
    const rows = cp.sortBy(await cp.lines(ctx.run.id, { code }), (l) => Number(l.value), true)
      .filter((l) => l.entity !== 'county');
    const unit = units.get(code);
    out.replaceChildren();
    const duo = h('div', { class: 'duo' });
    const left = h('div');
    const right = h('div');
    duo.append(left, right);
    out.append(duo);
    // A few entities: down the side with their names; many: along the bottom, named in the table.
    const few = rows.length <= 30;
    const labels = rows.map((l) => names.get(l.entity) || l.entity);
    const categories = few ? { type: 'category', inverse: true, data: labels, axisLabel: { interval: 0 } }
      : { type: 'category', data: labels, axisLabel: { show: false }, name: say('by_value', rows.length), nameLocation: 'middle', nameGap: 12 };
    const values = few ? { type: 'value', name: cp.unitLabel(unit), nameLocation: 'middle', nameGap: 26 }
      : { type: 'value', name: cp.unitLabel(unit) };
    cp.chart(left, {
      grid: { left: 20, right: 30, top: 30, bottom: few ? 36 : 24, containLabel: true },
      xAxis: few ? values : categories,
      yAxis: few ? categories : values,
      tooltip: { trigger: 'item', formatter: (p) => p.name + '<br>' + code + ': ' + cp.figure(p.data.exact, unit) },
      series: [{ type: 'bar', name: code, data: rows.map((l) => cp.point(l.value)), barMaxWidth: few ? 16 : 40 }],
    }, few ? Math.max(240, 70 + rows.length * 24) : 360);
    right.append(cp.table([
      { label: t('entity'), value: (l) => names.get(l.entity) || l.entity, sort: (l) => names.get(l.entity) || l.entity },
      { label: t('code'), value: (l) => l.entity },
      { label: code, num: true, value: (l) => cp.figure(l.value, unit), sort: (l) => Number(l.value) },
    ], rows, { sortable: true }));
  }
  select.addEventListener('change', draw);
  await draw();
});
