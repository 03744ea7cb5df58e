// LBO: the inputs of the LBO engine (engines.md §4) with units, calculated on the server; IRR,
// MOIC and the exit scenarios; the debt schedule as a chart and a table; save as a run; named
// scenarios.   #/lbo  ·  #/lbo/<run_id>

import { get, post, del } from '../api.js';
import {
  h, clear, kpi, num, pct, multiple, showError, showInfo, hideSlot, statusSlot, busy, toast, warningsList, isNum,
} from '../ui.js';
import { Form, fieldset } from '../forms.js';
import { debtChart } from '../charts.js';
import { scenarioBar } from '../scenarios.js';

export const PRESET = {
  companyName: 'Target Company', purchasePrice: 1000, equityContribution: 400, revenue: 500,
  ebitdaMargin: 0.20, revenueGrowth: 0.08, growthDecay: 0.01, years: 5, taxRate: 0.25,
  depreciationRatio: 0.03, capexRatio: 0.04, workingCapitalRatio: 0.15,
  seniorDebtRatio: 0.60, mezzanineDebtRatio: 0.30, highYieldDebtRatio: 0.10,
  seniorDebtRate: 0.06, mezzanineDebtRate: 0.10, highYieldDebtRate: 0.12,
  exitMultiples: [6, 8, 10, 12, 14], targetIrrs: [0.15, 0.20, 0.25, 0.30],
};

const SPECS = [
  { name: 'companyName', label: 'Company', unit: 'text', maxlength: 200 },
  { name: 'purchasePrice', label: 'Purchase price', unit: 'm', required: true },
  { name: 'equityContribution', label: 'Equity contribution', unit: 'm', required: true },
  { name: 'revenue', label: 'Entry revenue', unit: 'm', required: true },
  { name: 'ebitdaMargin', label: 'EBITDA margin', unit: 'pct' },
  { name: 'revenueGrowth', label: 'Revenue growth', unit: 'pct' },
  { name: 'growthDecay', label: 'Growth fade per year', unit: 'pct' },
  { name: 'years', label: 'Holding period (years)', unit: 'int', hint: '3 to 10.' },
  { name: 'taxRate', label: 'Tax rate', unit: 'pct' },
  { name: 'depreciationRatio', label: 'D&A / revenue', unit: 'pct' },
  { name: 'capexRatio', label: 'Capex / revenue', unit: 'pct' },
  { name: 'workingCapitalRatio', label: 'Working capital / revenue', unit: 'pct' },
  { name: 'seniorDebtRatio', label: 'Senior share of debt', unit: 'pct' },
  { name: 'seniorDebtRate', label: 'Senior rate', unit: 'pct' },
  { name: 'mezzanineDebtRatio', label: 'Mezzanine share', unit: 'pct' },
  { name: 'mezzanineDebtRate', label: 'Mezzanine rate', unit: 'pct' },
  { name: 'highYieldDebtRatio', label: 'High-yield share', unit: 'pct' },
  { name: 'highYieldDebtRate', label: 'High-yield rate', unit: 'pct' },
  { name: 'exitMultiples', label: 'Exit multiples (EBITDA)', unit: 'listx', hint: 'Comma-separated, e.g. 6, 8, 10.' },
  { name: 'targetIrrs', label: 'Target IRRs', unit: 'listpct', hint: 'Comma-separated percent, e.g. 15, 20.' },
];

const state = { values: { ...PRESET }, result: null, runId: null, source: null };

