// DCF workbench: every input of the DCF engine (engines.md §1) with its unit, calculated on the
// server; totals, warnings, the yearly series as a chart and a table; Monte Carlo with its
// settings and a histogram marked at p10 / median / p90; the WACC × terminal-growth heatmap;
// save as a run; named scenarios.
//
//   #/dcf                 the workbench as it was left (or the engine's preset)
//   #/dcf/ticker/AAPL     a company's DCF inputs (/api/financial-data/AAPL/dcf-inputs)
//   #/dcf/run/<run_id>    a saved run: its inputs back in the form, its results shown

import { get, post, del, qs } from '../api.js';
import {
  h, clear, card, kpi, num, pct, multiple, mill, millDp, showError, showInfo, hideSlot, statusSlot, busy, toast,
  warningsList, isNum, signClass,
} from '../ui.js';
import { Form, fieldset } from '../forms.js';
import { dcfChart, histogram, COLORS } from '../charts.js';
import { Heatmap } from '../heatmap.js';
import { scenarioBar } from '../scenarios.js';

// The engine's preset (engines.md §1), in API units.
export const PRESET = {
  ticker: '', revenue: 500, growthY1: 0.12, growthDecay: 0.015, years: 7, termGrowth: 0.025,
  ebitMargin: 0.22, taxRate: 0.23, salesToCap: 2.5, wacc: 0.09, shares: 150, netDebt: 300,
  stage1End: 3, stage2End: 6,
  s1Growth: 0.12, s1Margin: 0.20, s1S2C: 2.5, s1NWC: 0.05,
  s2Growth: 0.08, s2Margin: 0.22, s2S2C: 3.0, s2NWC: 0.04,
  s3Growth: 0.04, s3Margin: 0.24, s3S2C: 3.5, s3NWC: 0.035,
  tvMethod: 'perpetuity', tvMultipleVal: null,
  waccMin: 0.07, waccMax: 0.12, tgMin: 0.01, tgMax: 0.035, gridSize: 11,
};
const MC_PRESET = { trials: 1000, volPP: 2, marginVolPP: null, s2cVolPct: 5, corrGM: 0.3, seedStr: '' };

const SPECS = [
  { name: 'ticker', label: 'Ticker', unit: 'text', optional: true, maxlength: 20, placeholder: 'e.g. AAPL' },
  { name: 'revenue', label: 'Base-year revenue', unit: 'm', required: true },
  { name: 'shares', label: 'Shares outstanding', unit: 'm', required: true },
  { name: 'netDebt', label: 'Net debt', unit: 'm', required: true, hint: 'Debt minus cash; negative for net cash.' },
  { name: 'growthY1', label: 'Revenue growth, year 1', unit: 'pct', required: true },
  { name: 'growthDecay', label: 'Growth fade per year', unit: 'pct', hint: 'Subtracted from growth each year (without stage overrides).' },
  { name: 'ebitMargin', label: 'EBIT margin', unit: 'pct', required: true },
  { name: 'taxRate', label: 'Tax rate', unit: 'pct', required: true },
  { name: 'salesToCap', label: 'Sales-to-capital', unit: 'x', required: true, hint: 'Revenue added per unit of reinvestment.' },
  { name: 'years', label: 'Forecast years', unit: 'int', required: true, hint: '3 to 15.' },
  { name: 'wacc', label: 'WACC', unit: 'pct', required: true },
  { name: 'termGrowth', label: 'Terminal growth', unit: 'pct', required: true },
  { name: 'tvMethod', label: 'Terminal value', unit: 'select',
    options: [['perpetuity', 'Perpetuity growth'], ['multiple', 'Exit multiple of FCFF']] },
  { name: 'tvMultipleVal', label: 'Terminal multiple', unit: 'x', optional: true, hint: 'Used with the exit-multiple method.' },
  { name: 'stage1End', label: 'Stage 1 ends after year', unit: 'int' },
  { name: 'stage2End', label: 'Stage 2 ends after year', unit: 'int' },
  ...[1, 2, 3].flatMap((s) => [
    { name: `s${s}Growth`, label: `Stage ${s} growth`, unit: 'pct', optional: true },
    { name: `s${s}Margin`, label: `Stage ${s} EBIT margin`, unit: 'pct', optional: true },
    { name: `s${s}S2C`, label: `Stage ${s} sales-to-capital`, unit: 'x', optional: true },
    { name: `s${s}NWC`, label: `Stage ${s} net working capital`, unit: 'pct', optional: true },
  ]),
  { name: 'waccMin', label: 'WACC from', unit: 'pct' },
  { name: 'waccMax', label: 'WACC to', unit: 'pct' },
  { name: 'tgMin', label: 'Terminal growth from', unit: 'pct' },
  { name: 'tgMax', label: 'Terminal growth to', unit: 'pct' },
  { name: 'gridSize', label: 'Grid size', unit: 'int', hint: 'Cells per side, 2 to 101.' },
];
const MC_SPECS = [
  { name: 'trials', label: 'Trials', unit: 'int', required: true, hint: '100 to 100,000.' },
  { name: 'volPP', label: 'Growth volatility', unit: 'pp', hint: 'σ of growth, percentage points.' },
  { name: 'marginVolPP', label: 'Margin volatility', unit: 'pp', optional: true, hint: 'Defaults to the growth volatility.' },
  { name: 's2cVolPct', label: 'Sales-to-capital volatility', unit: 'pctnum', hint: 'Relative σ.' },
  { name: 'corrGM', label: 'Growth–margin correlation', unit: 'num', hint: '−0.99 to 0.99.' },
  { name: 'seedStr', label: 'Seed', unit: 'text', optional: true, hint: 'Same seed, same result. Empty: a random one.' },
];

