// M&A: acquirer, target, price and structure, synergies (engines.md §5), calculated on the
// server; pro forma, accretion/dilution (per year: synergies counted while they last), deal
// metrics; save as a run; named scenarios.   #/ma  ·  #/ma/<run_id>

import { get, post, del } from '../api.js';
import {
  h, clear, kpi, num, pct, multiple, showError, showInfo, hideSlot, statusSlot, busy, toast, warningsList, isNum,
} from '../ui.js';
import { Form, fieldset } from '../forms.js';
import { accretionChart } from '../charts.js';
import { scenarioBar } from '../scenarios.js';

export const PRESET = {
  deal_name: 'Project Atlas', acquirer_name: 'Acquirer Co', target_name: 'Target Co',
  acquirerRevenue: 1000, acquirerEBITDA: 150, acquirerShares: 100, acquirerNetDebt: 200, acquirerSharePrice: 15,
  targetRevenue: 500, targetEBITDA: 75, targetShares: 50, targetNetDebt: 100,
  purchasePrice: 600, dealStructure_cash: 60, dealStructure_stock: 40,
  synergies_annual: 25, synergies_duration: 5, synergies_discountRate: 0.10, taxRate: 0.35,
};

const SPECS = [
  { name: 'deal_name', label: 'Deal name', unit: 'text', required: true, maxlength: 100 },
  { name: 'acquirer_name', label: 'Acquirer', unit: 'text', required: true, maxlength: 100 },
  { name: 'target_name', label: 'Target', unit: 'text', required: true, maxlength: 100 },
  { name: 'acquirerRevenue', label: 'Revenue', unit: 'm', required: true },
  { name: 'acquirerEBITDA', label: 'EBITDA', unit: 'm', required: true },
  { name: 'acquirerShares', label: 'Shares', unit: 'm', required: true },
  { name: 'acquirerNetDebt', label: 'Net debt', unit: 'm' },
  { name: 'acquirerSharePrice', label: 'Share price', unit: 'num', optional: true, hint: 'Prices the new shares; without it revenue per share is used (warned).' },
  { name: 'targetRevenue', label: 'Revenue', unit: 'm', required: true },
  { name: 'targetEBITDA', label: 'EBITDA', unit: 'm', required: true },
  { name: 'targetShares', label: 'Shares', unit: 'm', required: true },
  { name: 'targetNetDebt', label: 'Net debt', unit: 'm' },
  { name: 'purchasePrice', label: 'Purchase price', unit: 'm', required: true },
  { name: 'dealStructure_cash', label: 'Paid in cash', unit: 'pctnum', required: true },
  { name: 'dealStructure_stock', label: 'Paid in stock', unit: 'pctnum', required: true },
  { name: 'synergies_annual', label: 'Annual synergies', unit: 'm' },
  { name: 'synergies_duration', label: 'Synergy years', unit: 'int' },
  { name: 'synergies_discountRate', label: 'Synergy discount rate', unit: 'pct' },
  { name: 'taxRate', label: 'Tax rate', unit: 'pct' },
];
const NAMES = ['deal_name', 'acquirer_name', 'target_name'];

const state = { values: { ...PRESET }, result: null, perYear: null, runId: null, source: null };

/** Form values → the engine's inputs (nested structure and synergies). */
function toInputs(v) {
  const inputs = {};
  for (const [k, val] of Object.entries(v)) {
    if (NAMES.includes(k) || k.includes('_')) continue;
    inputs[k] = val;
  }
  inputs.dealStructure = { cash: v.dealStructure_cash, stock: v.dealStructure_stock };
  const syn = {};
  if (v.synergies_annual !== undefined) syn.annual = v.synergies_annual;
  if (v.synergies_duration !== undefined) syn.duration = v.synergies_duration;
  if (v.synergies_discountRate !== undefined) syn.discountRate = v.synergies_discountRate;
  if (Object.keys(syn).length > 0) inputs.synergies = syn;
  return inputs;
}

