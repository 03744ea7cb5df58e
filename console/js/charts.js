// Charts: Chart.js 3.9 from Debian's libjs-chart.js, served by the console's own nginx at
// /vendor/chart.js/ (so script-src 'self' holds). Every chart marks its canvas with
// data-rendered="true" once drawn (what the browser suite waits for).

import { Chart, registerables } from '../vendor/chart.js/chart.mjs';
import { num } from './ui.js';

Chart.register(...registerables);

export const COLORS = {
  navy: '#1d3b72',
  blue: '#2f6fdb',
  sky: '#8fb3ee',
  teal: '#0f8a7e',
  amber: '#c77700',
  red: '#c23b32',
  green: '#1e8a4c',
  grey: '#8a94a3',
  grid: '#e7eaef',
  text: '#4a5462',
};

Chart.defaults.font.family = 'Inter, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = COLORS.text;
Chart.defaults.borderColor = COLORS.grid;
Chart.defaults.animation.duration = 250;
Chart.defaults.plugins.legend.labels.boxWidth = 12;
Chart.defaults.plugins.legend.labels.boxHeight = 12;
// Legend in the datasets' order (Chart.js otherwise follows the drawing order).
Chart.defaults.plugins.legend.labels.sort = (a, b) => a.datasetIndex - b.datasetIndex;
Chart.defaults.plugins.tooltip.backgroundColor = 'rgba(20, 28, 40, 0.92)';
Chart.defaults.plugins.tooltip.padding = 8;
Chart.defaults.maintainAspectRatio = false;

const rendered = {
  id: 'valorRendered',
  afterRender(chart) {
    const c = chart.canvas;
    c.dataset.rendered = 'true';
    c.dataset.renders = String(Number(c.dataset.renders || 0) + 1);
  },
};
Chart.register(rendered);

function make(canvas, config) {
  const old = Chart.getChart(canvas);
  if (old) old.destroy();
  delete canvas.dataset.rendered;
  return new Chart(canvas, config);
}

const axisNum = (dp) => (v) => num(Number(v), dp);

/** Close prices over time (labels oldest → newest). */
export function priceChart(canvas, labels, closes, currency) {
  return make(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [{
        label: `Close (${currency || 'USD'})`, data: closes, borderColor: COLORS.blue,
        backgroundColor: 'rgba(47, 111, 219, 0.10)', fill: true, pointRadius: 0,
        borderWidth: 1.6, tension: 0.15,
      }],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { display: false } },
      scales: {
        x: { ticks: { maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
        y: { ticks: { callback: axisNum(0) } },
      },
    },
  });
}

