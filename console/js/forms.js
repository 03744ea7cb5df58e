// Forms with units. A field's spec says how the API's value is shown and read back:
//   pct    a decimal rate shown as percent (0.09 ⇄ "9"), sent as the fraction
//   pp     percentage points, sent as typed (Monte Carlo volatilities)
//   pctnum a percentage the API takes as a number of percent (5 = 5 %), sent as typed
//   x      a multiple (×), m money in millions, num a plain number, int a whole number
//   listx  "6, 8, 10" ⇄ [6, 8, 10];  listpct "15, 20" ⇄ [0.15, 0.2]
//   text, select, textarea
// Errors the API names (`details[].field`, `field`) are shown under the field they name.

import { h, inputNumber, parseNumber, uid, clear, describeError } from './ui.js';

const UNIT_TEXT = { pct: '%', pctnum: '%', pp: 'pp', x: '×', m: 'M', listpct: '%', listx: '×' };

export class Form {
  /** specs: [{name, label, unit, required, hint, options, placeholder, optional, aliases}] */
  constructor(specs, opts = {}) {
    this.specs = specs;
    this.fields = new Map();
    this.readOnly = Boolean(opts.readOnly);
    this.aliases = opts.aliases || {};
    this.onInput = opts.onInput || null;
    this.formError = h('div', { class: 'slot form-error', hidden: true });
    for (const s of specs) this.fields.set(s.name, this.build(s));
  }

  build(spec) {
    const id = uid(spec.name);
    const errId = `${id}-err`;
    const hintId = spec.hint ? `${id}-hint` : null;
    let input;
    const common = {
      id, name: spec.name,
      'aria-describedby': [hintId, errId].filter(Boolean).join(' '),
      required: spec.required || null,
    };
    if (spec.unit === 'select') {
      input = h('select', { ...common, disabled: this.readOnly },
        spec.options.map(([v, label]) => h('option', { value: v }, label)));
    } else if (spec.unit === 'textarea') {
      input = h('textarea', { ...common, rows: spec.rows || 4, readOnly: this.readOnly,
        placeholder: spec.placeholder || null });
    } else {
      const numeric = !['text'].includes(spec.unit || 'text');
      input = h('input', {
        ...common, type: 'text', autocomplete: spec.autocomplete || 'off',
        inputmode: numeric ? (spec.unit === 'int' ? 'numeric' : 'decimal') : null,
        spellcheck: numeric ? 'false' : null,
        class: numeric ? 'num-input' : null,
        placeholder: spec.placeholder || (spec.optional && numeric ? 'not set' : null),
        readOnly: this.readOnly,
        maxlength: spec.maxlength || null,
      });
    }
    if (spec.width) input.classList.add(`w-${spec.width}`);
    input.addEventListener('input', () => {
      this.setError(spec.name, null);
      if (this.onInput) this.onInput(spec.name);
    });
    const unit = UNIT_TEXT[spec.unit];
    const control = unit
      ? h('div', { class: 'input-group' }, input, h('span', { class: 'unit', 'aria-hidden': 'true' }, unit))
      : input;
    const err = h('div', { class: 'field-error', id: errId, hidden: true });
    const label = h('label', { for: id }, spec.label,
      unit ? h('span', { class: 'sr-only' }, ` (${unitWords(spec.unit)})`) : null,
      spec.optional ? h('span', { class: 'optional' }, ' optional') : null);
    const wrap = h('div', { class: ['field', spec.span ? `span-${spec.span}` : null], dataset: { field: spec.name } },
      label, control,
      spec.hint ? h('div', { class: 'hint', id: hintId }, spec.hint) : null, err);
    return { spec, input, err, wrap };
  }

  el(name) {
    return this.fields.get(name).wrap;
  }

  input(name) {
    return this.fields.get(name).input;
  }

  /** Puts values (API units) into the inputs; names not in `values` are left as they are. */
  fill(values, { clearMissing = false } = {}) {
    for (const [name, f] of this.fields) {
      if (!(name in values) && !clearMissing) continue;
      f.input.value = toText(f.spec, values[name]);
      this.setError(name, null);
    }
  }

  /** Reads every field → {values (API units), ok}; marks what cannot be read. */
  read() {
    const values = {};
    let ok = true;
    this.clearErrors();
    for (const [name, f] of this.fields) {
      const r = fromText(f.spec, f.input.value);
      if (r.error) {
        ok = false;
        this.setError(name, r.error);
      } else if (r.value !== undefined) {
        values[name] = r.value;
      }
    }
    if (!ok) {
      const first = [...this.fields.values()].find((f) => !f.err.hidden);
      if (first) first.input.focus();
    }
    return { values, ok };
  }

  setError(name, msg) {
    const f = this.fields.get(name);
    if (!f) return false;
    if (msg) {
      f.err.textContent = msg;
      f.err.hidden = false;
      f.input.setAttribute('aria-invalid', 'true');
      f.wrap.classList.add('has-error');
    } else {
      f.err.textContent = '';
      f.err.hidden = true;
      f.input.removeAttribute('aria-invalid');
      f.wrap.classList.remove('has-error');
    }
    return true;
  }