function fromInputs(inputs, names = {}) {
  const v = { ...inputs, ...names };
  delete v.dealStructure;
  delete v.synergies;
  const ds = inputs.dealStructure || {};
  const sy = inputs.synergies || {};
  v.dealStructure_cash = ds.cash ?? null;
  v.dealStructure_stock = ds.stock ?? null;
  v.synergies_annual = sy.annual ?? null;
  v.synergies_duration = sy.duration ?? null;
  v.synergies_discountRate = sy.discountRate ?? null;
  return v;
}

export async function render(main, ctx) {
  const runId = ctx.parts[1] || null;
  const form = new Form(SPECS, { aliases: { dealStructure: 'dealStructure_cash', synergies: 'synergies_annual' } });
  const slot = statusSlot();
  const saveSlot = statusSlot();
  const calcBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ma-calculate' }, 'Calculate');
  const presetBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm' }, 'Reset to example');
  const saveBtn = ctx.canWrite ? h('button', { type: 'button', class: 'btn', id: 'ma-save', 'data-write': '' }, 'Save run') : null;
  const kpis = h('div', { class: 'kpis kpis-6', id: 'ma-kpis' });
  const warnHost = h('div', {});
  const canvas = h('canvas', { id: 'ma-chart', role: 'img', 'aria-label': 'EPS accretion or dilution by year' });
  const perYearHost = h('div', { id: 'ma-per-year' });
  const detailHost = h('div', {});
  const source = h('span', { class: 'source' });

  // Cash and stock are two views of one split: typing one fills the other.
  const linkSplit = (from, to) => form.input(from).addEventListener('change', () => {
    const v = Number(form.input(from).value);
    if (Number.isFinite(v) && v >= 0 && v <= 100) form.input(to).value = String(Number((100 - v).toFixed(6)));
  });
  linkSplit('dealStructure_cash', 'dealStructure_stock');
  linkSplit('dealStructure_stock', 'dealStructure_cash');

  const formEl = h('form', { class: 'dcf-form', novalidate: true, id: 'ma-form', 'aria-label': 'M&A inputs' },
    fieldset(form, 'Deal', NAMES, { cols: 1 }),
    fieldset(form, 'Acquirer', ['acquirerRevenue', 'acquirerEBITDA', 'acquirerShares', 'acquirerNetDebt', 'acquirerSharePrice'], { note: 'Money and shares in millions.' }),
    fieldset(form, 'Target', ['targetRevenue', 'targetEBITDA', 'targetShares', 'targetNetDebt']),
    fieldset(form, 'Price and structure', ['purchasePrice', 'taxRate', 'dealStructure_cash', 'dealStructure_stock']),
    fieldset(form, 'Synergies', ['synergies_annual', 'synergies_duration', 'synergies_discountRate']),
    form.formError,
    h('div', { class: 'form-actions sticky-actions' }, calcBtn, presetBtn));

  const scen = scenarioBar({
    title: 'Scenario',
    canWrite: ctx.canWrite,
    list: async () => {
      const b = await get('/api/ma/scenarios');
      return (b.data || []).map((s) => ({ id: s.scenario_id, name: s.name, label: s.deal_name ? `${s.name} (${s.deal_name})` : s.name, item: s, updated: s.updated_at }));
    },
    save: async (name) => {
      const { values, ok } = form.read();
      if (!ok) throw Object.assign(new Error('Fix the marked inputs first.'), { fields: [] });
      const b = await post('/api/ma/scenarios', { scenarios: [{ name, deal_name: values.deal_name, acquirer_name: values.acquirer_name, target_name: values.target_name, inputs: toInputs(values) }] });
      if (b.errors && b.errors.length > 0) throw Object.assign(new Error(b.errors.map((e) => e.error).join('; ')), { fields: [] });
      return b.message;
    },
    remove: (s) => del(`/api/ma/scenarios/${encodeURIComponent(s.scenario_id)}`),
    load: (s) => {
      form.fill(fromInputs(s.inputs || {}, { deal_name: s.deal_name, acquirer_name: s.acquirer_name, target_name: s.target_name }), { clearMissing: true });
      state.runId = null;
      calculate();
    },
  });

  main.append(h('div', { class: 'page page-wide' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Mergers and acquisitions'),
      h('p', { class: 'muted' }, 'Pro forma earnings of the combined company and whether the deal adds to or dilutes earnings per share.')),
    h('div', { class: 'workbench' },
      h('div', { class: 'card inputs-card' }, formEl),
      h('div', { class: 'results' },
        h('div', { class: 'toolbar workbench-bar' }, h('div', { class: 'toolbar-left' }, source), h('div', { class: 'toolbar-right' }, saveBtn)),
        saveSlot,
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Accretion / dilution'), slot, kpis, warnHost),
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'By year'),
          h('p', { class: 'muted small' }, 'Synergies count for their years; after them the deal stands on its own. Other figures are the pro forma year.'),
          h('div', { class: 'chart-box chart-box-sm' }, canvas), perYearHost),
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Pro forma and deal metrics'), detailHost),
        h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Scenarios'), scen.el)))));

  const setSource = () => {
    clear(source);
    if (state.source) source.append(state.source);
  };

  const renderResult = (r, perYear) => {
    clear(kpis);
    clear(warnHost);
    clear(perYearHost);
    clear(detailHost);
    if (!r) {
      kpis.append(h('p', { class: 'muted' }, 'Calculate to see the effect on earnings per share.'));
      return;
    }
    const a = r.accretion_dilution || {};
    const acc = a.accretion;
    kpis.append(
      kpi(isNum(acc) && acc < 0 ? 'EPS dilution' : 'EPS accretion', pct(acc, 1),
        { key: 'accretion', class: ['kpi-main', isNum(acc) ? (acc >= 0 ? 'is-pos' : 'is-neg') : null].filter(Boolean).join(' '),
          sub: a.is_accretive ? 'accretive' : 'dilutive' }),
      kpi('EPS before', num(a.pre_deal_eps, 3), { key: 'pre_eps' }),
      kpi('EPS after', num(a.post_deal_eps, 3), { key: 'post_eps' }),
      kpi('New shares', num(r.pro_forma && r.pro_forma.new_shares_issued, 2), { key: 'new_shares', sub: 'millions' }),
      kpi('Synergies (PV)', num(r.synergies && r.synergies.present_value, 1), { key: 'syn_pv', sub: `${num(r.synergies && r.synergies.per_share, 2)} per share` }),
      kpi('Price / EBITDA', multiple(r.deal_metrics && r.deal_metrics.ev_ebitda, 1), { key: 'ev_ebitda' }));
    const w = warningsList(r.warnings);
    if (w) warnHost.append(w);
    if (perYear && perYear.length > 0) {
      accretionChart(canvas, perYear.map((p) => `Y${p.year}`), perYear.map((p) => p.accretion));
      perYearHost.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Accretion by year' },
        h('table', { class: 'data yearly' }, h('caption', { class: 'sr-only' }, 'Accretion or dilution by year'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Year'), perYear.map((p) => h('th', { scope: 'col', class: 'num' }, `Y${p.year}`)))),
          h('tbody', {},
            h('tr', {}, h('th', { scope: 'row' }, 'Synergies'), perYear.map((p) => h('td', { class: 'num' }, p.synergies ? 'yes' : '—'))),
            h('tr', {}, h('th', { scope: 'row' }, 'EPS after deal'), perYear.map((p) => h('td', { class: 'num' }, num(p.eps, 3)))),
            h('tr', { class: 'row-strong' }, h('th', { scope: 'row' }, 'Accretion / dilution'),
              perYear.map((p) => h('td', { class: ['num', isNum(p.accretion) ? (p.accretion >= 0 ? 'pos' : 'neg') : null] }, pct(p.accretion, 1))))))));
    }
    const pf = r.pro_forma || {};
    const dm = r.deal_metrics || {};
    const line = (label, v) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, v));
    detailHost.append(h('div', { class: 'cols cols-2' },
      h('table', { class: 'data kv' }, h('caption', {}, 'Pro forma (millions)'), h('tbody', {},
        line('Revenue', num(pf.revenue, 1)), line('EBITDA', num(pf.ebitda, 1)), line('Net income', num(pf.net_income, 1)),
        line('Shares', num(pf.shares, 2)), line('EPS', num(pf.eps, 3)), line('Net debt', num(pf.net_debt, 1)))),
      h('table', { class: 'data kv' }, h('caption', {}, 'Deal metrics'), h('tbody', {},
        line('Purchase price', num(dm.purchase_price, 1)), line('Price / EBITDA', multiple(dm.ev_ebitda, 2)),
        line('Price / revenue', multiple(dm.ev_revenue, 2)), line('Pro forma EV / EBITDA', multiple(dm.pro_forma_ev_ebitda, 2)),
        line('Return on price', pct(dm.roic, 1)),
        line('Target EPS contribution', num(a.target_contribution, 3)), line('Synergy EPS contribution', num(a.synergy_contribution, 3))))));
  };

  /** The with-synergies result plus one without them → the per-year view. */
  async function perYearOf(inputs, r) {
    const years = Math.max(0, Math.min(30, Number(inputs.synergies && inputs.synergies.duration) || 0));
    const withS = { year: 1, eps: r.accretion_dilution.post_deal_eps, accretion: r.accretion_dilution.accretion };
    if (years === 0 || !(inputs.synergies && inputs.synergies.annual)) {
      return [{ ...withS, synergies: false }];
    }
    const b = await post('/api/ma/calculate', { inputs: { ...inputs, synergies: { ...inputs.synergies, annual: 0 } } });
    const without = b.data.accretion_dilution;
    const out = [];
    for (let y = 1; y <= years + 1; y++) {
      out.push(y <= years ? { year: y, eps: withS.eps, accretion: withS.accretion, synergies: true }
        : { year: y, eps: without.post_deal_eps, accretion: without.accretion, synergies: false });
    }
    return out;
  }

  async function calculate() {
    return busy(calcBtn, async () => {
      hideSlot(slot);
      const { values, ok } = form.read();
      state.values = { ...values };
      if (!ok) {
        showInfo(slot, 'Some inputs need attention (marked in the form).', 'error');
        return;
      }
      const inputs = toInputs(values);
      try {
        const b = await post('/api/ma/calculate', { inputs });
        state.result = b.data;
        state.perYear = await perYearOf(inputs, b.data);
        renderResult(state.result, state.perYear);
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
        const inputs = toInputs(values);
        const b = await post('/api/ma/runs', { deal_name: values.deal_name, acquirer_name: values.acquirer_name, target_name: values.target_name, inputs, compute: true });
        const d = b.data || {};
        state.runId = d.run_id;
        if (d.results) {
          state.result = d.results;
          state.perYear = await perYearOf(inputs, d.results).catch(() => null);
          renderResult(state.result, state.perYear);
        }
        state.source = `Run ${String(d.run_id).slice(0, 8)} · ${values.deal_name}`;
        setSource();
        history.replaceState(null, '', `#/ma/${d.run_id}`);
        showInfo(saveSlot, h('span', {}, `${b.message || 'M&A run saved'}. `, h('a', { href: '#/runs/ma' }, 'See it in Runs')), 'ok');
        saveSlot.dataset.runId = d.run_id;
        toast('M&A run saved');
      } catch (e) {
        form.markFields(e);
        showError(saveSlot, e, { lockButtons: [saveBtn] });
      }
    }));
  }

  form.fill(state.values, { clearMissing: true });
  renderResult(state.result, state.perYear);
  setSource();

  if (runId) {
    showInfo(slot, 'Opening the run…');
    try {
      const b = await get(`/api/ma/runs/${encodeURIComponent(runId)}`);
      const run = b.data;
      state.values = fromInputs(run.inputs || {}, { deal_name: run.deal_name, acquirer_name: run.acquirer_name, target_name: run.target_name });
      form.fill(state.values, { clearMissing: true });
      state.source = `Run ${run.run_id.slice(0, 8)} · ${run.deal_name} · saved ${new Date(run.created_at).toLocaleString('en-GB')} by ${ctx.nameOf(run.user_id)}`;
      setSource();
      hideSlot(slot);
      if (run.results && run.results.accretion_dilution) {
        state.result = run.results;
        state.perYear = await perYearOf(run.inputs || {}, run.results).catch(() => null);
        renderResult(state.result, state.perYear);
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
