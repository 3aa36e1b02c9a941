/* An assessment on many indicators with a score and a grade (POLICIES.md §6.1, Chengwu's 32
   indicators): the score on the grades' bands, and a scorecard of the indicators, each met or not
   with the points it earned out of its weight; values, targets and points in the table. Fits
   components with `score` and `grade` lines (the grade's name is in the grade line's trace). */
countypay.charts.register('scorecard', ['score', 'grade'], async (box, ctx) => {
  const cp = countypay;
  const { t, h } = cp;
  const { say } = ctx;
  const lines = await cp.lines(ctx.run.id, null, 'entity code unit value trace');
  const names = await cp.names(ctx.county);
  const by = new Map();
  for (const l of lines) {
    if (!by.has(l.entity)) by.set(l.entity, new Map());
    by.get(l.entity).set(l.code, l);
  }
  const entities = [...by.keys()].filter((e) => e !== 'county' && by.get(e).has('score'));
  const county = by.get('county') || new Map();
  /** A weight as the trace writes it ("25/8", "5") to 2 decimals, half-up like the points. */
  const weight = (w) => {
    const [a, b] = String(w).split('/');
    return b ? cp.divide(a, b, 2) : cp.fixed(a, 2);
  };
  const out = h('div');
  if (entities.length > 1) {
    const select = h('select', { name: 'entity' }, entities.map((e) => h('option', { value: e }, names.get(e) || e)));
    select.addEventListener('change', () => card(select.value));
    box.append(h('div', { class: 'cards' }, county.has('mean_score') ? cp.card(say('mean'), county.get('mean_score').value, cp.unitLabel('score')) : null),
      h('form', { class: 'controls' }, h('label', null, say('entity'), select)));
  }
  box.append(out);
  if (entities.length) card(entities[0]);

  function card(entity) {
    out.replaceChildren();
    const own = by.get(entity);
    const score = own.get('score');
    const grade = own.get('grade');
    const order = (score.trace.inputs && score.trace.inputs.indicators)
      || [...own.keys()].filter((c) => c.endsWith('.met')).map((c) => c.slice(0, -4));
    const rows = order.filter((c) => own.has(c + '.met')).map((c) => {
      const met = own.get(c + '.met');
      const points = own.get(c + '.points');
      const shown = met.trace.inputs || {};
      return { code: c, met: met.value === '1', value: shown.value, target: shown.target,
        points: points ? points.value : null, weight: weight(met.trace.parameters.weight) };
    });
    const result = grade.trace.result || {};
    const grades = (grade.trace.parameters && grade.trace.parameters.grades) || [];
    out.append(h('h3', null, names.get(entity) || entity), h('div', { class: 'cards' },
      cp.card(say('score'), score.value, cp.unitLabel('score')),
      cp.card(say('grade'), result.grade || grade.value, say('at_least', result.threshold || grade.value)),
      cp.card(say('met_count'), rows.filter((r) => r.met).length + ' / ' + rows.length)));

    // The score on the grades' bands, the highest grade on the right.
    const top = Math.max(100, ...grades.map(([t]) => Number(t)));
    const bands = cp.sortBy(grades, ([t]) => Number(t)).map(([t, name], i, all) => [
      { xAxis: Number(t), name, itemStyle: { color: ['#fdf0ef', '#fff8ec', '#eef4fb', '#eff8ef'][Math.min(i, 3)] } },
      { xAxis: i + 1 < all.length ? Number(all[i + 1][0]) : top }]);
    cp.chart(out, {
      grid: { left: 20, right: 30, top: 16, bottom: 28, containLabel: true },
      xAxis: { type: 'value', min: 0, max: top },
      yAxis: { type: 'category', data: [say('score')] },
      tooltip: { trigger: 'item', formatter: () => say('score') + ' ' + score.value + '<br>' + say('grade') + ' ' + (result.grade || '') },
      series: [{ type: 'bar', name: say('score'), barWidth: 16, data: [cp.point(score.value, { itemStyle: { color: '#12355b' } })],
        label: { show: true, position: 'right', formatter: score.value + ' · ' + (result.grade || '') },
        markArea: { silent: true, label: { position: 'insideTop', color: '#333', distance: 6 }, data: bands } }],
    }, 150);

    // The scorecard: what each indicator could earn behind what it earned.
    const met = (r) => (r.met ? '#3a9e5f' : '#b3261e');
    cp.chart(out, {
      grid: { left: 20, right: 20, top: 40, bottom: 30, containLabel: true },
      legend: { top: 0, data: [say('possible'), say('earned')] },
      xAxis: { type: 'category', data: rows.map((r) => r.code), axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: 'value', name: cp.unitLabel('score') },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: (ps) => {
        const r = rows[ps[0].dataIndex];
        return [r.code + ' · ' + (r.met ? say('yes') : say('no')), say('value') + ' ' + (r.value || say('missing')),
          t('target') + ' ' + (r.target || '—'), say('points') + ' ' + cp.grouped(r.points) + ' / ' + r.weight].join('<br>');
      } },
      series: [
        { type: 'bar', name: say('possible'), barMaxWidth: 22, itemStyle: { color: '#c8e3cf' },
          data: rows.map((r) => cp.point(r.weight, { itemStyle: { color: r.met ? '#c8e3cf' : '#f2c4c0' } })) },
        { type: 'bar', name: say('earned'), barMaxWidth: 22, barGap: '-100%', itemStyle: { color: '#3a9e5f' },
          data: rows.map((r) => cp.point(r.points, { itemStyle: { color: met(r) } })) },
      ],
    }, 300);
    out.append(h('p', { class: 'muted' }, say('caption')));
    out.append(cp.table([
      { label: t('indicator'), value: (r) => h('code', null, r.code), sort: (r) => r.code },
      { label: say('value'), value: (r) => r.value || say('missing') },
      { label: t('target'), value: (r) => r.target || '—' },
      { label: say('met'), value: (r) => h('span', { class: 'badge ' + (r.met ? 'approved' : 'error') }, r.met ? say('yes') : say('no')),
        sort: (r) => (r.met ? 1 : 0) },
      { label: say('points'), num: true, value: (r) => cp.grouped(r.points), sort: (r) => Number(r.points) },
      { label: say('weight'), num: true, value: (r) => r.weight, sort: (r) => Number(r.weight) },
    ], rows, { sortable: true }));
  }
});
