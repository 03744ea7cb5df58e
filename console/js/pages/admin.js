// Admin (the tenant's administrators only; the API refuses others anyway): the tenant's users —
// add one, change a role, deactivate or reactivate — and the audit trail of the tenant's events.
// The API's user has no "active" flag: the status shown comes from the audit trail's
// user.updated events (and from what was done on this page).

import { get, post, patch, qs } from '../api.js';
import { h, clear, showError, showInfo, hideSlot, statusSlot, busy, dateTime } from '../ui.js';
import { Form, fieldset } from '../forms.js';
import { eventLabel, eventSubject, feed } from '../feed.js';

const ROLES = [['analyst', 'Analyst — reads and writes'], ['viewer', 'Viewer — reads only'], ['admin', 'Admin — everything, and users']];

export async function render(main, ctx) {
  if (!ctx.isAdmin) {
    main.append(h('div', { class: 'page' }, h('h1', {}, 'Admin'), h('p', {}, 'This page is for administrators.')));
    return undefined;
  }
  const usersSlot = statusSlot();
  const usersHost = h('div', { id: 'users' });
  const auditSlot = statusSlot();
  const auditBody = h('tbody', {});
  const moreBtn = h('button', { type: 'button', class: 'btn btn-sm', id: 'audit-more', hidden: true }, 'Load older events');
  const status = new Map(); // user id → false when deactivated
  let cursor = null;
  let users = [];

  // ---- add a user -------------------------------------------------------------------------
  const form = new Form([
    { name: 'username', label: 'Username', unit: 'text', required: true },
    { name: 'email', label: 'Email', unit: 'text', required: true },
    { name: 'password', label: 'Initial password', unit: 'text', required: true, hint: 'At least 12 characters with lowercase, uppercase, a number and a special character.', autocomplete: 'new-password' },
    { name: 'role', label: 'Role', unit: 'select', options: ROLES },
  ]);
  form.input('password').type = 'password';
  form.input('email').type = 'email';
  const addBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'user-create', 'data-write': '' }, 'Add user');
  const addSlot = statusSlot();
  const addForm = h('form', { novalidate: true, id: 'user-form', 'aria-label': 'Add a user' },
    fieldset(form, null, ['username', 'email', 'password', 'role'], { cols: 1 }), form.formError,
    h('div', { class: 'form-actions' }, addBtn), addSlot);
  addForm.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(addBtn, async () => {
      hideSlot(addSlot);
      const { values, ok } = form.read();
      if (!ok) return;
      try {
        const b = await post('/api/auth/users', values);
        showInfo(addSlot, `${b.user.username} was added as ${b.user.role}.`, 'ok');
        form.fill({ username: '', email: '', password: '' });
        await loadUsers();
      } catch (err) {
        if (err.fields.length === 0) {
          const f = /^Username/.test(err.message) ? 'username' : /^Email|email/.test(err.message) ? 'email'
            : /^Password/.test(err.message) ? 'password' : null;
          if (f) err.fields = [{ field: f, msg: err.message, inferred: true }];
        }
        form.showApiError(err);
      }
    });
  });

  // ---- the users table ------------------------------------------------------------------------
  const renderUsers = () => {
    clear(usersHost);
    const rows = users.map((u) => {
      const me = String(u.id) === String(ctx.user.id);
      const active = status.get(String(u.id)) !== false;
      const rowSlot = h('div', { class: 'row-slot', hidden: true, 'aria-live': 'polite' });
      const role = h('select', { 'aria-label': `Role of ${u.username}`, dataset: { userRole: u.username } },
        ROLES.map(([v]) => h('option', { value: v, selected: u.role === v }, v)));
      const apply = h('button', { type: 'button', class: 'btn btn-sm', 'data-write': '', hidden: true }, 'Apply');
      role.addEventListener('change', () => { apply.hidden = role.value === u.role; });
      apply.addEventListener('click', () => busy(apply, async () => {
        hideSlot(rowSlot);
        try {
          const b = await patch(`/api/auth/users/${u.id}`, { role: role.value });
          Object.assign(u, b.user);
          showInfo(rowSlot, `Role changed to ${b.user.role}. Their next token refresh carries it.`, 'ok');
          apply.hidden = true;
        } catch (err) {
          role.value = u.role;
          apply.hidden = true;
          showError(rowSlot, err);
        }
      }));
      const toggle = h('button', { type: 'button', class: ['btn', 'btn-sm', active ? 'btn-danger-ghost' : null], 'data-write': '',
        dataset: { userToggle: u.username } }, active ? 'Deactivate' : 'Reactivate');
      toggle.addEventListener('click', () => busy(toggle, async () => {
        hideSlot(rowSlot);
        try {
          await patch(`/api/auth/users/${u.id}`, { active: !active });
          status.set(String(u.id), !active);
          renderUsers();
        } catch (err) {
          showError(rowSlot, err);
        }
      }));
      return h('tr', { dataset: { user: u.username } },
        h('th', { scope: 'row' }, u.username, me ? h('span', { class: 'badge' }, 'you') : null),
        h('td', { dataset: { label: 'Email' } }, u.email),
        h('td', { dataset: { label: 'Role' } }, h('div', { class: 'btn-row' }, role, apply)),
        h('td', { dataset: { label: 'Status' } }, h('span', { class: ['badge', active ? 'badge-ok' : 'badge-off'] }, active ? 'active' : 'deactivated')),
        h('td', { class: 'nowrap', dataset: { label: 'Created' } }, dateTime(u.created_at)),
        h('td', { class: 'nowrap', dataset: { label: 'Last sign-in' } }, u.last_login ? dateTime(u.last_login) : 'never'),
        h('td', { class: 'actions-cell' }, me ? null : toggle, rowSlot));
    });
    usersHost.append(h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Users' },
      h('table', { class: 'data cards-sm', id: 'users-table' }, h('caption', { class: 'sr-only' }, 'Users of the organisation'),
        h('thead', {}, h('tr', {}, ['User', 'Email', 'Role', 'Status', 'Created', 'Last sign-in', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))));
  };

  const loadUsers = async () => {
    hideSlot(usersSlot);
    try {
      const b = await get('/api/auth/users');
      users = b.users || [];
      ctx.rememberUsers(users);
      renderUsers();
    } catch (e) {
      showError(usersSlot, e);
    }
  };

  // ---- audit trail ---------------------------------------------------------------------------
  const auditRow = (ev) => h('tr', { dataset: { type: ev.type } },
    h('td', { class: 'nowrap' }, dateTime(ev.occurred_at)),
    h('td', {}, h('span', { class: 'event-type' }, eventLabel(ev.type)), h('code', { class: 'muted small' }, ` ${ev.type}`)),
    h('td', {}, eventSubject(ev)),
    h('td', {}, ev.user_id ? ctx.nameOf(ev.user_id) : '—'),
    h('td', { class: 'mono small muted' }, ev.request_id ? ev.request_id.slice(0, 8) : ''));

  const learnStatus = (events) => {
    // Oldest first, so the newest change wins.
    for (const ev of [...events].reverse()) {
      if (ev.type === 'user.updated' && ev.data && ev.data.changes && 'active' in ev.data.changes) {
        status.set(String(ev.entity_id), Boolean(ev.data.changes.active));
      }
    }
  };

  const loadAudit = async (more = false) => {
    hideSlot(auditSlot);
    try {
      const b = await get(`/api/audit${qs({ limit: 50, cursor: more ? cursor : null })}`);
      if (!more) clear(auditBody);
      const events = b.events || [];
      for (const ev of events) auditBody.append(auditRow(ev));
      if (events.length === 0 && !more) auditBody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No events yet.')));
      cursor = b.next_cursor;
      moreBtn.hidden = !cursor;
      return events;
    } catch (e) {
      showError(auditSlot, e);
      return [];
    }
  };
  moreBtn.addEventListener('click', () => busy(moreBtn, () => loadAudit(true)));

  const refreshBtn = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', id: 'audit-refresh' }, 'Refresh');
  refreshBtn.addEventListener('click', () => busy(refreshBtn, () => loadAudit(false)));

  main.append(h('div', { class: 'page page-wide' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Admin'),
      h('p', { class: 'muted' }, `Users and audit trail of ${ctx.user.tenant}.`)),
    h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Users'), usersSlot, usersHost),
    h('div', { class: 'cols cols-admin' },
      h('section', { class: 'card' }, h('h2', { class: 'card-title' }, 'Add a user'), addForm),
      h('section', { class: 'card' },
        h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Audit trail'), refreshBtn),
        auditSlot,
        h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Audit trail' },
          h('table', { class: 'data', id: 'audit-table' }, h('caption', { class: 'sr-only' }, 'Audit trail, newest first'),
            h('thead', {}, h('tr', {}, ['When', 'Event', 'Subject', 'By', 'Request'].map((t) => h('th', { scope: 'col' }, t)))),
            auditBody)),
        h('div', { class: 'pager' }, moreBtn)))));

  // Status first (from up to 200 events), then the tables.
  try {
    const b = await get('/api/audit?limit=200');
    learnStatus(b.events || []);
  } catch {
    // the audit table below shows the error
  }
  await Promise.all([loadUsers(), loadAudit(false)]);

  // New events appear in the audit table too (the trail itself catches up within seconds).
  const off = feed.on((kind, ev) => {
    if (kind !== 'event') return;
    const none = auditBody.querySelector('td[colspan]');
    if (none) none.parentElement.remove();
    auditBody.prepend(auditRow(ev));
    if (ev.type === 'user.registered') loadUsers();
  });
  return off;
}
