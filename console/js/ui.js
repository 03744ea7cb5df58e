// DOM building, number formatting and in-place error display. No innerHTML anywhere: every
// piece of text, including what the API sends back, goes in through textContent.

/**
 * h('div', {class: 'x', on: {click: fn}, dataset: {k: v}, ...attrs}, child, ...)
 * Children may be strings, numbers, nodes, arrays or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'readOnly' ||
             k === 'selected' || k === 'multiple') el[k] = Boolean(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let idSeq = 0;
export function uid(prefix = 'f') {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

// ---- numbers ----------------------------------------------------------------------------

const fmtCache = new Map();
function nf(min, max) {
  const key = `${min}:${max}`;
  if (!fmtCache.has(key)) {
    fmtCache.set(key, new Intl.NumberFormat('en-US', {
      minimumFractionDigits: min, maximumFractionDigits: max,
    }));
  }
  return fmtCache.get(key);
}

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** 1,234.5 — fixed decimals; "—" for null. Negative numbers get a true minus sign. */
export function num(v, decimals = 1) {
  if (!isNum(v)) return '—';
  const s = nf(decimals, decimals).format(Math.abs(v));
  return v < 0 && Number(s.replace(/,/g, '')) !== 0 ? `\u2212${s}` : s;
}

/** A decimal rate as percent: 0.1234 → 12.34% */
export function pct(v, decimals = 1) {
  return isNum(v) ? `${num(v * 100, decimals)}%` : '—';
}

export function money(v, decimals = 1) {
  return num(v, decimals);
}

/** Decimals for money in millions: one below 10,000, none above (a 1,003,978 EV needs no .5). */
export function millDp(ref) {
  return isNum(ref) && Math.abs(ref) >= 10000 ? 0 : 1;
}

export function mill(v) {
  return num(v, millDp(v));
}