  clearErrors() {
    for (const name of this.fields.keys()) this.setError(name, null);
    clear(this.formError);
    this.formError.hidden = true;
  }

  resolve(apiField) {
    if (this.fields.has(apiField)) return apiField;
    if (this.aliases[apiField]) return this.aliases[apiField];
    const bare = apiField.replace(/^(inputs|mc_settings|grid|synergies|dealStructure)\./, '');
    if (this.fields.has(bare)) return bare;
    const dotted = apiField.replace(/\./g, '_');
    if (this.fields.has(dotted)) return dotted;
    return null;
  }

  /** True when the error names a field of this form. */
  resolveAny(err) {
    return (err.fields || []).some((f) => this.resolve(f.field) !== null);
  }

  /** Marks the fields an ApiError names (no form-level message); true when any was marked. */
  markFields(err) {
    let marked = false;
    for (const f of err.fields || []) {
      const name = this.resolve(f.field);
      if (!name) continue;
      const spec = this.fields.get(name).spec;
      const note = spec.unit === 'pct' && /decimal/.test(f.msg) ? ' — enter it here in percent' : '';
      this.setError(name, f.inferred ? f.msg : `${f.field}: ${f.msg}${note}`);
      if (!marked) this.fields.get(name).input.focus();
      marked = true;
    }
    return marked;
  }

  /**
   * Shows an ApiError: each field it names under that field (with the API's field name and
   * message), anything else in the form's error slot. Returns true when a field was marked.
   */
  showApiError(err) {
    let marked = false;
    const unplaced = [];
    for (const f of err.fields || []) {
      const name = this.resolve(f.field);
      if (name) {
        const spec = this.fields.get(name).spec;
        const note = spec.unit === 'pct' && /decimal/.test(f.msg) ? ' — enter it here in percent' : '';
        this.setError(name, f.inferred ? f.msg : `${f.field}: ${f.msg}${note}`);
        if (!marked) this.fields.get(name).input.focus();
        marked = true;
      } else {
        unplaced.push(f);
      }
    }
    if (!marked || unplaced.length > 0) {
      clear(this.formError);
      this.formError.hidden = false;
      const e = unplaced.length > 0 && marked ? { ...err, fields: unplaced, message: err.message } : err;
      this.formError.append(h('div', { class: 'alert alert-error', role: 'alert' }, describeError(e)));
    }
    return marked;
  }
}

function unitWords(u) {
  return { pct: 'percent', pctnum: 'percent', pp: 'percentage points', x: 'multiple', m: 'millions',
    listpct: 'percent, comma-separated', listx: 'multiples, comma-separated' }[u] || u;
}

function toText(spec, v) {
  if (v === undefined || v === null) return '';
  switch (spec.unit) {
  case 'pct': return inputNumber(Number(v) * 100, 6);
  case 'listpct': return Array.isArray(v) ? v.map((x) => inputNumber(x * 100, 6)).join(', ') : '';
  case 'listx': return Array.isArray(v) ? v.map((x) => inputNumber(x, 6)).join(', ') : '';
  case 'text': case 'select': case 'textarea': return String(v);
  default: return typeof v === 'number' ? inputNumber(v, spec.dp ?? 6) : String(v);
  }
}

function fromText(spec, text) {
  const t = String(text ?? '').trim();
  if (spec.unit === 'select') return { value: t };
  if (spec.unit === 'text' || spec.unit === 'textarea' || !spec.unit) {
    if (t === '') return spec.required ? { error: 'required' } : { value: undefined };
    return { value: t };
  }
  if (spec.unit === 'listx' || spec.unit === 'listpct') {
    if (t === '') return spec.required ? { error: 'required' } : { value: undefined };
    const parts = t.split(/[,;\s]+/).filter(Boolean).map(parseNumber);
    if (parts.some((p) => p === null || Number.isNaN(p))) {
      return { error: 'numbers separated by commas' };
    }
    return { value: spec.unit === 'listpct' ? parts.map((p) => p / 100) : parts };
  }
  const n = parseNumber(t);
  if (n === null) return spec.required ? { error: 'required' } : { value: undefined };
  if (Number.isNaN(n)) return { error: 'must be a number' };
  if (spec.unit === 'int' && !Number.isInteger(n)) return { error: 'must be a whole number' };
  if (spec.unit === 'pct') return { value: n / 100 };
  return { value: n };
}

/** A fieldset of a form's fields, laid out in a grid. */
export function fieldset(form, legend, names, opts = {}) {
  return h('fieldset', { class: ['fieldset', opts.class] },
    legend ? h('legend', {}, legend) : null,
    opts.note ? h('p', { class: 'fieldset-note' }, opts.note) : null,
    h('div', { class: ['grid', `cols-${opts.cols || 2}`] }, names.map((n) => form.el(n))));
}
