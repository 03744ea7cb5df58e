// Company: search by ticker or name, the company's figures and statements, its price history
// as a line chart, and "Value this company" (its DCF inputs into the workbench).

import { get, qs } from '../api.js';
import { h, clear, card, kpi, big, pct, num, showError, hideSlot, statusSlot, debounce, isNum, button } from '../ui.js';
import { priceChart } from '../charts.js';

const INCOME = [
  ['total_revenue', 'Revenue'], ['gross_profit', 'Gross profit'], ['operating_income', 'Operating income'],
  ['ebitda', 'EBITDA'], ['ebit', 'EBIT'], ['net_income', 'Net income'],
];
const BALANCE = [
  ['total_assets', 'Total assets'], ['total_current_assets', 'Current assets'],
  ['cash_and_equivalents', 'Cash and equivalents'], ['accounts_receivable', 'Accounts receivable'],
  ['inventory', 'Inventory'], ['total_liabilities', 'Total liabilities'],
  ['total_current_liabilities', 'Current liabilities'], ['accounts_payable', 'Accounts payable'],
  ['total_debt', 'Total debt'], ['total_equity', 'Total equity'],
];
const CASH = [
  ['operating_cash_flow', 'Operating cash flow'], ['capital_expenditures', 'Capital expenditures'],
  ['free_cash_flow', 'Free cash flow'], ['investing_cash_flow', 'Investing cash flow'],
  ['financing_cash_flow', 'Financing cash flow'],
];
const SOURCES = { store: 'from the stored data set', alpha_vantage: 'from Alpha Vantage' };
const RANGES = [['63', '3M'], ['126', '6M'], ['252', '1Y'], ['1000', 'Max']];

function millions(v) {
  return isNum(v) ? num(v / 1e6, 0) : '—';
}

function statementTable(rows, lines, caption) {
  if (!Array.isArray(rows) || rows.length === 0) return h('p', { class: 'muted' }, 'Not available.');
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', { class: 'data statement' },
      h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Fiscal year ending'),
        rows.map((r) => h('th', { scope: 'col', class: 'num' }, r.fiscal_date || '—')))),
      h('tbody', {}, lines.map(([k, label]) => h('tr', {},
        h('th', { scope: 'row' }, label),
        rows.map((r) => h('td', { class: ['num', isNum(r[k]) && r[k] < 0 ? 'neg' : null] }, millions(r[k]))))))));
}

function searchBox(ctx, initial, current) {
  const input = h('input', { type: 'search', id: 'company-search', autocomplete: 'off',
    placeholder: 'e.g. AAPL or Microsoft', 'aria-controls': 'company-results', value: initial || '' });
  const results = h('ul', { class: 'results', id: 'company-results', 'aria-label': 'Matching companies' });
  const slot = statusSlot();
  let seq = 0;
  const run = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    try {
      const body = await get(`/api/financial-data${qs({ q })}`);
      if (mine !== seq) return;
      hideSlot(slot);
      clear(results);
      const list = body.data || [];
      if (list.length === 0) {
        results.append(h('li', { class: 'muted result-none' }, `No company matches “${q}”.`));
      }
      for (const c of list) {
        results.append(h('li', {}, h('a', { href: `#/company/${encodeURIComponent(c.ticker)}`,
          class: ['result', c.ticker === current ? 'is-current' : null], dataset: { ticker: c.ticker },
          'aria-current': c.ticker === current ? 'page' : null },
        h('span', { class: 'result-ticker' }, c.ticker),
        h('span', { class: 'result-name' }, c.company_name || ''),
        h('span', { class: 'result-sector muted' }, c.sector || ''))));
      }
    } catch (e) {
      if (mine === seq) showError(slot, e);
    }
  };
  const later = debounce(run, 300);
  input.addEventListener('input', later);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const first = results.querySelector('a.result');
      if (first && input.value.trim()) ctx.navigate(first.getAttribute('href'));
    } else if (e.key === 'ArrowDown') {
      const first = results.querySelector('a.result');
      if (first) {
        e.preventDefault();
        first.focus();
      }
    }
  });
  results.addEventListener('keydown', (e) => {
    const links = [...results.querySelectorAll('a.result')];
    const i = links.indexOf(document.activeElement);
    if (i < 0) return;
    if (e.key === 'ArrowDown' && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
    if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
  });
  run();
  return { el: h('div', { class: 'search' },
    h('label', { for: 'company-search' }, 'Search by ticker or company name'), input, slot, results), input };
}

