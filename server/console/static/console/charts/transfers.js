/* Money passed down a chain of hops within a deadline (POLICIES.md §5.2, Qinghai's 30-day rule):
   the days each hop took against the deadline line (`deadline_days` of the run's parameters, as
   the traces give it), late hops in red, hops the rule does not time in grey; the hops' dates and
   amounts and the tasks with their due dates in tables. Fits components with `days` and
   `late_days` lines. */
countypay.charts.register('transfers', ['days', 'late_days'], async (box, ctx) => {
  const cp = countypay;
  const { t, h } = cp;
  const { say } = ctx;
  const paren = (s) => (cp.lang === 'en' ? ' (' + s + ')' : '（' + s + '）');
  const lines = await cp.lines(ctx.run.id, null, 'entity code unit value trace');
  const by = new Map();
  for (const l of lines) {
    if (!by.has(l.entity)) by.set(l.entity, {});
    by.get(l.entity)[l.code] = l;
  }
  const hops = [];
  const tasks = [];
  let deadline = null;
  for (const [entity, own] of by) {
    if (entity === 'county') continue;
    const late = own.late_days;
    if (late && late.trace && late.trace.parameters && late.trace.parameters.deadline_days !== undefined) deadline = late.trace.parameters.deadline_days;
    if (own.days) {
      const dates = own.days.trace.inputs || {};
      hops.push({ entity, name: say(entity), days: own.days.value, late: late ? late.value : '0',
        timed: !!(late && late.trace.result && late.trace.result.on_deadline), received: dates.received_on, sent: dates.sent_on,
        amount: own.amount_sent ? own.amount_sent.value : null, shortfall: own.shortfall ? own.shortfall.value : null,
        full: !!(own.shortfall && own.shortfall.trace.result && own.shortfall.trace.result.full_pass_through) });
    } else if (late) {
      tasks.push({ entity, body: (late.trace.result && late.trace.result.body) || '', due: late.trace.inputs.due,
        done: late.trace.inputs.done_on, late: late.value });
    }
  }
  const county = by.get('county') || {};
  const lateBadge = (days) => (Number(days) > 0 ? h('span', { class: 'badge error' }, say('late') + ' ' + days) : h('span', { class: 'badge approved' }, say('on_time')));
  box.append(h('div', { class: 'cards' },
    county.compliant ? cp.card(say('compliant'), county.compliant.value === '1' ? t('yes') : t('no')) : null,
    deadline !== null ? cp.card(say('deadline'), String(deadline), cp.unitLabel('day')) : null,
    cp.card(say('late_hops'), String(hops.filter((x) => Number(x.late) > 0).length) + ' / ' + hops.length),
    tasks.length ? cp.card(say('late_tasks'), String(tasks.filter((x) => Number(x.late) > 0).length) + ' / ' + tasks.length) : null,
    county.shortfall ? cp.card(say('shortfall'), cp.grouped(county.shortfall.value), cp.unitLabel('yuan')) : null));

  const colour = (x) => (Number(x.late) > 0 ? '#b3261e' : x.timed ? '#3a9e5f' : '#9aa5b1');
  cp.chart(box, {
    grid: { left: 20, right: 150, top: 36, bottom: 44, containLabel: true },
    yAxis: { type: 'category', inverse: true, data: hops.map((x) => x.name), axisLabel: { interval: 0 } },
    xAxis: { type: 'value', name: cp.unitLabel('day'), nameLocation: 'middle', nameGap: 26,
      max: (v) => Math.ceil((Math.max(v.max, deadline || 0) + 5) / 10) * 10 },
    tooltip: { trigger: 'item', formatter: (p) => {
      const x = hops[p.dataIndex];
      return [x.name, x.received + ' → ' + x.sent, say('days') + ' ' + x.days,
        x.timed ? say('late_days') + ' ' + x.late : say('untimed')].join('<br>');
    } },
    series: [{ type: 'bar', name: say('days'), barMaxWidth: 26,
      data: hops.map((x) => cp.point(x.days, { itemStyle: { color: colour(x) } })),
      label: { show: true, position: 'right', formatter: (p) => {
        const x = hops[p.dataIndex];
        return x.days + ' ' + cp.unitLabel('day') + (Number(x.late) > 0 ? paren(say('late') + ' ' + x.late) : x.timed ? '' : paren(say('untimed')));
      } },
      markLine: deadline === null ? undefined : { silent: true, symbol: 'none', lineStyle: { color: '#b3261e', type: 'dashed', width: 2 },
        label: { formatter: say('deadline_line', deadline), position: 'start', color: '#b3261e' }, data: [{ xAxis: Number(deadline) }] } }],
  }, Math.max(200, 90 + hops.length * 46));
  box.append(h('p', { class: 'muted' }, say('caption')));
  box.append(cp.table([
    { label: say('hop'), value: (x) => x.name },
    { label: say('received_on'), value: (x) => x.received || '—' },
    { label: say('sent_on'), value: (x) => x.sent || '—' },
    { label: say('days'), num: true, value: (x) => x.days },
    { label: say('timed'), value: (x) => (x.timed ? t('yes') : t('no')) },
    { label: say('late_days'), value: (x) => (x.timed ? lateBadge(x.late) : '—') },
    { label: say('amount_sent'), num: true, value: (x) => cp.grouped(x.amount) },
    { label: say('full'), value: (x) => (x.full ? t('yes') : t('no')) },
    { label: say('shortfall'), num: true, value: (x) => cp.grouped(x.shortfall) },
  ], hops, { scroll: false }));
  if (!tasks.length) return;
  box.append(h('h3', null, say('tasks')), cp.table([
    { label: say('task'), value: (x) => h('code', null, x.entity) },
    { label: say('body'), wrap: true, value: (x) => x.body },
    { label: say('due'), value: (x) => x.due, sort: (x) => x.due },
    { label: say('done_on'), value: (x) => x.done || say('not_done'), sort: (x) => x.done },
    { label: say('late_days'), value: (x) => lateBadge(x.late), sort: (x) => Number(x.late) },
  ], cp.sortBy(tasks, (x) => x.due), { sortable: true }));
});
