// The WACC × terminal-growth sensitivity heatmap: a canvas of its own (Chart.js has no matrix
// chart). Rows are WACC, columns terminal growth; each cell's colour says how far its value per
// share is from the base case (red below, green above); the base case is outlined. The canvas
// is focusable: arrow keys move a cursor cell and its values are read out below it. A table
// view of the same grid sits beside it for anyone who prefers numbers.

import { h, num, pct, isNum } from './ui.js';

const PAD = { left: 64, top: 34, right: 10, bottom: 10 };

function lerp(a, b, t) {
  return Math.round(a + (b - a) * t);
}

/** -1 … 1 → red … white … green. */
function colour(t) {
  const neg = [194, 59, 50];
  const mid = [247, 248, 250];
  const pos = [30, 138, 76];
  const c = t < 0 ? neg : pos;
  const k = Math.min(1, Math.abs(t));
  return `rgb(${lerp(mid[0], c[0], k)}, ${lerp(mid[1], c[1], k)}, ${lerp(mid[2], c[2], k)})`;
}

export function nearestIndex(values, v) {
  let best = -1;
  let bestD = Infinity;
  values.forEach((x, i) => {
    const d = Math.abs(x - v);
    if (d < bestD) {
      best = i;
      bestD = d;
    }
  });
  const step = values.length > 1 ? Math.abs(values[1] - values[0]) : Infinity;
  return bestD <= step / 2 + 1e-12 ? best : -1;
}