async function showCompany(host, ticker, ctx) {
  const slot = statusSlot();
  host.append(slot);
  let body;
  try {
    body = await get(`/api/financial-data/${encodeURIComponent(ticker)}`);
  } catch (e) {
    showError(slot, e);
    return;
  }
  const c = body.data;
  const actions = h('div', { class: 'actions' },
    h('a', { class: 'btn btn-primary', href: `#/dcf/ticker/${encodeURIComponent(c.ticker)}`, id: 'value-company' },
      'Value this company'),
    h('a', { class: 'btn', href: `#/notes/${encodeURIComponent(c.ticker)}` }, 'Notes'));
  const head = h('div', { class: 'company-head' },
    h('div', {},
      h('h2', { class: 'company-name', id: 'company-name' }, c.company_name || c.ticker),
      h('div', { class: 'muted' }, [c.ticker, c.sector, c.industry, c.currency].filter(Boolean).join(' · '),
        body.as_of ? ` · data as of ${body.as_of.slice(0, 10)}` : '',
        body.source ? ` · ${SOURCES[body.source] || body.source}` : '')),
    actions);

  const figures = h('div', { class: 'kpis kpis-6' },
    kpi('Revenue', big(c.revenue)), kpi('EBIT', big(c.ebit)), kpi('Net income', big(c.net_income)),
    kpi('Operating margin', pct(c.operating_margin, 1)), kpi('Net margin', pct(c.profit_margin, 1)),
    kpi('Revenue growth', pct(c.revenue_growth, 1)),
    kpi('Market cap', big(c.market_cap)), kpi('Shares', big(c.shares_outstanding)),
    kpi('Beta', isNum(c.beta) ? num(c.beta, 2) : '—'), kpi('Total debt', big(c.total_debt)),
    kpi('Cash', big(c.cash)), kpi('Return on equity', pct(c.return_on_equity, 1)));

  // price history
  const canvas = h('canvas', { id: 'price-chart', role: 'img', 'aria-label': `Price history of ${c.ticker}` });
  const priceSlot = statusSlot();
  const interval = h('select', { id: 'price-interval', 'aria-label': 'Interval' },
    h('option', { value: 'daily' }, 'Daily'), h('option', { value: 'weekly' }, 'Weekly'),
    h('option', { value: 'monthly' }, 'Monthly'));
  const range = h('select', { id: 'price-range', 'aria-label': 'Range' },
    RANGES.map(([v, l]) => h('option', { value: v, selected: v === '252' }, l)));
  const last = h('div', { class: 'price-last' });
  const loadPrices = async () => {
    hideSlot(priceSlot);
    const limit = interval.value === 'daily' ? Number(range.value)
      : Math.max(4, Math.round(Number(range.value) / (interval.value === 'weekly' ? 5 : 21)));
    try {
      const pb = await get(`/api/financial-data/${encodeURIComponent(c.ticker)}/historical-prices${qs({ interval: interval.value, limit })}`);
      const rows = (pb.data || []).slice().reverse();
      priceChart(canvas, rows.map((r) => r.date), rows.map((r) => r.close), c.currency);
      clear(last);
      if (rows.length > 1) {
        const a = rows[0].close;
        const b = rows[rows.length - 1].close;
        last.append(h('span', { class: 'num price-now' }, num(b, 2)), ' ',
          h('span', { class: ['num', b >= a ? 'pos' : 'neg'] }, `${b >= a ? '+' : ''}${pct((b - a) / a, 1)}`),
          h('span', { class: 'muted' }, ` over the range · last ${rows[rows.length - 1].date}`));
      }
    } catch (e) {
      showError(priceSlot, e);
    }
  };
  interval.addEventListener('change', loadPrices);
  range.addEventListener('change', loadPrices);

  // statements
  const tabs = [['Income statement', INCOME, c.income_statements], ['Balance sheet', BALANCE, c.balance_sheets],
    ['Cash flow', CASH, c.cash_flows]];
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const tabButtons = tabs.map(([label], i) => h('button', {
    type: 'button', role: 'tab', class: 'tab', id: `st-tab-${i}`, 'aria-selected': i === 0 ? 'true' : 'false',
    tabindex: i === 0 ? 0 : -1,
  }, label));
  const select = (i) => {
    tabButtons.forEach((b, j) => {
      b.setAttribute('aria-selected', j === i ? 'true' : 'false');
      b.tabIndex = j === i ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', `st-tab-${i}`);
    clear(panel).append(statementTable(tabs[i][2], tabs[i][1], `${tabs[i][0]} of ${c.ticker}`));
  };
  tabButtons.forEach((b, i) => {
    b.addEventListener('click', () => select(i));
    b.addEventListener('keydown', (e) => {
      const k = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (k) {
        const j = (i + k + tabs.length) % tabs.length;
        select(j);
        tabButtons[j].focus();
      }
    });
  });
  select(0);

  host.append(
    h('section', { class: 'card', id: 'company-card', dataset: { ticker: c.ticker } }, head, figures),
    h('div', { class: 'cols cols-company' },
      card('Price history',
        h('div', { class: 'toolbar' }, last, h('div', { class: 'toolbar-right' }, interval, range)),
        priceSlot, h('div', { class: 'chart-box' }, canvas)),
      card('Financial statements',
        h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Statements' }, tabButtons),
        h('p', { class: 'muted small' }, `In millions of ${c.currency || 'the reporting currency'}, newest first.`),
        panel)));
  loadPrices();
  void ctx;
  void button;
}

export async function render(main, ctx) {
  const ticker = ctx.parts[1] ? ctx.parts[1].toUpperCase() : null;
  const page = h('div', { class: 'page' });
  const { el } = searchBox(ctx, '', ticker);
  const detail = h('div', { class: 'company-detail', id: 'company-detail' });
  page.append(h('div', { class: 'page-head' }, h('h1', {}, 'Company'),
    h('p', { class: 'muted' }, 'Look up a company, read its statements and price history, and start a valuation.')),
  h('div', { class: ['cols', 'cols-search', ticker ? 'has-detail' : null] },
    h('aside', { class: 'card search-card' }, el), detail));
  main.append(page);
  if (ticker) await showCompany(detail, ticker, ctx);
  else detail.append(h('div', { class: 'card empty' }, h('p', {}, 'Choose a company to see its figures, statements and price history.')));
}
