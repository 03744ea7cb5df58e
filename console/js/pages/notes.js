// Notes per ticker. Saving sends If-Match with the ETag the note was loaded with (or
// "version": 0 for a note that does not exist yet), so a save never overwrites someone else's
// newer version silently: a 412 (or 409) opens the conflict view with both versions side by
// side and three ways out — keep mine, take theirs, merge by hand. Unsaved text is kept in
// sessionStorage per ticker, so a reload does not lose it either.

import { get, api } from '../api.js';
import { h, clear, showError, showInfo, hideSlot, statusSlot, busy, dateTime, toast } from '../ui.js';
import { feed } from '../feed.js';
import * as session from '../session.js';

const MAX = 100000;

function draftKey(ticker) {
  const u = session.user();
  return `valor.note-draft.${u ? u.tenant : ''}.${ticker}`;
}

function tickerOk(t) {
  return /^[A-Za-z0-9.-]{1,20}$/.test(t);
}

export async function render(main, ctx) {
  const ticker = ctx.parts[1] ? ctx.parts[1].toUpperCase() : '';
  const pick = h('input', { type: 'text', id: 'notes-ticker', value: ticker, autocomplete: 'off',
    placeholder: 'e.g. AAPL', maxlength: 20, class: 'w-ticker' });
  const openBtn = h('button', { type: 'submit', class: 'btn' }, 'Open');
  const pickForm = h('form', { class: 'toolbar-left', novalidate: true },
    h('label', { for: 'notes-ticker', class: 'inline-label' }, 'Ticker'), pick, openBtn);
  pickForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = pick.value.trim().toUpperCase();
    if (tickerOk(t)) ctx.navigate(`#/notes/${encodeURIComponent(t)}`);
    else showInfo(slot, 'A ticker is 1 to 20 letters, digits, dots or dashes.', 'error');
  });
  const slot = statusSlot();
  const host = h('div', { id: 'notes-editor' });
  main.append(h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Notes'),
      h('p', { class: 'muted' }, 'One shared note per ticker for your organisation: investment thesis, open questions, sources.')),
    h('section', { class: 'card' }, h('div', { class: 'toolbar' }, pickForm), slot, host)));
  if (!ticker) {
    host.append(h('p', { class: 'muted' }, 'Type a ticker to open its note.'));
    pick.focus();
    return undefined;
  }
  if (!tickerOk(ticker)) {
    showInfo(slot, 'A ticker is 1 to 20 letters, digits, dots or dashes.', 'error');
    return undefined;
  }

  // ---- the note's state ------------------------------------------------------------------
  const note = { etag: null, version: 0, content: '', updatedBy: null, updatedAt: null };
  const path = `/api/notes/${encodeURIComponent(ticker)}`;
  const editor = h('textarea', { id: 'note-content', class: 'note-editor', rows: 18, readOnly: !ctx.canWrite,
    'aria-describedby': 'note-meta note-count', spellcheck: 'true' });
  const meta = h('div', { class: 'note-meta muted', id: 'note-meta' });
  const count = h('div', { class: 'note-count muted', id: 'note-count' });
  const saveSlot = statusSlot();
  const saveBtn = ctx.canWrite ? h('button', { type: 'button', class: 'btn btn-primary', id: 'note-save', 'data-write': '' }, 'Save note') : null;
  const conflictHost = h('div', { id: 'note-conflict' });
  const dirty = () => editor.value !== note.content;

  const showMeta = () => {
    clear(meta);
    if (note.version === 0) meta.append('No note yet for ', h('strong', {}, ticker), ctx.canWrite ? ': the first save creates it.' : '.');
    else {
      meta.append(`Version ${note.version}`,
        note.updatedBy ? ` · saved by ${ctx.nameOf(note.updatedBy)}` : '',
        note.updatedAt ? ` · ${dateTime(note.updatedAt)}` : '');
    }
    if (dirty()) meta.append(h('span', { class: 'badge badge-warn', id: 'note-dirty' }, 'Unsaved changes'));
  };
  const showCount = () => {
    count.textContent = `${editor.value.length.toLocaleString('en-US')} / ${MAX.toLocaleString('en-US')} characters`;
    count.classList.toggle('neg', editor.value.length > MAX);
  };

  const load = async () => {
    const { body, res } = await api(path, { response: true });
    note.etag = res.headers.get('ETag');
    note.version = body.version || 0;
    note.content = body.content || '';
    note.updatedBy = body.updated_by ?? null;
    note.updatedAt = body.updated_at ?? null;
    return note;
  };

  try {
    await load();
  } catch (e) {
    showError(slot, e);
    return undefined;
  }
  const draft = ctx.canWrite ? sessionStorage.getItem(draftKey(ticker)) : null;
  editor.value = note.content;
  if (draft !== null && draft !== note.content) {
    editor.value = draft;
    showInfo(saveSlot, 'Your unsaved text from before is back in the editor.', 'info');
  }
  showMeta();
  showCount();

  editor.addEventListener('input', () => {
    showCount();
    showMeta();
    if (ctx.canWrite) {
      if (dirty()) sessionStorage.setItem(draftKey(ticker), editor.value);
      else sessionStorage.removeItem(draftKey(ticker));
    }
  });

  const saved = (res, body, content) => {
    note.etag = res.headers.get('ETag') || note.etag;
    note.version = body.version;
    note.content = content;
    note.updatedBy = ctx.user.id;
    note.updatedAt = new Date().toISOString();
    sessionStorage.removeItem(draftKey(ticker));
    showMeta();
    showInfo(saveSlot, `Saved as version ${body.version}.`, 'ok');
    toast(`Note ${ticker} saved`);
  };

  /** Saves `content` against the version we know; a conflict opens the conflict view. */
  const save = async (content) => {
    hideSlot(saveSlot);
    const headers = {};
    const body = { content };
    if (note.etag) headers['If-Match'] = note.etag;
    else body.version = note.version; // 0: create only if nobody else did
    try {
      const r = await api(path, { method: 'POST', body, headers, response: true });
      saved(r.res, r.body, content);
      clear(conflictHost);
      return true;
    } catch (e) {
      if (e.status === 412 || e.status === 409) {
        await openConflict(content, e);
        return false;
      }
      showError(saveSlot, e, { lockButtons: saveBtn ? [saveBtn] : [] });
      return false;
    }
  };

  const openConflict = async (mine, err) => {
    let theirs;
    try {
      const { body, res } = await api(path, { response: true });
      theirs = { etag: res.headers.get('ETag'), version: body.version, content: body.content || '', by: body.updated_by, at: body.updated_at };
    } catch (e) {
      showError(saveSlot, e);
      return;
    }
    clear(conflictHost);
    const mineBox = h('textarea', { class: 'note-editor conflict-mine', id: 'conflict-mine', readOnly: true, rows: 10 });
    mineBox.value = mine;
    const theirsBox = h('textarea', { class: 'note-editor conflict-theirs', id: 'conflict-theirs', readOnly: true, rows: 10 });
    theirsBox.value = theirs.content;
    const keep = h('button', { type: 'button', class: 'btn btn-primary', id: 'conflict-keep-mine', 'data-write': '' }, 'Keep mine');
    const take = h('button', { type: 'button', class: 'btn', id: 'conflict-take-theirs' }, 'Take theirs');
    const merge = h('button', { type: 'button', class: 'btn', id: 'conflict-merge' }, 'Merge by hand');
    const adopt = () => {
      note.etag = theirs.etag;
      note.version = theirs.version;
      note.content = theirs.content;
      note.updatedBy = theirs.by;
      note.updatedAt = theirs.at;
    };
    keep.addEventListener('click', () => busy(keep, async () => {
      adopt();
      editor.value = mine;
      await save(mine);
    }));
    take.addEventListener('click', () => {
      adopt();
      editor.value = theirs.content;
      sessionStorage.removeItem(draftKey(ticker));
      clear(conflictHost);
      showMeta();
      showCount();
      showInfo(saveSlot, `You now have version ${theirs.version}; your text was discarded.`, 'info');
      editor.focus();
    });
    merge.addEventListener('click', () => {
      adopt();
      editor.value = `${mine}\n\n----- their version ${theirs.version} (${ctx.nameOf(theirs.by)}) — merge, then save -----\n${theirs.content}`;
      sessionStorage.setItem(draftKey(ticker), editor.value);
      clear(conflictHost);
      showMeta();
      showCount();
      showInfo(saveSlot, 'Both versions are in the editor: edit them into one and save.', 'info');
      editor.focus();
      editor.setSelectionRange(0, 0);
    });
    conflictHost.append(h('section', { class: 'conflict', role: 'alertdialog', 'aria-labelledby': 'conflict-title', 'aria-describedby': 'conflict-desc' },
      h('h2', { id: 'conflict-title' }, 'Someone else saved this note first'),
      h('p', { id: 'conflict-desc' },
        `${ctx.nameOf(theirs.by)} saved version ${theirs.version}${theirs.at ? ` at ${dateTime(theirs.at)}` : ''} while you were editing ` +
        `(${err.status === 412 ? 'ETag conflict' : 'version conflict'}). Nothing was overwritten. Choose what to keep:`),
      h('div', { class: 'cols cols-2' },
        h('div', {}, h('label', { for: 'conflict-mine', class: 'conflict-label' }, 'Your version (not saved)'), mineBox),
        h('div', {}, h('label', { for: 'conflict-theirs', class: 'conflict-label' }, `Their version ${theirs.version}`), theirsBox)),
      h('div', { class: 'btn-row' }, keep, take, merge)));
    keep.focus();
  };

  if (saveBtn) {
    saveBtn.addEventListener('click', () => busy(saveBtn, async () => {
      if (editor.value.length > MAX) {
        showInfo(saveSlot, `A note holds at most ${MAX.toLocaleString('en-US')} characters.`, 'error');
        return;
      }
      await save(editor.value);
    }));
    editor.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 's') {
        e.preventDefault();
        saveBtn.click();
      }
    });
  }

  host.append(
    h('div', { class: 'note-head' }, h('h2', { class: 'card-title' }, `Note: ${ticker}`),
      h('a', { href: `#/company/${encodeURIComponent(ticker)}`, class: 'btn btn-sm btn-ghost' }, 'Company')),
    meta, conflictHost,
    h('label', { for: 'note-content', class: 'sr-only' }, `Note for ${ticker}`), editor,
    h('div', { class: 'note-foot' }, count, h('div', { class: 'btn-row' }, saveBtn)), saveSlot);

  // Someone else saved: take it when nothing is being edited, warn otherwise.
  const off = feed.on(async (kind, ev) => {
    if (kind !== 'event' || ev.type !== 'note.updated') return;
    if (String((ev.data && ev.data.ticker) || ev.entity_id).toUpperCase() !== ticker) return;
    if (ev.data && ev.data.version && ev.data.version <= note.version) return;
    if (String(ev.user_id) === String(ctx.user.id) && !dirty()) return;
    if (!dirty() && !conflictHost.firstChild) {
      try {
        await load();
        editor.value = note.content;
        showMeta();
        showCount();
        showInfo(saveSlot, `Updated to version ${note.version}, saved by ${ctx.nameOf(note.updatedBy)}.`, 'info');
      } catch {
        // shown on the next save
      }
    } else if (!conflictHost.firstChild) {
      showInfo(saveSlot, `${ctx.nameOf(ev.user_id)} saved a newer version (${ev.data && ev.data.version ? `version ${ev.data.version}` : 'new'}). Saving will ask how to combine it with yours.`, 'warning');
    }
  });
  return off;
}
