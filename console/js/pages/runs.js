// Runs: the tenant's saved DCF, LBO and M&A runs. DCF runs page, sort and filter on the server
// (api.md §3); LBO and M&A runs are newest first in pages of the API's limit/offset. Open a run
// (its inputs back in its page), download its report, delete it (its author or an admin).

import { get, del, qs } from '../api.js';
import { h, clear, num, mill, pct, multiple, dateTime, showError, showInfo, hideSlot, statusSlot, busy, isNum, debounce } from '../ui.js';
import { reportButtons } from '../reports.js';
import { feed } from '../feed.js';

const KINDS = [
  { key: 'dcf', label: 'DCF' },
  { key: 'lbo', label: 'LBO' },
  { key: 'ma', label: 'M&A' },
];

function confirmDelete(btn, onConfirm) {
  let armed = false;
  let timer = null;
  btn.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      btn.textContent = 'Confirm delete';
      btn.classList.add('is-armed');
      timer = window.setTimeout(() => {
        armed = false;
        btn.textContent = 'Delete';
        btn.classList.remove('is-armed');
      }, 6000);
      return;
    }
    window.clearTimeout(timer);
    armed = false;
    btn.classList.remove('is-armed');
    btn.textContent = 'Delete';
    busy(btn, onConfirm);
  });
}

function canDelete(ctx, run) {
  return ctx.canWrite && (ctx.isAdmin || String(run.user_id) === String(ctx.user.id));
}

function rowActions(ctx, kind, run, label, openHref, onDeleted) {
  const slot = h('div', { class: 'row-slot', 'aria-live': 'polite', hidden: true });
  const open = h('a', { class: 'btn btn-sm', href: openHref, dataset: { action: 'open' },
    'aria-label': `Open ${label}` }, 'Open');
  const [pdf, html] = reportButtons(kind, run, label, slot);
  let delBtn = null;
  if (canDelete(ctx, run)) {
    delBtn = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', 'data-write': '',
      dataset: { action: 'delete' }, 'aria-label': `Delete ${label}` }, 'Delete');
    const path = { dcf: '/api/runs/', lbo: '/api/lbo/runs/', ma: '/api/ma/runs/' }[kind];
    confirmDelete(delBtn, async () => {
      try {
        await del(`${path}${encodeURIComponent(run.run_id)}`);
        onDeleted();
      } catch (e) {
        showError(slot, e, { lockButtons: [delBtn] });
      }
    });
  }
  return h('td', { class: 'actions-cell' }, h('div', { class: 'btn-row' }, open, pdf, html, delBtn), slot);
}