// The workbench survives navigation: what was typed and calculated stays.
const state = {
  values: { ...PRESET },
  mcValues: { ...MC_PRESET },
  result: null,
  mc: null,
  sens: null,
  sensBase: null,
  assumptions: null,
  runId: null,
  source: null,
};

function stripForEngine(values) {
  const inputs = { ...values };
  delete inputs.gridSize;
  if (!inputs.ticker) delete inputs.ticker;
  if (inputs.tvMethod !== 'multiple') delete inputs.tvMultipleVal;
  return inputs;
}

function yearLabels(n) {
  return Array.from({ length: n + 1 }, (_, i) => (i === 0 ? 'Base' : `Y${i}`));
}

/** A company's dcf-inputs (currency units) → the workbench (millions), grid centred on base. */
function fromCompany(d) {
  const v = { ...PRESET };
  for (const k of Object.keys(PRESET)) if (k in d && d[k] !== null) v[k] = d[k];
  v.revenue = d.revenue / 1e6;
  v.shares = d.shares / 1e6;
  v.netDebt = d.netDebt / 1e6;
  for (const s of [1, 2, 3]) {
    v[`s${s}Growth`] = d[`s${s}Growth`] ?? null;
    v[`s${s}Margin`] = d[`s${s}Margin`] ?? null;
    v[`s${s}S2C`] = d[`s${s}S2C`] ?? null;
    v[`s${s}NWC`] = d[`s${s}NWC`] ?? null;
  }
  v.ticker = d.ticker || '';
  const r4 = (x) => Math.round(x * 10000) / 10000;
  v.waccMin = r4(Math.max(0.01, v.wacc - 0.025));
  v.waccMax = r4(v.wacc + 0.025);
  v.tgMin = r4(Math.max(-0.05, v.termGrowth - 0.0125));
  v.tgMax = r4(v.termGrowth + 0.0125);
  v.gridSize = 11;
  return v;
}

