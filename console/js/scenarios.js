// Named scenarios (DCF, LBO, M&A share this bar): pick one to load its inputs into the form;
// writers also save the form under a name (an upsert: the same name replaces) and delete.

import { h, clear, busy, showError, showInfo, hideSlot, statusSlot, uid, dateTime } from './ui.js';

/**
 * opts: {
 *   title, canWrite,
 *   list: async () => [{id, label, item}],   newest first
 *   save: async (name) => message,            throws ApiError
 *   remove: async (item) => void,
 *   load: (item) => void,
 * }
 */
export function scenarioBar(opts) {
  const id = uid('scn');
  const slot = statusSlot();
  const select = h('select', { id: `${id}-pick`, class: 'scenario-pick' });
  const loadBtn = h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'load-scenario' }, 'Load');
  const delBtn = opts.canWrite
    ? h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', 'data-write': '',
      'data-action': 'delete-scenario' }, 'Delete') : null;
  const name = opts.canWrite ? h('input', { type: 'text', id: `${id}-name`, class: 'scenario-name',
    maxlength: 100, placeholder: 'Scenario name', autocomplete: 'off' }) : null;
  const saveBtn = opts.canWrite
    ? h('button', { type: 'button', class: 'btn btn-sm', 'data-write': '', 'data-action': 'save-scenario' },
      'Save scenario') : null;
  let items = [];

  const refresh = async () => {
    try {
      items = await opts.list();
    } catch (e) {
      showError(slot, e);
      items = [];
    }
    clear(select);
    if (items.length === 0) select.append(h('option', { value: '' }, 'No saved scenarios'));
    for (const it of items) {
      select.append(h('option', { value: it.id, title: it.updated ? `saved ${dateTime(it.updated)}` : null }, it.label));
    }
    select.disabled = items.length === 0;
    loadBtn.disabled = items.length === 0;
    if (delBtn) delBtn.disabled = items.length === 0;
  };

  const picked = () => items.find((it) => it.id === select.value);

  loadBtn.addEventListener('click', () => {
    const it = picked();
    if (!it) return;
    opts.load(it.item);
    if (name) name.value = it.name || '';
    showInfo(slot, `Loaded “${it.label}”.`, 'ok');
  });
  if (delBtn) {
    delBtn.addEventListener('click', () => busy(delBtn, async () => {
      const it = picked();
      if (!it) return;
      try {
        await opts.remove(it.item);
        showInfo(slot, `Deleted “${it.label}”.`, 'ok');
        await refresh();
      } catch (e) {
        showError(slot, e, { lockButtons: [delBtn] });
      }
    }));
  }
  if (saveBtn) {
    const doSave = () => busy(saveBtn, async () => {
      hideSlot(slot);
      const n = name.value.trim();
      if (!n) {
        showInfo(slot, 'Give the scenario a name first.', 'error');
        name.focus();
        return;
      }
      try {
        const msg = await opts.save(n);
        if (msg) showInfo(slot, msg, 'ok');
        await refresh();
        const it = items.find((x) => x.name === n);
        if (it) select.value = it.id;
      } catch (e) {
        showError(slot, e, { lockButtons: [saveBtn] });
      }
    });
    saveBtn.addEventListener('click', doSave);
    name.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        doSave();
      }
    });
  }

  const el = h('div', { class: 'scenario-bar' },
    h('div', { class: 'scenario-row' },
      h('label', { for: `${id}-pick`, class: 'inline-label' }, opts.title || 'Scenarios'),
      select, loadBtn, delBtn),
    opts.canWrite ? h('div', { class: 'scenario-row' },
      h('label', { for: `${id}-name`, class: 'sr-only' }, 'Scenario name'), name, saveBtn) : null,
    slot);
  refresh();
  return { el, refresh };
}