function sortHeader(label, col, q, onSort) {
  const active = q.sort_by === col;
  const dir = active ? q.sort_order : null;
  const b = h('button', { type: 'button', class: 'sort', dataset: { sort: col } }, label,
    h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (dir === 'asc' ? '▲' : '▼') : '↕'));
  b.addEventListener('click', () => onSort(col));
  return h('th', { scope: 'col', 'aria-sort': active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none' }, b);
}

// ---- DCF -----------------------------------------------------------------------------------

async function dcfList(host, ctx, q, update) {
  const slot = statusSlot();
  const body = h('div', {});
  host.append(slot, body);
  let data;
  try {
    data = await get(`/api/runs${qs({ page: q.page, per_page: q.per_page, sort_by: q.sort_by, sort_order: q.sort_order, q: q.q })}`);
  } catch (e) {
    showError(slot, e);
    return;
  }
  const { runs = [], pagination = {} } = data.data || {};
  const onSort = (col) => update({ sort_by: col, sort_order: q.sort_by === col && q.sort_order === 'desc' ? 'asc' : 'desc', page: 1 });
  if (runs.length === 0) {
    body.append(h('div', { class: 'empty' }, h('p', {}, q.q ? `No DCF runs with a ticker containing “${q.q}”.` : 'No DCF runs saved yet.'),
      ctx.canWrite ? h('a', { href: '#/dcf', class: 'btn' }, 'Open the DCF workbench') : null));
  } else {
    const table = h('table', { class: 'data runs-table cards-sm', id: 'runs-table' },
      h('caption', { class: 'sr-only' }, 'DCF runs'),
      h('thead', {}, h('tr', {},
        sortHeader('Ticker', 'ticker', q, onSort),
        h('th', { scope: 'col', class: 'num' }, 'Per share'),
        h('th', { scope: 'col', class: 'num' }, 'EV (M)'),
        h('th', { scope: 'col', class: 'num' }, 'MC median'),
        sortHeader('Saved', 'created_at', q, onSort),
        sortHeader('Updated', 'updated_at', q, onSort),
        h('th', { scope: 'col' }, 'By'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, runs.map((r) => {
        const t = r.results && r.results.dcf ? r.results.dcf.totals || {} : {};
        const mc = r.results && r.results.monte_carlo ? r.results.monte_carlo.stats || {} : {};
        const label = `the ${r.ticker} run of ${dateTime(r.created_at)}`;
        return h('tr', { dataset: { runId: r.run_id } },
          h('th', { scope: 'row' }, h('span', { class: 'ticker' }, r.ticker)),
          h('td', { class: 'num', dataset: { label: 'Per share' } }, isNum(t.per_share) ? num(t.per_share, 2) : '—'),
          h('td', { class: 'num', dataset: { label: 'EV (M)' } }, isNum(t.ev) ? mill(t.ev) : '—'),
          h('td', { class: 'num', dataset: { label: 'MC median' } }, isNum(mc.median) ? num(mc.median, 2) : '—'),
          h('td', { class: 'nowrap', dataset: { label: 'Saved' } }, dateTime(r.created_at)),
          h('td', { class: 'nowrap', dataset: { label: 'Updated' } }, dateTime(r.updated_at)),
          h('td', { dataset: { label: 'By' } }, ctx.nameOf(r.user_id)),
          rowActions(ctx, 'dcf', r, label, `#/dcf/run/${r.run_id}`, () => update({})));
      })));
    body.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'DCF runs' }, table));
  }
  const pages = pagination.pages || 0;
  body.append(pager(pagination.page || q.page, pages, pagination.total || 0, pagination.has_prev, pagination.has_next,
    (p) => update({ page: p }), q.per_page, (pp) => update({ per_page: pp, page: 1 })));
}

function pager(page, pages, total, hasPrev, hasNext, go, perPage, setPerPage, noTotal = false) {
  const prev = h('button', { type: 'button', class: 'btn btn-sm', disabled: !hasPrev, id: 'page-prev' }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'btn btn-sm', disabled: !hasNext, id: 'page-next' }, 'Next ›');
  prev.addEventListener('click', () => go(page - 1));
  next.addEventListener('click', () => go(page + 1));
  const pp = h('select', { id: 'per-page', 'aria-label': 'Runs per page' },
    [10, 20, 50, 100].map((n) => h('option', { value: n, selected: Number(perPage) === n }, `${n} per page`)));
  pp.addEventListener('change', () => setPerPage(Number(pp.value)));
  return h('div', { class: 'pager' },
    h('span', { class: 'muted', id: 'page-info' },
      noTotal ? `Page ${page}` : `Page ${pages === 0 ? 0 : page} of ${pages} · ${total} run${total === 1 ? '' : 's'}`),
    h('div', { class: 'btn-row' }, pp, prev, next));
}

// ---- LBO and M&A -----------------------------------------------------------------------------