export class Heatmap {
  /** data: {wacc:[], term_growth:[], per_share:[[]]}; base: {wacc, termGrowth, perShare} */
  constructor(data, base) {
    this.data = data;
    this.base = base;
    this.baseRow = nearestIndex(data.wacc, base.wacc);
    this.baseCol = nearestIndex(data.term_growth, base.termGrowth);
    this.cursor = { r: Math.max(0, this.baseRow), c: Math.max(0, this.baseCol) };
    const ref = this.baseRow >= 0 && this.baseCol >= 0 && isNum(data.per_share[this.baseRow][this.baseCol])
      ? data.per_share[this.baseRow][this.baseCol] : base.perShare;
    this.ref = ref;
    // Each side of the base case has its own scale, so the darkest red is the grid's lowest
    // value and the darkest green its highest.
    let lo = Infinity;
    let hi = -Infinity;
    for (const row of data.per_share) {
      for (const v of row) {
        if (!isNum(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    this.lo = Number.isFinite(lo) ? lo : ref;
    this.hi = Number.isFinite(hi) ? hi : ref;

    this.canvas = h('canvas', {
      class: 'heatmap-canvas', tabindex: 0, role: 'img',
      'aria-label': `Sensitivity of value per share to WACC (rows, ${pct(data.wacc[0], 2)} to ` +
        `${pct(data.wacc[data.wacc.length - 1], 2)}) and terminal growth (columns, ` +
        `${pct(data.term_growth[0], 2)} to ${pct(data.term_growth[data.term_growth.length - 1], 2)}); ` +
        'use the arrow keys to read cells',
      dataset: { rows: String(data.wacc.length), cols: String(data.term_growth.length),
        baseRow: String(this.baseRow), baseCol: String(this.baseCol) },
    });
    this.readout = h('div', { class: 'heatmap-readout', 'aria-live': 'polite' });
    this.tip = h('div', { class: 'heatmap-tip', hidden: true });
    this.box = h('div', { class: 'heatmap-box' }, this.canvas, this.tip);
    this.legend = this.makeLegend();
    this.el = h('div', { class: 'heatmap' }, this.box, this.legend, this.readout);

    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    this.canvas.addEventListener('keydown', (e) => this.key(e));
    this.canvas.addEventListener('focus', () => { this.focused = true; this.draw(); this.announce(); });
    this.canvas.addEventListener('blur', () => { this.focused = false; this.draw(); });
    this.resizer = new ResizeObserver(() => this.draw());
    this.resizer.observe(this.box);
    this.announce();
  }

  /** −1 (lowest) … 0 (base) … 1 (highest) */
  position(v) {
    if (!isNum(this.ref)) return 0;
    if (v < this.ref) return this.ref > this.lo ? -(this.ref - v) / (this.ref - this.lo) : 0;
    return this.hi > this.ref ? (v - this.ref) / (this.hi - this.ref) : 0;
  }

  makeLegend() {
    return h('div', { class: 'heatmap-legend' },
      h('span', { class: 'num', title: 'Lowest value in the grid' }, num(this.lo, 2)),
      h('span', { class: 'heatmap-scale', 'aria-hidden': 'true' }),
      h('span', { class: 'num', title: 'Highest value in the grid' }, num(this.hi, 2)),
      h('span', { class: 'heatmap-legend-base' },
        h('span', { class: 'base-swatch', 'aria-hidden': 'true' }),
        this.baseRow >= 0 && this.baseCol >= 0
          ? `Base case (WACC ${pct(this.base.wacc, 2)}, g ${pct(this.base.termGrowth, 2)}): ${num(this.ref, 2)}`
          : `Base case (WACC ${pct(this.base.wacc, 2)}, g ${pct(this.base.termGrowth, 2)}) is outside this grid`));
  }

  layout() {
    const rows = this.data.wacc.length;
    const cols = this.data.term_growth.length;
    const width = Math.max(240, this.box.clientWidth);
    const cw = (width - PAD.left - PAD.right) / cols;
    const ch = Math.max(14, Math.min(34, cw * 0.75));
    const height = PAD.top + PAD.bottom + ch * rows;
    return { rows, cols, width, height, cw, ch };
  }

  draw() {
    if (!this.canvas.isConnected) return;
    const L = this.layout();
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    c.width = Math.round(L.width * dpr);
    c.height = Math.round(L.height * dpr);
    c.style.width = `${L.width}px`;
    c.style.height = `${L.height}px`;
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, L.width, L.height);
    ctx.font = '500 11px Inter, "Segoe UI", sans-serif';
    ctx.textBaseline = 'middle';
    const showValues = L.cw >= 44;
    const labelEvery = Math.max(1, Math.ceil(38 / L.cw));

    // column headers: terminal growth
    ctx.fillStyle = '#4a5462';
    ctx.textAlign = 'center';
    this.data.term_growth.forEach((g, j) => {
      if (j % labelEvery !== 0 && j !== this.baseCol) return;
      ctx.fillText(pct(g, 2), PAD.left + L.cw * (j + 0.5), PAD.top - 10);
    });
    // row headers: WACC
    ctx.textAlign = 'right';
    const rowEvery = Math.max(1, Math.ceil(14 / L.ch));
    this.data.wacc.forEach((w, i) => {
      if (i % rowEvery !== 0 && i !== this.baseRow) return;
      ctx.fillText(pct(w, 2), PAD.left - 8, PAD.top + L.ch * (i + 0.5));
    });

    for (let i = 0; i < L.rows; i++) {
      for (let j = 0; j < L.cols; j++) {
        const v = this.data.per_share[i][j];
        const x = PAD.left + L.cw * j;
        const y = PAD.top + L.ch * i;
        if (isNum(v)) {
          ctx.fillStyle = colour(this.position(v));
        } else {
          ctx.fillStyle = '#d9dde3';
        }
        ctx.fillRect(x, y, L.cw + 0.5, L.ch + 0.5);
        if (showValues) {
          const t = isNum(v) ? Math.abs(this.position(v)) : 0;
          ctx.fillStyle = t > 0.6 ? '#ffffff' : '#1b2230';
          ctx.textAlign = 'center';
          ctx.fillText(isNum(v) ? num(v, 2) : 'n/a', x + L.cw / 2, y + L.ch / 2);
        }
      }
    }
    // grid lines
    ctx.strokeStyle = 'rgba(255,255,255,0.7)';
    ctx.lineWidth = 1;
    for (let j = 1; j < L.cols; j++) {
      ctx.beginPath();
      ctx.moveTo(PAD.left + L.cw * j, PAD.top);
      ctx.lineTo(PAD.left + L.cw * j, PAD.top + L.ch * L.rows);
      ctx.stroke();
    }
    // base case outline
    if (this.baseRow >= 0 && this.baseCol >= 0) {
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 2.5;
      ctx.strokeRect(PAD.left + L.cw * this.baseCol + 1.25, PAD.top + L.ch * this.baseRow + 1.25,
        L.cw - 2.5, L.ch - 2.5);
    }
    // keyboard cursor
    if (this.focused) {
      ctx.strokeStyle = '#2f6fdb';
      ctx.lineWidth = 2;
      ctx.setLineDash([3, 2]);
      ctx.strokeRect(PAD.left + L.cw * this.cursor.c + 3, PAD.top + L.ch * this.cursor.r + 3,
        L.cw - 6, L.ch - 6);
      ctx.setLineDash([]);
    }
    // axis titles
    ctx.fillStyle = '#1b2230';
    ctx.font = '600 11px Inter, "Segoe UI", sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText('g →', 4, PAD.top - 10);
    ctx.save();
    ctx.translate(12, PAD.top + (L.ch * L.rows) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('WACC', 0, 0);
    ctx.restore();
    c.dataset.rendered = 'true';
  }

  cellAt(e) {
    const L = this.layout();
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left - PAD.left;
    const y = e.clientY - r.top - PAD.top;
    const j = Math.floor(x / L.cw);
    const i = Math.floor(y / L.ch);
    if (i < 0 || j < 0 || i >= L.rows || j >= L.cols) return null;
    return { r: i, c: j, L };
  }

  describe(r, c) {
    const v = this.data.per_share[r][c];
    const tag = r === this.baseRow && c === this.baseCol ? ' (base case)' : '';
    return `WACC ${pct(this.data.wacc[r], 2)}, terminal growth ${pct(this.data.term_growth[c], 2)}: ` +
      `${isNum(v) ? num(v, 2) : 'n/a (g ≥ WACC)'} per share${tag}`;
  }

  hover(e) {
    const cell = this.cellAt(e);
    if (!cell) {
      this.tip.hidden = true;
      return;
    }
    this.tip.textContent = this.describe(cell.r, cell.c);
    this.tip.hidden = false;
    const x = PAD.left + cell.L.cw * (cell.c + 0.5);
    const y = PAD.top + cell.L.ch * cell.r;
    const left = Math.min(Math.max(0, x - 110), this.box.clientWidth - 220);
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${Math.max(0, y - 34)}px`;
  }

  key(e) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key === 'Home') {
      this.cursor = { r: Math.max(0, this.baseRow), c: Math.max(0, this.baseCol) };
    } else if (moves[e.key]) {
      const [dr, dc] = moves[e.key];
      this.cursor = {
        r: Math.min(this.data.wacc.length - 1, Math.max(0, this.cursor.r + dr)),
        c: Math.min(this.data.term_growth.length - 1, Math.max(0, this.cursor.c + dc)),
      };
    } else {
      return;
    }
    e.preventDefault();
    this.draw();
    this.announce();
  }

  announce() {
    this.readout.textContent = this.describe(this.cursor.r, this.cursor.c);
  }

  /** The same grid as a table. */
  tableView() {
    const d = this.data;
    return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Sensitivity table' },
      h('table', { class: 'data sens-table' },
        h('caption', { class: 'sr-only' }, 'Value per share by WACC (rows) and terminal growth (columns)'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'WACC \\ g'),
          d.term_growth.map((g) => h('th', { scope: 'col', class: 'num' }, pct(g, 2))))),
        h('tbody', {}, d.wacc.map((w, i) => h('tr', {},
          h('th', { scope: 'row', class: 'num' }, pct(w, 2)),
          d.per_share[i].map((v, j) => h('td', {
            class: ['num', i === this.baseRow && j === this.baseCol ? 'is-base' : null],
          }, isNum(v) ? num(v, 2) : 'n/a')))))));
  }

  destroy() {
    this.resizer.disconnect();
  }
}