export async function render(main, ctx) {
  const [, mode, arg] = ctx.parts;
  const page = h('div', { class: 'page page-wide' });
  const form = new Form(SPECS, { aliases: { 'grid.size': 'gridSize', size: 'gridSize' } });
  const mcForm = new Form(MC_SPECS, { aliases: { seed: 'seedStr' } });
  const topSlot = statusSlot();
  const resultsSlot = statusSlot();
  const mcSlot = statusSlot();
  const sensSlot = statusSlot();
  const saveSlot = statusSlot();

  const calcBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'dcf-calculate' }, 'Calculate');
  const mcBtn = h('button', { type: 'button', class: 'btn', id: 'mc-run' }, 'Run Monte Carlo');
  const sensBtn = h('button', { type: 'button', class: 'btn btn-sm', id: 'sens-run' }, 'Recalculate grid');
  const centreBtn = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', id: 'sens-centre' }, 'Centre on base case');
  const saveBtn = ctx.canWrite ? h('button', { type: 'button', class: 'btn', id: 'dcf-save', 'data-write': '' }, 'Save run') : null;
  const presetBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', id: 'dcf-preset' }, 'Reset to preset');

  // ---- the inputs form -----------------------------------------------------------------
  const stageTable = h('div', { class: 'table-wrap' }, h('table', { class: 'stage-table' },
    h('caption', { class: 'sr-only' }, 'Per-stage overrides'),
    h('colgroup', {}, h('col', { class: 'stage-col' }), h('col', {}), h('col', {}), h('col', {}), h('col', {})),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Stage'),
      ['Growth', 'EBIT margin', 'Sales/cap.', 'NWC/rev.'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, [1, 2, 3].map((s) => h('tr', {}, h('th', { scope: 'row' }, `${s}`),
      ['Growth', 'Margin', 'S2C', 'NWC'].map((k) => h('td', {}, form.el(`s${s}${k}`))))))));
  for (const s of [1, 2, 3]) for (const k of ['Growth', 'Margin', 'S2C', 'NWC']) form.el(`s${s}${k}`).classList.add('compact');

  const formEl = h('form', { class: 'dcf-form', novalidate: true, id: 'dcf-form', 'aria-label': 'DCF inputs' },
    fieldset(form, 'Company', ['ticker', 'revenue', 'shares', 'netDebt'], { note: 'Money in millions; shares in millions.' }),
    fieldset(form, 'Growth and profitability', ['growthY1', 'growthDecay', 'ebitMargin', 'taxRate', 'salesToCap', 'years']),
    fieldset(form, 'Discounting and terminal value', ['wacc', 'termGrowth', 'tvMethod', 'tvMultipleVal']),
    h('fieldset', { class: 'fieldset' }, h('legend', {}, 'Stages'),
      h('div', { class: 'grid cols-2' }, form.el('stage1End'), form.el('stage2End')),
      h('p', { class: 'fieldset-note' }, 'Overrides per stage; an empty cell falls back to the inputs above.'),
      stageTable),
    form.formError,
    h('div', { class: 'form-actions sticky-actions' }, calcBtn, presetBtn));

  // ---- results -------------------------------------------------------------------------
  const kpis = h('div', { class: 'kpis kpis-6', id: 'dcf-kpis' });
  const warnHost = h('div', {});
  const chartCanvas = h('canvas', { id: 'dcf-chart', role: 'img', 'aria-label': 'Revenue, EBIT, FCFF and PV of FCFF by year' });
  const tableHost = h('div', { id: 'dcf-table' });
  const mcStats = h('div', { class: 'mc-stats', id: 'mc-stats' });
  const mcCanvas = h('canvas', { id: 'mc-histogram', role: 'img', 'aria-label': 'Monte Carlo distribution of value per share' });
  const mcBox = h('div', { class: 'chart-box', hidden: true }, mcCanvas);
  const heatHost = h('div', { id: 'sens-heatmap' });
  const heatTableToggle = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-pressed': 'false', id: 'sens-table-toggle' }, 'Show as table');
  let heat = null;
  let showTable = false;

  const scen = scenarioBar({
    title: 'Scenario',
    canWrite: ctx.canWrite,
    list: async () => {
      const b = await get('/api/scenarios');
      return (b.scenarios || []).map((s) => ({ id: s.scenario_id, name: s.name, label: `${s.ticker} — ${s.name}`, item: s, updated: s.updated_at }));
    },
    save: async (name) => {
      const { values, ok } = form.read();
      if (!ok) throw Object.assign(new Error('Fix the marked inputs first.'), { fields: [] });
      if (!values.ticker) {
        form.setError('ticker', 'ticker: a scenario needs a ticker');
        form.input('ticker').focus();
        throw Object.assign(new Error('A scenario is saved per ticker: fill in the ticker.'), { fields: [] });
      }
      const mc = mcForm.read();
      const item = { name, ticker: values.ticker, inputs: { ...stripForEngine(values), gridSize: values.gridSize } };
      if (mc.ok) item.mc_settings = mc.values;
      const b = await post('/api/scenarios', [item]);
      if (b.errors && b.errors.length > 0) {
        throw Object.assign(new Error(b.errors.map((e) => e.error).join('; ')), { fields: [] });
      }
      return b.message || 'Scenario saved.';
    },
    remove: (s) => del(`/api/scenarios/${encodeURIComponent(s.scenario_id)}`),
    load: (s) => {
      const v = { ...PRESET, ...s.inputs, ticker: s.ticker };
      for (const k of ['s1Growth', 's1Margin', 's1S2C', 's1NWC', 's2Growth', 's2Margin', 's2S2C', 's2NWC', 's3Growth', 's3Margin', 's3S2C', 's3NWC']) {
        if (!(k in s.inputs) && !s.inputs.use_defaults) v[k] = null;
      }
      form.fill(v, { clearMissing: true });
      if (s.mc_settings) mcForm.fill({ ...MC_PRESET, ...s.mc_settings }, { clearMissing: true });
      state.runId = null;
      calculate();
    },
  });

  const toolbar = h('div', { class: 'toolbar workbench-bar' },
    h('div', { class: 'toolbar-left' }, h('span', { class: 'source', id: 'dcf-source' })),
    h('div', { class: 'toolbar-right' }, saveBtn));

  const results = h('div', { class: 'results' },
    toolbar, saveSlot, topSlot,
    h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Valuation'), resultsSlot, kpis, warnHost),
    h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Yearly projection'),
      h('div', { class: 'chart-box' }, chartCanvas), tableHost),
    h('section', { class: 'card', id: 'mc-card' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Monte Carlo'), mcBtn),
      h('div', { class: 'grid cols-3 mc-settings' }, MC_SPECS.map((s) => mcForm.el(s.name))), mcForm.formError,
      mcSlot, mcStats, mcBox),
    h('section', { class: 'card', id: 'sens-card' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Sensitivity: WACC × terminal growth'),
        h('div', { class: 'btn-row' }, heatTableToggle, centreBtn, sensBtn)),
      h('div', { class: 'grid cols-5 sens-range' }, ['waccMin', 'waccMax', 'tgMin', 'tgMax', 'gridSize'].map((n) => form.el(n))),
      sensSlot, heatHost),
    h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Scenarios'), scen.el));

  page.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'DCF workbench'),
      h('p', { class: 'muted' }, 'Percentages are entered as percent and sent to the engine as decimals; money in millions.')),
    h('div', { class: 'workbench' }, h('div', { class: 'card inputs-card' }, formEl), results));
  main.append(page);

  // ---- rendering results -------------------------------------------------------------------
  const renderResult = (r) => {
    clear(kpis);
    clear(warnHost);
    clear(tableHost);
    if (!r) {
      kpis.append(h('p', { class: 'muted' }, 'Calculate to see the valuation.'));
      return;
    }
    const t = r.totals || {};
    kpis.append(
      kpi('Value per share', num(t.per_share, 2), { key: 'per_share', class: 'kpi-main' }),
      kpi('Enterprise value', mill(t.ev), { key: 'ev', sub: 'millions' }),
      kpi('Equity value', mill(t.equity), { key: 'equity', sub: 'millions' }),
      kpi('Terminal value share', pct(t.tv_pct, 1), { key: 'tv_pct', sub: 'of EV' }),
      kpi('Sum of PV of FCFF', mill(t.sum_pv_fcff), { key: 'sum_pv_fcff', sub: 'millions' }),
      kpi('PV of terminal value', mill(t.pv_tv), { key: 'pv_tv', sub: 'millions' }));
    if (r.kpis) {
      kpis.append(h('div', { class: 'kpi-foot muted' },
        `FCFF CAGR ${pct(r.kpis.fcff_cagr, 1)} · payback year ${r.kpis.payback_year ?? '—'} · EV / NOPAT₁ ${multiple(r.kpis.ev_to_nopat, 1)}` +
        (isNum(t.term_growth_used) ? ` · terminal growth used ${pct(t.term_growth_used, 2)}` : '')));
    }
    const w = warningsList(r.warnings);
    if (w) warnHost.append(w);
    const s = r.series || {};
    const n = (s.rev || []).length - 1;
    if (n < 1) return;
    const labels = yearLabels(n);
    dcfChart(chartCanvas, labels, s);
    const dp = millDp(Math.max(...(s.rev || []).filter(isNum).map(Math.abs)));
    const m = (v) => num(v, dp);
    const rows = [
      ['Revenue', s.rev, m], ['Growth', s.growth, (v) => pct(v, 1)],
      ['EBIT margin', s.margin, (v) => pct(v, 1)], ['EBIT', s.ebit, m],
      ['NOPAT', s.nopat, m], ['Net working capital', s.nwc, m],
      ['Change in NWC', s.delta_nwc, m], ['Reinvestment', s.capex, m],
      ['FCFF', s.fcff, m], ['PV of FCFF', s.pv_fcff, m],
    ];
    tableHost.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Yearly projection table' },
      h('table', { class: 'data yearly' },
        h('caption', { class: 'sr-only' }, 'Yearly projection, millions'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Millions'), labels.map((l) => h('th', { scope: 'col', class: 'num' }, l)))),
        h('tbody', {}, rows.map(([label, arr, f]) => h('tr', { class: label === 'FCFF' ? 'row-strong' : null },
          h('th', { scope: 'row' }, label),
          (arr || []).map((v) => h('td', { class: ['num', isNum(v) && v < 0 ? 'neg' : null] }, v === null ? '' : f(v)))))))));
  };

  const renderMc = (d) => {
    clear(mcStats);
    if (!d) {
      mcBox.hidden = true;
      mcStats.append(h('p', { class: 'muted' }, 'Runs the DCF many times with growth, margin and sales-to-capital drawn at random around the inputs.'));
      return;
    }
    const st = d.stats || {};
    mcStats.append(h('div', { class: 'kpis kpis-6 kpis-compact' },
      kpi('P10', num(st.p10, 2), { key: 'mc_p10' }), kpi('Median', num(st.median, 2), { key: 'mc_median', class: 'kpi-main' }),
      kpi('P90', num(st.p90, 2), { key: 'mc_p90' }), kpi('Mean', num(st.mean, 2), { key: 'mc_mean' }),
      kpi('Std. dev.', num(st.std, 2), { key: 'mc_std' }), kpi('Trials', num(st.n, 0), { key: 'mc_n', sub: `seed ${st.seed ?? '—'}` })));
    const w = warningsList(d.warnings);
    if (w) mcStats.append(w);
    const hg = d.histogram || {};
    if (Array.isArray(hg.edges) && hg.edges.length > 1) {
      mcBox.hidden = false;
      histogram(mcCanvas, hg.edges, hg.counts, [
        { value: st.p10, label: `P10 ${num(st.p10, 2)}`, color: COLORS.red, dash: [5, 4], row: 0 },
        { value: st.median, label: `Median ${num(st.median, 2)}`, color: COLORS.navy, row: 1 },
        { value: st.p90, label: `P90 ${num(st.p90, 2)}`, color: COLORS.green, dash: [5, 4], row: 2 },
      ]);
    }
  };

  const renderSens = () => {
    if (heat) heat.destroy();
    heat = null;
    clear(heatHost);
    if (!state.sens) {
      heatHost.append(h('p', { class: 'muted' }, 'Calculate to see how the value per share moves with WACC and terminal growth.'));
      return;
    }
    heat = new Heatmap(state.sens, state.sensBase);
    heatHost.append(showTable ? heat.tableView() : heat.el);
    if (!showTable) heat.draw();
  };

  heatTableToggle.addEventListener('click', () => {
    showTable = !showTable;
    heatTableToggle.setAttribute('aria-pressed', String(showTable));
    heatTableToggle.textContent = showTable ? 'Show as heatmap' : 'Show as table';
    renderSens();
  });

  const setSource = () => {
    const el = toolbar.querySelector('#dcf-source');
    clear(el);
    if (state.runId) el.append('Run ', h('code', {}, state.runId.slice(0, 8)), state.source ? ` · ${state.source}` : '');
    else if (state.source) el.append(state.source);
  };

  // ---- actions -------------------------------------------------------------------------------
  const readAll = () => {
    const { values, ok } = form.read();
    state.values = { ...state.values, ...valuesWithNulls(form, values) };
    return { values, ok };
  };

  async function sensitivity(values) {
    hideSlot(sensSlot);
    const size = values.gridSize || 11;
    try {
      const b = await post('/api/dcf/sensitivity', { inputs: stripForEngine(values), grid: { size } });
      state.sens = b.data;
      state.sensBase = { wacc: values.wacc, termGrowth: values.termGrowth, perShare: state.result ? state.result.totals.per_share : null };
      renderSens();
    } catch (e) {
      form.markFields(e);
      showError(sensSlot, e, { lockButtons: [sensBtn] });
    }
  }

  async function calculate(fromForm = false) {
    return busy(calcBtn, async () => {
      hideSlot(resultsSlot);
      hideSlot(topSlot);
      const { values, ok } = readAll();
      if (!ok) {
        showInfo(resultsSlot, 'Some inputs need attention (marked in the form).', 'error');
        return;
      }
      try {
        const b = await post('/api/dcf/calculate', { inputs: stripForEngine(values) });
        state.result = b.data;
        renderResult(state.result);
        // One column (phones): the results are below the long form; bring them into view.
        if (fromForm && window.matchMedia('(max-width: 900px)').matches) {
          kpis.closest('.card').scrollIntoView({ block: 'start' });
        }
      } catch (e) {
        form.markFields(e);
        showError(resultsSlot, e, { lockButtons: [calcBtn] });
        return;
      }
      await sensitivity(values);
    });
  }

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    calculate(true);
  });

  sensBtn.addEventListener('click', () => busy(sensBtn, async () => {
    const { values, ok } = readAll();
    if (ok) await sensitivity(values);
  }));

  centreBtn.addEventListener('click', () => {
    const { values, ok } = readAll();
    if (!ok) return;
    const r4 = (x) => Math.round(x * 10000) / 10000;
    form.fill({
      waccMin: r4(Math.max(0.01, values.wacc - 0.025)), waccMax: r4(values.wacc + 0.025),
      tgMin: r4(Math.max(-0.05, values.termGrowth - 0.0125)), tgMax: r4(values.termGrowth + 0.0125),
      gridSize: values.gridSize && values.gridSize % 2 === 1 ? values.gridSize : 11,
    });
    busy(sensBtn, async () => {
      const again = readAll();
      if (again.ok) await sensitivity(again.values);
    });
  });

  mcBtn.addEventListener('click', () => busy(mcBtn, async () => {
    hideSlot(mcSlot);
    const { values, ok } = readAll();
    const mc = mcForm.read();
    if (!ok || !mc.ok) {
      showInfo(mcSlot, 'Some inputs need attention (marked).', 'error');
      return;
    }
    state.mcValues = { ...MC_PRESET, ...valuesWithNulls(mcForm, mc.values) };
    try {
      const b = await post('/api/dcf/monte-carlo', { inputs: stripForEngine(values), mc_settings: mc.values });
      state.mc = b.data;
      renderMc(state.mc);
    } catch (e) {
      if (!mcForm.markFields(e)) form.markFields(e);
      showError(mcSlot, e, { lockButtons: [mcBtn] });
    }
  }));

  if (saveBtn) {
    saveBtn.addEventListener('click', () => busy(saveBtn, async () => {
      hideSlot(saveSlot);
      const { values, ok } = readAll();
      if (!ok) {
        showInfo(saveSlot, 'Some inputs need attention (marked in the form).', 'error');
        return;
      }
      const body = { inputs: { ...stripForEngine(values), gridSize: values.gridSize }, compute: true };
      const mc = mcForm.read();
      if (state.mc && mc.ok) body.mc_settings = mc.values;
      try {
        const b = await post('/api/runs', body);
        state.runId = b.run_id;
        if (b.results && b.results.dcf) {
          state.result = b.results.dcf;
          renderResult(state.result);
        }
        if (b.results && b.results.monte_carlo) {
          state.mc = b.results.monte_carlo;
          renderMc(state.mc);
        }
        setSource();
        history.replaceState(null, '', `#/dcf/run/${b.run_id}`);
        const msg = h('span', {}, `${b.message || 'Run saved'}. `,
          h('a', { href: `#/runs/dcf${qs({ ticker: values.ticker || '' })}` }, 'See it in Runs'));
        showInfo(saveSlot, msg, 'ok');
        saveSlot.dataset.runId = b.run_id;
        toast('Run saved');
      } catch (e) {
        form.markFields(e);
        showError(saveSlot, e, { lockButtons: [saveBtn] });
      }
    }));
  }

  presetBtn.addEventListener('click', () => {
    form.fill(PRESET, { clearMissing: true });
    mcForm.fill(MC_PRESET, { clearMissing: true });
    state.runId = null;
    state.source = 'Engine preset';
    setSource();
  });

  // ---- what to show first --------------------------------------------------------------------
  form.fill(state.values, { clearMissing: true });
  mcForm.fill(state.mcValues, { clearMissing: true });
  renderResult(state.result);
  renderMc(state.mc);
  renderSens();
  setSource();

  if (mode === 'ticker' && arg) {
    const ticker = arg.toUpperCase();
    showInfo(topSlot, `Loading the DCF inputs of ${ticker}…`);
    try {
      const b = await get(`/api/financial-data/${encodeURIComponent(ticker)}/dcf-inputs`);
      state.values = fromCompany(b.data);
      state.assumptions = b.data.assumptions || [];
      state.runId = null;
      state.source = `${ticker}: inputs from company data (money in millions)`;
      state.mc = null;
      renderMc(null);
      form.fill(state.values, { clearMissing: true });
      setSource();
      hideSlot(topSlot);
      if (state.assumptions.length > 0) {
        showInfo(topSlot, `Defaulted by the data service: ${state.assumptions.map((a) => `${a.field} (${a.reason})`).join(', ')}.`, 'info');
      }
      history.replaceState(null, '', '#/dcf');
      await calculate();
    } catch (e) {
      showError(topSlot, e);
    }
  } else if (mode === 'run' && arg) {
    showInfo(topSlot, 'Opening the run…');
    try {
      const b = await get(`/api/runs/${encodeURIComponent(arg)}`);
      const run = b.data;
      const inp = run.inputs || {};
      const v = inp.use_defaults ? { ...PRESET, ...inp } : { ...PRESET, ...nullStages(inp), ...inp };
      v.ticker = run.ticker && run.ticker !== 'UNKNOWN' ? run.ticker : (inp.ticker || '');
      state.values = v;
      state.runId = run.run_id;
      state.source = `${run.ticker} · saved ${new Date(run.created_at).toLocaleString('en-GB')} by ${ctx.nameOf(run.user_id)}`;
      form.fill(v, { clearMissing: true });
      if (run.mc_settings) {
        state.mcValues = { ...MC_PRESET, ...run.mc_settings };
        mcForm.fill(state.mcValues, { clearMissing: true });
      }
      hideSlot(topSlot);
      setSource();
      const res = run.results || {};
      state.mc = res.monte_carlo || null;
      renderMc(state.mc);
      if (res.dcf) {
        state.result = res.dcf;
        renderResult(state.result);
        const { values, ok } = readAll();
        if (ok) await sensitivity(values);
      } else {
        await calculate();
      }
    } catch (e) {
      showError(topSlot, e);
    }
  }

  return () => {
    const { values } = form.read();
    state.values = { ...state.values, ...valuesWithNulls(form, values) };
    const mc = mcForm.read();
    state.mcValues = { ...state.mcValues, ...valuesWithNulls(mcForm, mc.values) };
    if (heat) heat.destroy();
  };
}

function nullStages(inp) {
  const v = {};
  for (const s of [1, 2, 3]) {
    for (const k of ['Growth', 'Margin', 'S2C', 'NWC']) if (!(`s${s}${k}` in inp)) v[`s${s}${k}`] = null;
  }
  return v;
}

/** Read values plus explicit nulls for the fields left empty (so "not set" is remembered). */
function valuesWithNulls(form, values) {
  const out = { ...values };
  for (const name of form.fields.keys()) if (!(name in out)) out[name] = null;
  return out;
}

export { signClass };