export async function render(main, ctx) {
  const runId = ctx.parts[1] || null;
  const form = new Form(SPECS, { aliases: { debtRatios: 'seniorDebtRatio' } });
  const slot = statusSlot();
  const saveSlot = statusSlot();
  const calcBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'lbo-calculate' }, 'Calculate');
  const presetBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, 'Reset to defaults');
  const saveBtn = ctx.canWrite ? h('button', { type: 'button', class: 'btn', id: 'lbo-save', 'data-write': '' }, 'Save run') : null;
  const kpis = h('div', { class: 'kpis kpis-6', id: 'lbo-kpis' });
  const warnHost = h('div', {});
  const canvas = h('canvas', { id: 'lbo-chart', role: 'img', 'aria-label': 'Debt schedule: debt outstanding, interest and principal by year' });
  const exitsHost = h('div', { id: 'lbo-exits' });
  const tableHost = h('div', {});
  const source = h('span', { class: 'source' });

  const formEl = h('form', { class: 'dcf-form', novalidate: true, id: 'lbo-form', 'aria-label': 'LBO inputs' },
    fieldset(form, 'Transaction', ['companyName', 'purchasePrice', 'equityContribution', 'revenue'], { note: 'Money in millions.' }),
    fieldset(form, 'Operations', ['ebitdaMargin', 'revenueGrowth', 'growthDecay', 'years', 'taxRate', 'depreciationRatio', 'capexRatio', 'workingCapitalRatio']),
    fieldset(form, 'Debt', ['seniorDebtRatio', 'seniorDebtRate', 'mezzanineDebtRatio', 'mezzanineDebtRate', 'highYieldDebtRatio', 'highYieldDebtRate'],
      { note: 'The three shares of the debt must add up to 100%.' }),
    fieldset(form, 'Exit', ['exitMultiples', 'targetIrrs'], { cols: 1 }),
    form.formError,
    h('div', { class: 'form-actions sticky-actions' }, calcBtn, presetBtn));

  const scen = scenarioBar({
    title: 'Scenario',
    canWrite: ctx.canWrite,
    list: async () => {
      const b = await get('/api/lbo/scenarios');
      return (b.scenarios || []).map((s) => ({ id: s.scenario_id, name: s.name, label: `${s.company_name} — ${s.name}`, item: s, updated: s.updated_at }));
    },
    save: async (name) => {
      const { values, ok } = form.read();
      if (!ok) throw Object.assign(new Error('Fix the marked inputs first.'), { fields: [] });
      const b = await post('/api/lbo/scenarios', [{ name, inputs: values, companyName: values.companyName }]);
      if (b.errors && b.errors.length > 0) throw Object.assign(new Error(b.errors.map((e) => e.error).join('; ')), { fields: [] });
      return b.message;
    },
    remove: (s) => del(`/api/lbo/scenarios/${encodeURIComponent(s.scenario_id)}`),
    load: (s) => {
      form.fill({ ...PRESET, ...s.inputs }, { clearMissing: true });
      state.runId = null;
      calculate();
    },
  });

  main.append(h('div', { class: 'page page-wide' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Leveraged buyout'),
      h('p', { class: 'muted' }, 'Debt paid down from free cash flow (cash sweep), exits by multiple and by target IRR.')),
    h('div', { class: 'workbench' },
      h('div', { class: 'card inputs-card' }, formEl),
      h('div', { class: 'results' },
        h('div', { class: 'toolbar workbench-bar' }, h('div', { class: 'toolbar-left' }, source), h('div', { class: 'toolbar-right' }, saveBtn)),
        saveSlot,
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Returns'), slot, kpis, warnHost),
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Debt schedule'), h('div', { class: 'chart-box' }, canvas), tableHost),
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Exit scenarios'), exitsHost),
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Scenarios'), scen.el)))));

  const setSource = () => {
    clear(source);
    if (state.source) source.append(state.source);
  };

  const renderResult = (r) => {
    clear(kpis);
    clear(warnHost);
    clear(exitsHost);
    clear(tableHost);
    if (!r) {
      kpis.append(h('p', { class: 'muted' }, 'Calculate to see the returns.'));
      return;
    }
    const m = r.metrics || {};
    kpis.append(
      kpi('Average IRR', pct(m.avg_irr, 1), { key: 'avg_irr', class: 'kpi-main' }),
      kpi('Average MOIC', multiple(m.avg_moic, 2), { key: 'avg_moic' }),
      kpi('Leverage', multiple(m.leverage_ratio, 2), { key: 'leverage', sub: 'debt / equity' }),
      kpi('Cost of debt', pct(m.wacd, 2), { key: 'wacd', sub: 'weighted' }),
      kpi('Final debt', num(m.final_debt, 1), { key: 'final_debt', sub: `of ${num(m.total_debt, 1)} M` }),
      kpi('Interest paid', num(m.total_interest_paid, 1), { key: 'interest', sub: 'millions, total' }));
    const w = warningsList(r.warnings);
    if (w) warnHost.append(w);
    const s = r.series || {};
    const n = (s.revenue || []).length - 1;
    const labels = Array.from({ length: n + 1 }, (_, i) => (i === 0 ? 'Entry' : `Y${i}`));
    debtChart(canvas, labels, s);
    const rows = [['Revenue', s.revenue], ['EBITDA', s.ebitda], ['EBIT', s.ebit], ['Interest', s.interest],
      ['Taxes', s.taxes], ['Net income', s.net_income], ['Capex', s.capex], ['Change in WC', s.delta_wc],
      ['Free cash flow', s.fcf], ['Principal repaid', s.principal], ['Debt outstanding', s.debt]];
    tableHost.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'LBO yearly table' },
      h('table', { class: 'data yearly' }, h('caption', { class: 'sr-only' }, 'LBO by year, millions'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Millions'), labels.map((l) => h('th', { scope: 'col', class: 'num' }, l)))),
        h('tbody', {}, rows.map(([label, arr]) => h('tr', { class: label === 'Debt outstanding' ? 'row-strong' : null },
          h('th', { scope: 'row' }, label),
          (arr || []).map((v) => h('td', { class: ['num', isNum(v) && v < 0 ? 'neg' : null] }, v === null ? '' : num(v, 1)))))))));
    const mult = (r.exit_scenarios || []).filter((e) => e.type === 'multiple');
    const irr = (r.exit_scenarios || []).filter((e) => e.type === 'irr');
    exitsHost.append(h('div', { class: 'cols cols-2-wide' },
      h('div', {}, h('h3', {}, 'By exit multiple'), h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
        h('thead', {}, h('tr', {}, ['Multiple', 'Exit value', 'Equity value', 'MOIC', 'IRR'].map((t) => h('th', { scope: 'col', class: 'num' }, t)))),
        h('tbody', {}, mult.map((e) => h('tr', {},
          h('th', { scope: 'row', class: 'num' }, multiple(e.multiple, 1)), h('td', { class: 'num' }, num(e.exit_value, 1)),
          h('td', { class: 'num' }, num(e.equity_value, 1)), h('td', { class: 'num' }, multiple(e.moic, 2)),
          h('td', { class: ['num', isNum(e.irr) && e.irr < 0 ? 'neg' : null] }, pct(e.irr, 1)))))))),
      h('div', {}, h('h3', {}, 'By target IRR'), h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
        h('thead', {}, h('tr', {}, ['Target IRR', 'Required exit', 'Implied multiple', 'Equity value'].map((t) => h('th', { scope: 'col', class: 'num' }, t)))),
        h('tbody', {}, irr.map((e) => h('tr', {},
          h('th', { scope: 'row', class: 'num' }, pct(e.target_irr, 0)), h('td', { class: 'num' }, num(e.required_exit_value, 1)),
          h('td', { class: 'num' }, multiple(e.implied_multiple, 2)), h('td', { class: 'num' }, num(e.equity_value, 1))))))))));
  };

  async function calculate() {
    return busy(calcBtn, async () => {
      hideSlot(slot);
      const { values, ok } = form.read();
      state.values = { ...values };
      if (!ok) {
        showInfo(slot, 'Some inputs need attention (marked in the form).', 'error');
        return;
      }
      try {
        const b = await post('/api/lbo/calculate', { inputs: values });
        state.result = b.data;
        renderResult(state.result);
      } catch (e) {
        form.markFields(e);
        showError(slot, e, { lockButtons: [calcBtn] });
      }
    });
  }
  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    calculate();
  });
  presetBtn.addEventListener('click', () => form.fill(PRESET, { clearMissing: true }));

  if (saveBtn) {
    saveBtn.addEventListener('click', () => busy(saveBtn, async () => {
      hideSlot(saveSlot);
      const { values, ok } = form.read();
      if (!ok) {
        showInfo(saveSlot, 'Some inputs need attention (marked in the form).', 'error');
        return;
      }
      try {
        const b = await post('/api/lbo/runs', { inputs: values, compute: true });
        state.runId = b.run_id;
        if (b.results) {
          state.result = b.results;
          renderResult(b.results);
        }
        state.source = `Run ${b.run_id.slice(0, 8)}`;
        setSource();
        history.replaceState(null, '', `#/lbo/${b.run_id}`);
        showInfo(saveSlot, h('span', {}, `${b.message || 'LBO run saved'}. `, h('a', { href: '#/runs/lbo' }, 'See it in Runs')), 'ok');
        saveSlot.dataset.runId = b.run_id;
        toast('LBO run saved');
      } catch (e) {
        form.markFields(e);
        showError(saveSlot, e, { lockButtons: [saveBtn] });
      }
    }));
  }

  form.fill(state.values, { clearMissing: true });
  renderResult(state.result);
  setSource();

  if (runId) {
    showInfo(slot, 'Opening the run…');
    try {
      const b = await get(`/api/lbo/runs/${encodeURIComponent(runId)}`);
      const run = b.data;
      state.values = { ...PRESET, ...run.inputs };
      form.fill(state.values, { clearMissing: true });
      state.source = `Run ${run.run_id.slice(0, 8)} · ${run.company_name} · saved ${new Date(run.created_at).toLocaleString('en-GB')} by ${ctx.nameOf(run.user_id)}`;
      setSource();
      hideSlot(slot);
      if (run.results) {
        state.result = run.results;
        renderResult(run.results);
      } else {
        await calculate();
      }
    } catch (e) {
      showError(slot, e);
    }
  }
  return () => {
    const { values } = form.read();
    state.values = { ...state.values, ...values };
  };
}
