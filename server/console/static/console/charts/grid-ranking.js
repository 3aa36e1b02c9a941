/* Grids ranked by an index for a month (POLICIES.md §7.2, Changting's grid health index): a bar
   per grid from the highest index down, each labelled with its rank; grids that share a rank are
   drawn in their own colour and marked "=" so a tie is seen at once. The ranking in the table.
   Fits components with `index` and `rank` lines. */
countypay.charts.register('grid-ranking', ['index', 'rank'], async (box, ctx) => {
  const cp = countypay;
  const { t, h } = cp;
  const { say } = ctx;
  const [lines, names] = await Promise.all([cp.lines(ctx.run.id, null, 'entity code unit value'), cp.names(ctx.county)]);
  const grids = new Map();
  const own = new Map();
  for (const l of lines) {
    if (l.entity === 'county') { own.set(l.code, l.value); continue; }
    if (l.code !== 'index' && l.code !== 'rank') continue;
    if (!grids.has(l.entity)) grids.set(l.entity, { entity: l.entity, name: names.get(l.entity) || l.entity });
    grids.get(l.entity)[l.code] = l.value;
  }
  const rows = [...grids.values()].filter((g) => g.index !== undefined && g.rank !== undefined)
    .sort((a, b) => Number(a.rank) - Number(b.rank) || a.entity.localeCompare(b.entity));
  const sharing = new Map();
  for (const g of rows) sharing.set(g.rank, [...(sharing.get(g.rank) || []), g]);
  const tied = (g) => sharing.get(g.rank).length > 1;
  const mark = (g) => g.rank + (tied(g) ? '=' : '');
  const label = (g) => (g.name.includes(g.entity) ? g.name : g.name + ' (' + g.entity + ')');
  box.append(h('div', { class: 'cards' },
    own.has('grids') ? cp.card(say('grids'), own.get('grids')) : null,
    own.has('indexed') ? cp.card(say('indexed'), own.get('indexed')) : null,
    rows.length ? cp.card(say('top'), rows[0].index) : null,
    rows.length ? cp.card(say('bottom'), rows[rows.length - 1].index) : null,
    cp.card(say('ties'), String([...sharing.values()].filter((x) => x.length > 1).length))));
  box.append(h('h3', null, say('month', ctx.run.period)));
  const low = rows.length ? Math.floor(Number(rows[rows.length - 1].index) / 5) * 5 - 5 : 0;
  cp.chart(box, {
    grid: { left: 20, right: 20, top: 30, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: rows.map(mark), name: say('ranked'), nameLocation: 'middle', nameGap: 28,
      axisLabel: { interval: 0, fontSize: 10, rotate: rows.length > 40 ? 90 : 0 } },
    // The axis starts near the lowest index, so close indexes are told apart.
    yAxis: { type: 'value', name: say('index'), min: Math.max(0, low), max: 100, interval: 5 },
    tooltip: { trigger: 'item', formatter: (p) => {
      const g = rows[p.dataIndex];
      const others = sharing.get(g.rank).filter((x) => x !== g).map(label);
      return [label(g), say('index') + ' ' + g.index, t('rank') + ' ' + mark(g), ...(others.length ? [say('tied') + ' ' + others.join(', ')] : [])].join('<br>');
    } },
    series: [{ type: 'bar', name: say('index'), barCategoryGap: '20%',
      data: rows.map((g) => cp.point(g.index, { itemStyle: { color: tied(g) ? '#e8833a' : '#1d5fa8' } })) }],
  }, 380);
  box.append(h('p', { class: 'muted' }, say('caption')));
  box.append(cp.table([
    { label: t('rank'), num: true, value: mark, sort: (g) => Number(g.rank) },
    { label: say('grid'), value: label, sort: (g) => g.entity },
    { label: say('index'), num: true, value: (g) => g.index, sort: (g) => Number(g.index) },
    { label: say('tied'), value: (g) => sharing.get(g.rank).filter((x) => x !== g).map(label).join(', ') || '—' },
  ], rows, { sortable: true }));
});