async function dealList(host, ctx, kind, q, update) {
  const slot = statusSlot();
  const body = h('div', {});
  host.append(slot, body);
  const per = Number(q.per_page) || 20;
  const page = Number(q.page) || 1;
  const path = kind === 'lbo' ? '/api/lbo/runs' : '/api/ma/runs';
  let list;
  try {
    const b = await get(`${path}${qs({ limit: per + 1, offset: (page - 1) * per })}`);
    list = kind === 'lbo' ? b.runs || [] : b.data || [];
  } catch (e) {
    showError(slot, e);
    return;
  }
  const hasNext = list.length > per;
  list = list.slice(0, per);
  const needle = (q.q || '').toLowerCase();
  const shown = needle ? list.filter((r) => (kind === 'lbo' ? r.company_name : `${r.deal_name} ${r.acquirer_name} ${r.target_name}`).toLowerCase().includes(needle)) : list;
  if (shown.length === 0) {
    body.append(h('div', { class: 'empty' }, h('p', {}, needle ? 'No run on this page matches.' : `No ${kind === 'lbo' ? 'LBO' : 'M&A'} runs saved yet.`),
      ctx.canWrite ? h('a', { href: `#/${kind}`, class: 'btn' }, `Open the ${kind === 'lbo' ? 'LBO' : 'M&A'} page`) : null));
  } else if (kind === 'lbo') {
    body.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'LBO runs' },
      h('table', { class: 'data runs-table cards-sm', id: 'runs-table' },
        h('caption', { class: 'sr-only' }, 'LBO runs'),
        h('thead', {}, h('tr', {}, ['Company', 'Price (M)', 'Avg. IRR', 'Avg. MOIC', 'Saved', 'By'].map((t, i) =>
          h('th', { scope: 'col', class: i >= 1 && i <= 3 ? 'num' : null }, t)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, shown.map((r) => {
          const m = r.results && r.results.metrics ? r.results.metrics : {};
          const label = `the LBO of ${r.company_name} (${dateTime(r.created_at)})`;
          return h('tr', { dataset: { runId: r.run_id } },
            h('th', { scope: 'row' }, r.company_name),
            h('td', { class: 'num', dataset: { label: 'Price (M)' } }, isNum(r.inputs && r.inputs.purchasePrice) ? mill(r.inputs.purchasePrice) : '—'),
            h('td', { class: 'num', dataset: { label: 'Avg. IRR' } }, pct(m.avg_irr, 1)),
            h('td', { class: 'num', dataset: { label: 'Avg. MOIC' } }, multiple(m.avg_moic, 2)),
            h('td', { class: 'nowrap', dataset: { label: 'Saved' } }, dateTime(r.created_at)),
            h('td', { dataset: { label: 'By' } }, ctx.nameOf(r.user_id)),
            rowActions(ctx, 'lbo', r, label, `#/lbo/${r.run_id}`, () => update({})));
        })))));
  } else {
    body.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'M&A runs' },
      h('table', { class: 'data runs-table cards-sm', id: 'runs-table' },
        h('caption', { class: 'sr-only' }, 'M&A runs'),
        h('thead', {}, h('tr', {}, ['Deal', 'Acquirer', 'Target', 'Accretion', 'Saved', 'By'].map((t, i) =>
          h('th', { scope: 'col', class: i === 3 ? 'num' : null }, t)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, shown.map((r) => {
          const a = r.results && r.results.accretion_dilution ? r.results.accretion_dilution : {};
          const label = `the deal ${r.deal_name} (${dateTime(r.created_at)})`;
          return h('tr', { dataset: { runId: r.run_id } },
            h('th', { scope: 'row' }, r.deal_name),
            h('td', { dataset: { label: 'Acquirer' } }, r.acquirer_name), h('td', { dataset: { label: 'Target' } }, r.target_name),
            h('td', { class: ['num', isNum(a.accretion) ? (a.accretion >= 0 ? 'pos' : 'neg') : null], dataset: { label: 'Accretion' } }, pct(a.accretion, 1)),
            h('td', { class: 'nowrap', dataset: { label: 'Saved' } }, dateTime(r.created_at)),
            h('td', { dataset: { label: 'By' } }, ctx.nameOf(r.user_id)),
            rowActions(ctx, 'ma', r, label, `#/ma/${r.run_id}`, () => update({})));
        })))));
  }
  body.append(pager(page, 0, 0, page > 1, hasNext, (p) => update({ page: p }), per,
    (pp) => update({ per_page: pp, page: 1 }), true));
}