/** DCF yearly series: revenue and EBIT as bars, FCFF and PV of FCFF as lines. */
export function dcfChart(canvas, years, s) {
  return make(canvas, {
    type: 'bar',
    data: {
      labels: years,
      datasets: [
        { type: 'bar', label: 'Revenue', data: s.rev, backgroundColor: COLORS.sky, order: 3 },
        { type: 'bar', label: 'EBIT', data: s.ebit, backgroundColor: COLORS.navy, order: 2 },
        { type: 'line', label: 'FCFF', data: s.fcff, borderColor: COLORS.teal,
          backgroundColor: COLORS.teal, borderWidth: 2, pointRadius: 3, order: 1 },
        { type: 'line', label: 'PV of FCFF', data: s.pv_fcff, borderColor: COLORS.amber,
          backgroundColor: COLORS.amber, borderWidth: 2, borderDash: [5, 4], pointRadius: 3,
          order: 0 },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${num(c.parsed.y, 1)}` } },
      },
      scales: { y: { ticks: { callback: axisNum(0) } }, x: { grid: { display: false } } },
    },
  });
}

/** Vertical marker lines (p10 / median / p90) on a linear x axis. */
const markerPlugin = {
  id: 'valorMarkers',
  afterDatasetsDraw(chart, _args, opts) {
    const markers = (opts && opts.markers) || [];
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    for (const m of markers) {
      const x = scales.x.getPixelForValue(m.value);
      if (!Number.isFinite(x) || x < chartArea.left || x > chartArea.right) continue;
      ctx.strokeStyle = m.color;
      ctx.lineWidth = m.width || 2;
      ctx.setLineDash(m.dash || []);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = m.color;
      ctx.font = '600 11px Inter, sans-serif';
      ctx.textAlign = x > chartArea.right - 60 ? 'right' : 'left';
      ctx.fillText(m.label, x + (ctx.textAlign === 'right' ? -4 : 4), chartArea.top + 12 + (m.row || 0) * 14);
    }
    ctx.restore();
  },
};

/** Monte Carlo histogram: edges (n+1), counts (n); markers [{value, label, color}]. */
export function histogram(canvas, edges, counts, markers) {
  const data = counts.map((c, i) => ({ x: (edges[i] + edges[i + 1]) / 2, y: c }));
  const width = edges.length > 1 ? edges[1] - edges[0] : 1;
  return make(canvas, {
    type: 'bar',
    data: {
      datasets: [{
        label: 'Trials', data, backgroundColor: 'rgba(47, 111, 219, 0.55)',
        borderColor: COLORS.blue, borderWidth: 0, barPercentage: 1, categoryPercentage: 1,
        grouped: false,
      }],
    },
    options: {
      parsing: false,
      plugins: {
        legend: { display: false },
        valorMarkers: { markers },
        tooltip: {
          callbacks: {
            title: (items) => {
              const x = items[0].raw.x;
              return `${num(x - width / 2, 2)} – ${num(x + width / 2, 2)} per share`;
            },
            label: (c) => `${c.raw.y} trials`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear', min: edges[0], max: edges[edges.length - 1], offset: false,
          title: { display: true, text: 'Value per share' },
          ticks: { callback: axisNum(2), maxTicksLimit: 8 },
          grid: { display: false },
        },
        y: { title: { display: true, text: 'Trials' }, beginAtZero: true },
      },
    },
    plugins: [markerPlugin],
  });
}

/** LBO debt schedule: debt outstanding as bars, interest and principal repaid as lines. */
export function debtChart(canvas, years, s) {
  return make(canvas, {
    type: 'bar',
    data: {
      labels: years,
      datasets: [
        { type: 'bar', label: 'Debt outstanding', data: s.debt, backgroundColor: COLORS.navy, order: 2 },
        { type: 'line', label: 'Interest', data: s.interest, borderColor: COLORS.red,
          backgroundColor: COLORS.red, borderWidth: 2, pointRadius: 3, order: 1, yAxisID: 'y2' },
        { type: 'line', label: 'Principal repaid', data: s.principal, borderColor: COLORS.teal,
          backgroundColor: COLORS.teal, borderWidth: 2, pointRadius: 3, order: 0, yAxisID: 'y2' },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${num(c.parsed.y, 1)}` } },
      },
      scales: {
        y: { position: 'left', title: { display: true, text: 'Debt' }, ticks: { callback: axisNum(0) } },
        y2: { position: 'right', title: { display: true, text: 'Flows' }, grid: { display: false },
          ticks: { callback: axisNum(0) } },
        x: { grid: { display: false } },
      },
    },
  });
}

/** M&A accretion (+) / dilution (−) per year, in percent. */
export function accretionChart(canvas, labels, values) {
  return make(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [{
        label: 'EPS accretion / dilution', data: values.map((v) => (v === null ? null : v * 100)),
        backgroundColor: values.map((v) => (v !== null && v < 0 ? COLORS.red : COLORS.green)),
      }],
    },
    options: {
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (c) => `${num(c.parsed.y, 2)}%` } },
      },
      scales: {
        y: { ticks: { callback: (v) => `${num(Number(v), 0)}%` } },
        x: { grid: { display: false } },
      },
    },
  });
}

export function destroyIn(root) {
  for (const c of root.querySelectorAll('canvas')) {
    const ch = Chart.getChart(c);
    if (ch) ch.destroy();
  }
}