/** A company figure in currency units, shown in millions or billions. */
export function big(v) {
  if (!isNum(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${num(v / 1e9, 1)}B`;
  if (a >= 1e6) return `${num(v / 1e6, 1)}M`;
  return num(v, 0);
}

export function multiple(v, decimals = 2) {
  return isNum(v) ? `${num(v, decimals)}×` : '—';
}

/** A value for an <input>: no grouping, at most `dp` decimals, no trailing zeros. */
export function inputNumber(v, dp = 6) {
  if (!isNum(v)) return '';
  return String(Number(v.toFixed(dp)));
}

/** "12.5" / "12,5" / " 1,200 " → number, or NaN. Empty → null. */
export function parseNumber(s) {
  const t = String(s ?? '').trim().replace(/\u2212/g, '-');
  if (t === '') return null;
  const clean = /^-?[\d,]*\.?\d*$/.test(t) ? t.replace(/,/g, '') : t.replace(',', '.');
  if (!/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(clean)) return NaN;
  return Number(clean);
}

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', {
    year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit',
  });
}

export function timeOnly(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function signClass(v) {
  if (!isNum(v) || v === 0) return '';
  return v > 0 ? 'pos' : 'neg';
}

// ---- small components --------------------------------------------------------------------

export function card(title, ...body) {
  return h('section', { class: 'card' }, title ? h('h2', { class: 'card-title' }, title) : null,
    ...body);
}

export function kpi(label, value, opts = {}) {
  return h('div', { class: ['kpi', opts.class], dataset: opts.data || {} },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-value', dataset: { kpi: opts.key || '' } }, value),
    opts.sub ? h('div', { class: 'kpi-sub' }, opts.sub) : null);
}

export function button(label, onClick, opts = {}) {
  const b = h('button', {
    type: opts.type || 'button',
    class: ['btn', opts.kind ? `btn-${opts.kind}` : null, opts.class],
    on: onClick ? { click: onClick } : {},
    'aria-label': opts.aria || null,
    title: opts.title || null,
    disabled: opts.disabled,
    dataset: opts.data || {},
  }, label);
  if (opts.write) b.dataset.write = '';
  return b;
}

/** Runs fn while the button shows a busy state; a button stays disabled until fn settles. */
export async function busy(btn, fn) {
  if (btn.disabled) return undefined;
  const had = btn.getAttribute('aria-busy');
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  btn.classList.add('is-busy');
  try {
    return await fn();
  } finally {
    btn.classList.remove('is-busy');
    if (had === null) btn.removeAttribute('aria-busy');
    if (!btn.dataset.lockedUntil || Number(btn.dataset.lockedUntil) <= Date.now()) {
      btn.disabled = false;
    }
  }
}

export function table(columns, rows, opts = {}) {
  const thead = h('thead', {}, h('tr', {}, columns.map((c) =>
    h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label))));
  const tbody = h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => {
    const v = c.value(r);
    return h(c.head ? 'th' : 'td', {
      class: [c.num ? 'num' : null, c.cls ? c.cls(r) : null],
      scope: c.head ? 'row' : null,
    }, v);
  }))));
  return h('div', { class: 'table-wrap', tabindex: opts.scroll ? 0 : null,
    role: opts.scroll ? 'region' : null, 'aria-label': opts.scroll ? opts.caption : null },
  h('table', { class: ['data', opts.class] },
    opts.caption ? h('caption', { class: 'sr-only' }, opts.caption) : null, thead, tbody));
}

export function warningsList(warnings) {
  if (!Array.isArray(warnings) || warnings.length === 0) return null;
  return h('div', { class: 'warnings', role: 'status' },
    h('div', { class: 'warnings-title' }, warnings.length === 1 ? 'Warning' : 'Warnings'),
    h('ul', {}, warnings.map((w) => h('li', {}, String(w)))));
}

export function emptyState(text, ...extra) {
  return h('div', { class: 'empty' }, h('p', {}, text), ...extra);
}

// ---- errors shown where they happened ----------------------------------------------------

/**
 * Shows err in `slot` (an element kept for messages); a 429 counts down its Retry-After and
 * keeps `lockButtons` disabled until then. Returns the message element.
 */
export function showError(slot, err, opts = {}) {
  clear(slot);
  slot.hidden = false;
  const msg = h('div', { class: 'alert alert-error', role: 'alert' });
  const text = h('span', { class: 'alert-text' });
  msg.append(text);
  const base = describeError(err, opts.fieldLabels);
  text.textContent = base;
  if (err && err.status === 429 && err.retryAfter > 0) {
    const until = Date.now() + err.retryAfter * 1000;
    const count = h('span', { class: 'countdown', dataset: { retryAfter: String(err.retryAfter) } });
    msg.append(' ', count);
    const lock = opts.lockButtons || [];
    for (const b of lock) {
      b.disabled = true;
      b.dataset.lockedUntil = String(until);
    }
    const tick = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      if (!msg.isConnected && left > 0) {
        window.setTimeout(tick, 1000);
        return;
      }
      if (left > 0) {
        count.textContent = `Try again in ${left} s.`;
        window.setTimeout(tick, 250);
      } else {
        count.textContent = 'You can try again now.';
        msg.classList.replace('alert-error', 'alert-info');
        for (const b of lock) {
          if (Number(b.dataset.lockedUntil) === until) {
            delete b.dataset.lockedUntil;
            b.disabled = false;
          }
        }
      }
    };
    tick();
  }
  if (err && err.requestId) {
    msg.append(h('span', { class: 'request-id', title: 'Request id (quote it to support)' },
      `request ${err.requestId}`));
  }
  slot.append(msg);
  return msg;
}

export function showInfo(slot, text, kind = 'info') {
  clear(slot);
  slot.hidden = false;
  const el = h('div', { class: `alert alert-${kind}`, role: 'status' }, text);
  slot.append(el);
  return el;
}

export function hideSlot(slot) {
  clear(slot);
  slot.hidden = true;
}

export function describeError(err, fieldLabels = {}) {
  if (!err) return 'Something went wrong.';
  if (err.status === 429) {
    return `${err.message || 'Rate limit exceeded'}${err.detail ? ` — ${err.detail}` : ''}.`;
  }
  const parts = [];
  const fields = err.fields || [];
  if (fields.length > 0) {
    for (const f of fields) {
      const label = fieldLabels[f.field] ? `${fieldLabels[f.field]} (${f.field})` : f.field;
      parts.push(`${label}: ${f.msg}`);
    }
    return `${err.message === 'ValidationError' ? 'Invalid input' : err.message} — ${parts.join('; ')}`;
  }
  if (err.service && /unavailable|timeout/i.test(err.message || '')) {
    return `${err.message}: ${err.service === 'gateway' ? 'the gateway is not answering' : `the ${err.service} service`}. Try again shortly.`;
  }
  return err.message || 'Something went wrong.';
}

/** A status line of a page: "Saved.", "Loading…". */
export function statusSlot() {
  return h('div', { class: 'slot', 'aria-live': 'polite', hidden: true });
}

export function toast(text, kind = 'ok') {
  const host = document.getElementById('toasts');
  if (!host) return;
  const t = h('div', { class: `toast toast-${kind}`, role: 'status' }, text);
  host.append(t);
  window.setTimeout(() => t.classList.add('toast-out'), 3500);
  window.setTimeout(() => t.remove(), 4000);
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    if (t) window.clearTimeout(t);
    t = window.setTimeout(() => { t = null; fn(...args); }, ms);
  };
}
