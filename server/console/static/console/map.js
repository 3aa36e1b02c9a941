/* The map page (POLICIES.md §8): a county's grids (or towns) coloured by an indicator for a month,
   its institutions as points on top, hover details, and every number in a sortable table beside
   the map. It reads `county.map`, the GeoJSON the API serves; the shapes are fetched once, then
   only the values again (geometry: false) when the indicator or the month changes. The polygons
   are the map: no tiles, nothing from elsewhere. */
countypay.start(async (main, args) => {
  const cp = countypay;
  const { t, h } = cp;
  const url = new URL(location.href);
  const level = url.searchParams.get('level') === 'TOWN' ? 'TOWN' : 'GRID';
  const levelName = t('map.level.' + level);
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const ask = (indicator, period, geometry) => cp.gql(`query($c: String!, $l: MapLevel!, $i: String, $p: Period,
      $g: Boolean!, $t: Boolean!) {
    county(code: $c) { code nameZh nameEn province { nameZh nameEn }
      map(level: $l, indicator: $i, period: $p, geometry: $g)
      towns: map(level: TOWN, geometry: $t) @include(if: $g) } }`,
  { c: args.code, l: level, i: indicator, p: period, g: geometry, t: geometry && level === 'GRID' });

  let d = await ask(url.searchParams.get('indicator'), url.searchParams.get('period'), true);
  const county = d.county;
  document.title = t('map.title') + ' · ' + cp.name(county) + ' · countypay';
  main.append(h('h1', null, cp.name(county), ' · ', t('map.title')),
    h('p', { class: 'sub' }, h('a', { href: '/counties/' + encodeURIComponent(county.code) }, cp.name(county)), ' · ',
      cp.name(county.province), ' · ', t('map.sub', levelName)));
  const areas = county.map.features.filter((f) => f.properties.kind !== 'institution');
  const points = county.map.features.filter((f) => f.properties.kind === 'institution');
  const towns = level === 'GRID' && county.towns ? county.towns.features.filter((f) => f.properties.kind === 'town') : [];
  if (!areas.length) {
    main.append(cp.notice(t('map.none')));
    return;
  }

  // Which area each institution stands in (ray casting over every ring: holes count too).
  const within = (p, polygon) => {
    let odd = false;
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) odd = !odd;
      }
    }
    return odd;
  };
  const polygons = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
  const byCode = new Map(areas.map((f) => [f.properties.code, { ...f.properties, institutions: [] }]));
  for (const p of points) {
    const area = areas.find((f) => polygons(f.geometry).some((poly) => within(p.geometry.coordinates, poly)));
    p.properties.area = area ? area.properties.code : null;
    if (area) byCode.get(area.properties.code).institutions.push(p.properties);
  }

  // ---- the controls: indicator and month (the periods with values), and the level when both have values
  const form = h('form', { class: 'controls' });
  const indicatorSelect = h('select', { name: 'indicator' });
  const periodSelect = h('select', { name: 'period' });
  form.append(h('label', null, t('indicator'), indicatorSelect), h('label', null, t('period'), periodSelect));
  const levels = county.towns && county.towns.indicators.length ? ['GRID', 'TOWN'] : level === 'TOWN' ? ['GRID', 'TOWN'] : [];
  if (levels.length) {
    const levelSelect = h('select', { name: 'level' }, levels.map((l) => h('option', { value: l, selected: l === level }, t('map.level.' + l))));
    levelSelect.addEventListener('change', () => {
      url.searchParams.set('level', levelSelect.value);
      location.assign(url);
    });
    form.append(h('label', null, t('map.level'), levelSelect));
  }
  main.append(form);
  const fill = (m) => {
    indicatorSelect.replaceChildren(...m.indicators.map((i) => h('option', { value: i.code, selected: m.indicator && i.code === m.indicator.code },
      cp.name(i) + ' (' + i.code + ')')));
    const chosen = m.indicators.find((i) => m.indicator && i.code === m.indicator.code);
    periodSelect.replaceChildren(...(chosen ? chosen.periods : []).map((p) => h('option', { value: p, selected: p === m.period }, p)));
  };
  fill(county.map);

  const cards = h('div', { class: 'cards' });
  const duo = h('div', { class: 'duo half' });
  const left = h('div', { 'data-chart': 'map' });
  const right = h('div');
  duo.append(left, right);
  main.append(cards, duo);

  // ---- the map
  let chart = null;
  const name = (p) => (cp.lang === 'en' && p.nameEn ? p.nameEn : p.name);
  const kinds = [...new Set(points.map((p) => p.properties.institutionKind))];
  const SYMBOL = { county_hospital: ['rect', 12, '#7a1f1f'], township_health_centre: ['diamond', 10, '#12355b'],
    community_health_centre: ['diamond', 10, '#3d2b6b'], village_clinic: ['circle', 4, '#1f2933'] };
  if (!window.echarts) {
    left.append(cp.notice(t('error.echarts', args.echarts || 'echarts.min.js'), 'error'));
  } else {
    const el = h('div', { class: 'chart', style: 'height:760px' });
    left.append(el);
    const mapName = 'countypay:' + county.code + ':' + level;
    window.echarts.registerMap(mapName, { type: 'FeatureCollection', features: areas });
    const lats = areas.flatMap((f) => polygons(f.geometry).flatMap((poly) => poly[0].map((p) => p[1])));
    const middle = (Math.min(...lats) + Math.max(...lats)) / 2;
    chart = window.echarts.init(el, null, { renderer: 'canvas', locale: cp.lang === 'zh' ? 'ZH' : 'EN' });
    const centre = (g) => {  // the mean of the outline's corners: inside a convex town, near it otherwise
      const ring = polygons(g)[0][0].slice(1);
      return [ring.reduce((a, p) => a + p[0], 0) / ring.length, ring.reduce((a, p) => a + p[1], 0) / ring.length];
    };
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: 'inherit' },
      tooltip: { trigger: 'item', confine: true, formatter: (p) => (p.data && p.data.tip ? p.data.tip() : '') },
      legend: { top: 4, left: 8, data: [...kinds.map((k) => t('kind.' + k)), ...(towns.length ? [t('map.towns')] : [])] },
      geo: { map: mapName, nameProperty: 'code', roam: true, aspectScale: Math.cos((middle * Math.PI) / 180),
        top: 44, bottom: 12, left: 'center', selectedMode: false,  // the width follows the shape's aspect
        itemStyle: { areaColor: '#e6e9ed', borderColor: '#ffffff', borderWidth: 0.6 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: '#ffd666', borderColor: '#1f2933', borderWidth: 1 } } },
      visualMap: { type: 'continuous', seriesIndex: 0, left: 10, bottom: 16, calculable: true, itemHeight: 120,
        text: ['', ''], formatter: (v) => cp.figure(v.toFixed(4), 'ratio') },
      series: [
        { type: 'map', geoIndex: 0, map: mapName, nameProperty: 'code', name: levelName, data: [] },
        ...(towns.length ? [{ type: 'lines', name: t('map.towns'), coordinateSystem: 'geo', polyline: true, silent: true, z: 3,
          lineStyle: { color: '#1f2933', width: 1.4, opacity: 0.9 },
          data: towns.flatMap((f) => polygons(f.geometry).map((poly) => ({ coords: poly[0] }))) },
        { type: 'scatter', name: t('map.towns'), coordinateSystem: 'geo', silent: true, symbolSize: 0, z: 4,
          label: { show: true, formatter: (p) => p.data.label, fontSize: 11, color: '#1f2933', backgroundColor: 'rgba(255,255,255,0.75)',
            padding: [1, 3], borderRadius: 2, offset: [0, -12] },
          data: towns.map((f) => ({ value: centre(f.geometry), label: name(f.properties).replace(/(社区卫生服务中心|卫生院| Community Health Centre| Health Centre)$/, '') })) }] : []),
        ...kinds.map((k) => {
          const [symbol, size, color] = SYMBOL[k] || ['triangle', 7, '#8c6d31'];
          return { type: 'scatter', name: t('kind.' + k), coordinateSystem: 'geo', symbol, symbolSize: size, z: 5,
            itemStyle: { color, borderColor: '#fff', borderWidth: size > 5 ? 1 : 0.4 },
            data: points.filter((p) => p.properties.institutionKind === k).map((p) => ({ value: p.geometry.coordinates, info: p.properties,
              tip: () => pointTip(p.properties) })) };
        }),
      ],
    });
    window.addEventListener('resize', () => chart.resize());
  }

  let current = county.map;
  // Tooltips are HTML: every name and figure in them is escaped.
  const esc = (s) => h('span', null, s).innerHTML;
  const lines = (...parts) => parts.filter(Boolean).join('<br>');
  function pointTip(p) {
    const area = p.area && byCode.get(p.area);
    const ind = current.indicator;
    return lines('<strong>' + esc(name(p)) + '</strong> (' + esc(t('kind.' + p.institutionKind) + ', ' + p.code) + ')',
      area ? esc(t('map.in_area', levelName) + ': ' + name(area) + (ind ? ' · ' + cp.name(ind) + ' ' + cp.figure(area.value, ind.unit) : '')) : '');
  }
  function areaTip(a) {
    const ind = current.indicator;
    const shown = a.value === null ? (a.text || t('map.no_value')) : cp.figure(a.value, ind ? ind.unit : null);
    const inside = a.institutions.map((i) => name(i));
    return lines('<strong>' + esc(name(a)) + '</strong> (' + esc(a.code) + ')',
      ind ? esc(cp.name(ind) + ' · ' + current.period + ': ') + '<b>' + esc(shown) + '</b>' : esc(t('map.no_values')),
      inside.length ? esc(t('map.institutions') + ': ' + inside.slice(0, 4).join(', ') + (inside.length > 4 ? ' …' : '')) : '');
  }

  // ---- values: the colours, the cards and the table
  function show(m) {
    current = m;
    for (const f of m.features) if (byCode.has(f.properties.code) && f.properties.kind !== 'institution') {
      Object.assign(byCode.get(f.properties.code), { value: f.properties.value, text: f.properties.text });
    }
    const rows = [...byCode.values()];
    const valued = rows.filter((a) => a.value !== null);
    const ind = m.indicator;
    const unit = ind ? ind.unit : null;
    cards.replaceChildren();
    if (!ind) right.replaceChildren(cp.notice(t('map.no_values')));
    const sorted = cp.sortBy(valued, (a) => Number(a.value), false);
    const lowest = sorted[0];
    const highest = sorted[sorted.length - 1];
    cards.append(cp.card(cap(t('map.areas', levelName)), cp.grouped(String(rows.length))),
      cp.card(cap(t('map.valued', levelName)), cp.grouped(String(valued.length))),
      lowest ? cp.card(t('map.lowest'), cp.figure(lowest.value, unit) + ' ' + name(lowest)) : null,
      highest ? cp.card(t('map.highest'), cp.figure(highest.value, unit) + ' ' + name(highest)) : null,
      valued.length ? cp.card(cap(t('map.mean', levelName)), cp.figure(cp.divide(cp.sum(valued.map((a) => a.value)), String(valued.length), 4), unit)) : null,
      cp.card(t('map.institutions'), cp.grouped(String(points.length))));
    if (chart) {
      const numbers = valued.map((a) => Number(a.value));
      const lo = numbers.length ? Math.floor(Math.min(...numbers) * 100) / 100 : 0;
      const hi = numbers.length ? Math.ceil(Math.max(...numbers) * 100) / 100 : 1;
      const colours = ind && ind.direction === 'lower' ? ['#3a9e5f', '#f2d16b', '#c23b3b']
        : ind && ind.direction === 'higher' ? ['#c23b3b', '#f2d16b', '#3a9e5f'] : ['#dbe7f4', '#1d5fa8'];
      chart.setOption({
        visualMap: { min: lo, max: hi, range: [lo, hi], inRange: { color: colours }, show: !!numbers.length,
          formatter: (v) => cp.figure(v.toFixed(4), unit) },
        series: [{ data: rows.map((a) => ({ name: a.code, value: a.value === null ? NaN : Number(a.value), tip: () => areaTip(a) })) }],
      });
    }
    if (!ind) return;
    right.replaceChildren(h('h3', null, cp.name(ind), ' · ', m.period, ' · ', t('map.table', levelName),
      ind.direction ? h('span', { class: 'muted' }, ' · ' + t('direction.' + ind.direction)) : null),
    cp.table([
      { label: cap(levelName), value: (a) => name(a), sort: (a) => a.code },
      { label: t('code'), value: (a) => a.code, sort: (a) => a.code },
      { label: t('value'), num: true, value: (a) => (a.value === null ? (a.text || '—') : cp.figure(a.value, unit)), sort: (a) => (a.value === null ? null : Number(a.value)) },
      { label: t('map.institutions'), wrap: true, value: (a) => a.institutions.map((i) => name(i)).join(', ') || '—', sort: (a) => a.institutions.length },
    ], cp.sortBy(rows, (a) => (a.value === null ? null : Number(a.value)), false), { sortable: true, class: 'areas' }));
    const scroll = right.querySelector('.scroll');
    if (scroll) scroll.style.maxHeight = '720px';
    url.searchParams.set('indicator', ind.code);
    url.searchParams.set('period', m.period);
    history.replaceState(null, '', url);
  }
  show(county.map);

  async function change(keepPeriod) {
    try {
      d = await ask(indicatorSelect.value, keepPeriod ? periodSelect.value : null, false);
    } catch (e) {
      right.replaceChildren(cp.notice(e.message, 'error'));
      return;
    }
    fill(d.county.map);
    show(d.county.map);
  }
  indicatorSelect.addEventListener('change', () => change(false));
  periodSelect.addEventListener('change', () => change(true));
  form.addEventListener('submit', (e) => e.preventDefault());
});