export async function render(main, ctx) {
  const kind = KINDS.some((k) => k.key === ctx.parts[1]) ? ctx.parts[1] : 'dcf';
  const q = {
    page: Math.max(1, Number(ctx.query.get('page')) || 1),
    per_page: Number(ctx.query.get('per_page')) || 20,
    sort_by: ctx.query.get('sort_by') || 'created_at',
    sort_order: ctx.query.get('sort_order') === 'asc' ? 'asc' : 'desc',
    q: (ctx.query.get('q') || ctx.query.get('ticker') || '').trim(),
  };
  const listHost = h('div', { id: 'runs-list' });
  const notice = statusSlot();
  const filter = h('input', { type: 'search', id: 'runs-filter', value: q.q, autocomplete: 'off',
    placeholder: kind === 'dcf' ? 'e.g. AAPL' : 'Name contains…' });

  const load = async () => {
    clear(listHost);
    hideSlot(notice);
    if (kind === 'dcf') await dcfList(listHost, ctx, q, update);
    else await dealList(listHost, ctx, kind, q, update);
  };
  const update = (change) => {
    Object.assign(q, change);
    const params = {};
    if (q.page !== 1) params.page = q.page;
    if (q.per_page !== 20) params.per_page = q.per_page;
    if (kind === 'dcf' && (q.sort_by !== 'created_at' || q.sort_order !== 'desc')) {
      params.sort_by = q.sort_by;
      params.sort_order = q.sort_order;
    }
    if (q.q) params.q = q.q;
    history.replaceState(null, '', `#/runs/${kind}${qs(params)}`);
    return load();
  };
  filter.addEventListener('input', debounce(() => update({ q: filter.value.trim(), page: 1 }), 350));

  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Kind of run' },
    KINDS.map((k) => h('a', { role: 'tab', class: 'tab', href: `#/runs/${k.key}`, id: `runs-tab-${k.key}`,
      'aria-selected': k.key === kind ? 'true' : 'false', dataset: { kind: k.key } }, k.label)));
  const refresh = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', id: 'runs-refresh' }, 'Refresh');
  refresh.addEventListener('click', () => busy(refresh, load));

  main.append(h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Runs'),
      h('p', { class: 'muted' }, 'Every saved run of your organisation. Open one to see its inputs and results again.')),
    h('section', { class: 'card' }, tabs,
      h('div', { class: 'toolbar' },
        h('div', { class: 'toolbar-left' },
          h('label', { for: 'runs-filter', class: 'inline-label' }, kind === 'dcf' ? 'Ticker contains' : 'Filter this page'), filter),
        h('div', { class: 'toolbar-right' }, refresh)),
      kind !== 'dcf' ? h('p', { class: 'muted small' }, 'Newest first (the API offers no other order for LBO and M&A runs).') : null,
      notice, listHost)));
  await load();

  // Someone else saved or deleted a run: say so, without moving the table under the cursor.
  const types = { dcf: ['run.created', 'run.deleted'], lbo: ['lbo_run.created', 'lbo_run.deleted'], ma: ['ma_run.created', 'ma_run.deleted'] }[kind];
  const off = feed.on((k, ev) => {
    if (k !== 'event' || !types.includes(ev.type)) return;
    if (String(ev.user_id) === String(ctx.user.id)) return;
    const link = h('button', { type: 'button', class: 'btn btn-sm btn-light' }, 'Show');
    link.addEventListener('click', () => load());
    showInfo(notice, h('span', {}, `${ctx.nameOf(ev.user_id)} changed the list of runs. `, link), 'info');
  });
  return off;
}
