/* countypay console: what every page shares. Figures come from /graphql and stay exact decimal
   strings in every table and tooltip; only the charts' geometry uses binary numbers. */
(function () {
  'use strict';

  const words = JSON.parse(document.getElementById('strings').textContent);
  const args = JSON.parse(document.getElementById('args').textContent);
  const lang = document.documentElement.dataset.lang || 'zh';
  let started = false;

  /** A sentence in the page's language; {0}, {1} … take the arguments. */
  function t(key, ...values) {
    let s = words[key] !== undefined ? words[key] : key;
    values.forEach((v, i) => { s = s.split('{' + i + '}').join(String(v)); });
    return s;
  }

  /** A catalogue item's name in the page's language. */
  function name(item) {
    if (!item) return '';
    return (lang === 'en' ? item.nameEn : item.nameZh) || item.nameZh || item.code || '';
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  class ApiError extends Error {
    constructor(message, code) { super(message); this.code = code; }
  }

  /** One GraphQL request, carrying the browser's sign-in cookie. */
  async function gql(query, variables) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 120000);
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST', credentials: 'same-origin', signal: abort.signal,
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
        body: JSON.stringify({ query, variables: variables || {} }),
      });
    } catch (e) {
      throw new ApiError(abort.signal.aborted ? t('error.timeout') : t('error.network'), 'NETWORK');
    } finally {
      clearTimeout(timer);
    }
    let body = null;
    try { body = await response.json(); } catch (e) { /* not JSON: reported below */ }
    if (response.status === 401) throw new ApiError(t('error.signin'), 'UNAUTHENTICATED');
    if (!body) throw new ApiError(t('error.status', response.status), 'HTTP');
    if (body.errors && body.errors.length) {
      const e = body.errors[0];
      const code = e.extensions && e.extensions.code;
      throw new ApiError(code === 'FORBIDDEN' || code === 'UNAUTHENTICATED' ? t('error.signin') : e.message, code);
    }
    return body.data;
  }

  /** Every page of a connection: `get(after)` returns the connection. */
  async function all(get, limit) {
    const items = [];
    let after = null;
    for (let i = 0; i < (limit || 50); i++) {
      const page = await get(after);
      items.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) return items;
      after = page.pageInfo.endCursor;
    }
    return items;
  }

  /** The lines of a run, all pages, optionally of one code or entity. */
  function lines(run, filter, fields) {
    const q = `query($id: ID!, $entity: String, $code: String, $after: String) { settlement(id: $id) {
      lines(entity: $entity, code: $code, first: 1000, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { ${fields || 'entity code unit value'} } } } }`;
    return all(async (after) => (await gql(q, Object.assign({ id: run, after }, filter || {}))).settlement.lines);
  }

  const nameCache = {};
  /** code → display name of a county's communities, institutions and units (for chart labels). */
  function names(county) {
    if (!nameCache[county]) {
      const page = (field) => all(async (after) => (await gql(`query($c: String!, $after: String) { county(code: $c) {
        ${field}(first: 1000, after: $after) { pageInfo { hasNextPage endCursor } nodes { code nameZh nameEn } } } }`,
      { c: county, after })).county[field]);
      nameCache[county] = Promise.all([
        gql('query($c: String!) { county(code: $c) { communities { code nameZh nameEn } } }', { c: county }),
        page('institutions'), page('units'),
      ]).then(([d, institutions, units]) => {
        const map = new Map();
        for (const x of [...d.county.communities, ...institutions, ...units]) map.set(x.code, name(x));
        map.set('county', t('entity.county'));
        return map;
      });
    }
    return nameCache[county];
  }

  // ---- exact decimals (strings in, strings out; BigInt inside)

  function parse(s) {
    const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(String(s));
    if (!m || (m[2] === '' && !m[3])) return null;
    const frac = m[3] || '';
    const n = BigInt((m[2] || '0') + frac);
    return { n: m[1] === '-' ? -n : n, scale: frac.length };
  }

  function show(n, scale) {
    const neg = n < 0n;
    let digits = (neg ? -n : n).toString().padStart(scale + 1, '0');
    const int = digits.slice(0, digits.length - scale);
    const frac = scale ? '.' + digits.slice(digits.length - scale) : '';
    return (neg ? '-' : '') + int + frac;
  }

  /** A decimal string rounded half-up (away from zero) to `places`. */
  function fixed(s, places) {
    const d = parse(s);
    if (!d) return s === null || s === undefined ? '—' : String(s);
    if (d.scale <= places) return show(d.n * 10n ** BigInt(places - d.scale), places);
    const cut = 10n ** BigInt(d.scale - places);
    const neg = d.n < 0n;
    const a = neg ? -d.n : d.n;
    let q = a / cut;
    if ((a % cut) * 2n >= cut) q += 1n;
    return show(neg ? -q : q, places);
  }

  /** The exact sum of decimal strings. */
  function sum(values) {
    let scale = 0;
    const ds = values.map(parse).filter(Boolean);
    ds.forEach((d) => { scale = Math.max(scale, d.scale); });
    const total = ds.reduce((acc, d) => acc + d.n * 10n ** BigInt(scale - d.scale), 0n);
    return show(total, scale);
  }

  /** a / b rounded half-up to `places`, exactly (decimal strings in, a decimal string out). */
  function divide(a, b, places) {
    const x = parse(a);
    const y = parse(b);
    if (!x || !y || y.n === 0n) return null;
    // a / b = (x.n / 10^xs) / (y.n / 10^ys); scaled by 10^places
    let num = x.n * 10n ** BigInt(places + y.scale);
    let den = y.n * 10n ** BigInt(x.scale);
    if (den < 0n) { num = -num; den = -den; }
    const neg = num < 0n;
    const a_ = neg ? -num : num;
    let q = a_ / den;
    if ((a_ % den) * 2n >= den) q += 1n;
    return show(neg ? -q : q, places);
  }

  /** Thousands separators on an exact decimal string. */
  function grouped(s) {
    if (s === null || s === undefined || s === '') return '—';
    const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(s));
    if (!m) return String(s);
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] || '');
  }

  /** A ratio as a percentage, exactly: "0.9292" → "92.92 %". */
  function percent(s, places) {
    const d = parse(s);
    if (!d) return '—';
    const hundredfold = d.scale >= 2 ? show(d.n, d.scale - 2) : show(d.n * 10n ** BigInt(2 - d.scale), 0);
    return fixed(hundredfold, places === undefined ? 2 : places) + ' %';
  }

  /** A value of a GraphQL enum as the code keeps it: "SENT_BACK" → "sent_back",
      "YUAN_PER_EQUIVALENT" → "yuan/equivalent" (an enum names each stored value in upper case);
      a text that is no enum's (an indicator's unit) passes as it is. */
  function stored(v) {
    return typeof v === 'string' && /^[A-Z][A-Z0-9_]*$/.test(v) ? v.toLowerCase().replace('_per_', '/') : v;
  }

  /** A figure as people read it, by its unit: ratios as percentages, others with separators. */
  function figure(value, unit) {
    if (value === null || value === undefined) return '—';
    unit = stored(unit);
    return unit === 'ratio' || unit === 'share' ? percent(value) : grouped(value);
  }

  function unitLabel(unit) {
    unit = stored(unit);
    const key = 'unit.' + unit;
    return words[key] !== undefined ? words[key] : (unit || '');
  }

  // ---- what the pages are made of

  function notice(message, kind) {
    return h('p', { class: 'notice ' + (kind || ''), role: kind === 'error' ? 'alert' : null }, message);
  }

  function badge(status) {
    status = stored(status);
    return h('span', { class: 'badge ' + status }, t('status.' + status));
  }

  function card(label, value, unit) {
    return h('div', { class: 'card' }, h('div', { class: 'k' }, label),
      h('div', { class: 'v' }, value, unit ? h('small', { class: 'muted' }, ' ' + unit) : null));
  }

  /** A table; columns are {label, value(row) → text or node, sort(row) → key, num, wrap}. With
      `sortable`, a click on a header sorts the rows and calls onSort(rows). */
  function table(columns, rows, opts) {
    opts = opts || {};
    let order = rows.slice();
    const body = h('tbody');
    const render = () => {
      body.replaceChildren(...order.map((r) => h('tr', null,
        columns.map((c) => h('td', { class: c.num ? 'num' : c.wrap ? 'wrap' : null }, c.value(r))))));
    };
    const heads = columns.map((c, i) => {
      const th = h('th', { class: (c.num ? 'num ' : '') + (opts.sortable && c.sort ? 'sortable' : ''), scope: 'col' }, c.label);
      if (opts.sortable && c.sort) {
        th.addEventListener('click', () => {
          const down = th.getAttribute('aria-sort') !== 'descending';
          heads.forEach((x) => x.removeAttribute('aria-sort'));
          th.setAttribute('aria-sort', down ? 'descending' : 'ascending');
          order = sortBy(order, c.sort, down);
          render();
          if (opts.onSort) opts.onSort(order);
        });
      }
      return th;
    });
    render();
    const el = h('table', { class: opts.class || null }, h('thead', null, h('tr', null, heads)), body);
    return opts.scroll === false ? el : h('div', { class: 'scroll' }, el);
  }

  function sortBy(rows, key, descending) {
    const keyed = rows.map((r, i) => [key(r), i, r]);
    keyed.sort((a, b) => {
      const x = a[0], y = b[0];
      const missing = (x === null || x === undefined) - (y === null || y === undefined);
      if (missing) return missing;  // rows without a value last, either way
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), lang);
      return (descending ? -c : c) || a[1] - b[1];
    });
    return keyed.map((k) => k[2]);
  }

  const palette = ['#1d5fa8', '#e8833a', '#3a9e5f', '#c23b3b', '#7a5cb8', '#8c6d31', '#2a9d9d', '#d16ba5'];

  /** An ECharts chart (SVG, no animation: drawn at once, crisp when printed) in `box`. */
  function chart(box, option, height) {
    if (!window.echarts) {
      box.append(notice(t('error.echarts', args.echarts || 'echarts.min.js'), 'error'));
      return null;
    }
    const el = h('div', { class: 'chart', style: 'height:' + (height || 360) + 'px' });
    box.append(el);
    const c = window.echarts.init(el, null, { renderer: 'svg', locale: lang === 'zh' ? 'ZH' : 'EN' });
    c.setOption(Object.assign({ animation: false, color: palette, textStyle: { fontFamily: 'inherit' },
      tooltip: { trigger: 'axis', confine: true } }, option));
    window.addEventListener('resize', () => c.resize());
    return c;
  }

  /** A chart's series value: a number for the geometry, the exact string kept for tooltips. */
  function point(value, extra) {
    return Object.assign({ value: value === null || value === undefined ? null : Number(value), exact: value }, extra || {});
  }

  /** A trace in words: the step and formula, then each input, parameter and finding. */
  function explain(trace) {
    if (!trace || typeof trace !== 'object') return h('span', null, words_(trace));
    const dl = h('dl', { class: 'explain' });
    const add = (label, value) => { if (value !== undefined && value !== null && value !== '') dl.append(h('dt', null, label), h('dd', null, value)); };
    add(t('trace.step'), trace.step);
    add(t('trace.formula'), trace.formula);
    for (const part of ['inputs', 'parameters', 'result']) {
      const items = trace[part];
      if (items && typeof items === 'object' && Object.keys(items).length) add(t('trace.' + part), listing(items));
    }
    return dl;
  }

  function words_(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
    if (Array.isArray(v)) {
      if (!v.length) return t('none');
      return v.every((x) => x === null || typeof x !== 'object') ? v.map(words_).join(', ')
        : v.every((x) => Array.isArray(x)) ? v.map((x) => '(' + words_(x) + ')').join('; ') : null;
    }
    if (typeof v === 'object') return null;
    return String(v);
  }

  function listing(value) {
    const flat = words_(value);
    if (flat !== null) return flat;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i + 1), v]) : Object.entries(value);
    return h('ul', null, entries.map(([k, v]) => h('li', null, h('code', null, k), ': ', listing(v))));
  }

  /** The charts: each module registers its name, the line codes a component must declare for it
      to fit, and how it draws; `pick` takes the line codes a component declares and gives the first
      module that fits, else the generic one. */
  const charts = {
    modules: [],
    register(name, needs, draw) { this.modules.push({ name, needs, draw }); },
    pick(codes) {
      const set = new Set(codes);
      return this.modules.find((m) => m.name !== 'generic' && m.needs.every((c) => set.has(c)))
        || this.modules.find((m) => m.name === 'generic');
    },
    /** Draw the chart of a run into `box`; a failure is said in the box, the page goes on. The
        module's `say` gives its own words (chart.<its name>.<key> in strings.yaml), else the key. */
    async draw(box, codes, ctx) {
      const m = this.pick(codes);
      const area = h('div', { class: 'chart-area', 'data-chart': m ? m.name : 'none' });
      box.append(area);
      if (!m) return;
      const say = (key, ...values) => {
        const own = 'chart.' + m.name + '.' + key;
        return words[own] !== undefined ? t(own, ...values) : key;
      };
      try {
        await m.draw(area, { ...ctx, say });
      } catch (e) {
        area.append(notice(e.message || String(e), 'error'));
      }
    },
  };

  /** Runs the page's main(main element, args) once the scripts are in, saying what went wrong. */
  function start(main) {
    started = true;
    const root = document.getElementById('main');
    const boot = document.getElementById('boot');
    if (boot) boot.remove();
    // data-state on <main> says when the page is complete (ready) or has said why not (failed).
    Promise.resolve().then(() => main(root, args)).then(() => { root.dataset.state = 'ready'; }, (e) => {
      root.append(notice(e.message || String(e), 'error'));
      if (e.code === 'UNAUTHENTICATED') root.append(h('p', null, h('a', { href: '/signin?next=' + encodeURIComponent(location.pathname) }, t('sign_in'))));
      root.dataset.state = 'failed';
    });
  }

  /** A section that says it is loading until `fill` has put its content in. */
  async function section(parent, title, fill) {
    const box = h('section', null, title ? h('h2', null, title) : null);
    const wait = h('p', { class: 'loading' }, t('loading'));
    box.append(wait);
    parent.append(box);
    try {
      await fill(box);
    } catch (e) {
      box.append(notice(e.message || String(e), 'error'));
    } finally {
      wait.remove();
    }
    return box;
  }

  window.addEventListener('load', () => {
    if (started) return;
    const root = document.getElementById('main');
    const boot = document.getElementById('boot');
    if (boot) boot.remove();
    root.append(notice(t('error.script'), 'error'));
    root.dataset.state = 'failed';
  });

  window.countypay = {
    t, name, h, gql, all, lines, names, fixed, sum, divide, grouped, percent, figure, unitLabel, stored, notice, badge, card,
    table, sortBy, chart, point, explain, charts, start, section, palette, lang, args, ApiError,
  };
})();
