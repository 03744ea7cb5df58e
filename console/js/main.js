// The console's shell: hash routes (#/company, #/dcf, …), the navigation (admin only for
// admins), the top bar (tenant, user, live feed, sign out), the session's life cycle and the
// live feed panel. Pages live in pages/*.js and export render(main, ctx) → cleanup?.

import * as session from './session.js';
import { api, post, checkNow } from './api.js';
import { h, clear, toast } from './ui.js';
import { destroyIn } from './charts.js';
import { feed, mountPanel, statusText } from './feed.js';
import * as authPages from './pages/auth.js';
import * as company from './pages/company.js';
import * as dcf from './pages/dcf.js';
import * as runs from './pages/runs.js';
import * as lbo from './pages/lbo.js';
import * as ma from './pages/ma.js';
import * as notes from './pages/notes.js';
import * as admin from './pages/admin.js';

const NAV = [
  { key: 'company', label: 'Company', page: company },
  { key: 'dcf', label: 'DCF workbench', short: 'DCF', page: dcf },
  { key: 'lbo', label: 'LBO', page: lbo },
  { key: 'ma', label: 'M&A', page: ma },
  { key: 'runs', label: 'Runs', page: runs },
  { key: 'notes', label: 'Notes', page: notes },
  { key: 'admin', label: 'Admin', page: admin, admin: true },
];
const PUBLIC = { login: authPages.renderLogin, register: authPages.renderRegister };

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const topbar = document.getElementById('topbar');
const panel = document.getElementById('feed-panel');
const liveToggle = document.getElementById('live-toggle');

let cleanup = null;
let loginMessage = null;
let panelOff = null;
const names = new Map();

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function role() {
  const u = session.user();
  return u ? u.role : null;
}

function nameOf(id) {
  const u = session.user();
  if (u && String(u.id) === String(id)) return 'you';
  return names.get(String(id)) || `user #${id}`;
}

function rememberUsers(list) {
  for (const u of list || []) names.set(String(u.id), u.username);
}

function ctx(params) {
  const u = session.user();
  return {
    user: u,
    canWrite: u && u.role !== 'viewer',
    isAdmin: u && u.role === 'admin',
    parts: params.parts,
    query: params.query,
    navigate,
    nameOf,
    rememberUsers,
  };
}

function renderNav(active) {
  clear(nav);
  const ul = h('ul', {});
  for (const item of NAV) {
    if (item.admin && role() !== 'admin') continue;
    ul.append(h('li', {}, h('a', {
      href: `#/${item.key}`, class: ['nav-link', item.key === active ? 'is-active' : null],
      'aria-current': item.key === active ? 'page' : null, dataset: { nav: item.key },
    }, item.short ? [h('span', { class: 'nav-long' }, item.label), h('span', { class: 'nav-short', 'aria-hidden': 'true' }, item.short)]
      : item.label)));
  }
  nav.append(ul);
}

function renderTopbar() {
  const u = session.user();
  if (!u) return;
  document.getElementById('tenant').textContent = u.tenant;
  const chip = document.getElementById('user-chip');
  clear(chip);
  chip.append(h('span', { class: 'user-name' }, u.username),
    h('span', { class: `role role-${u.role}`, dataset: { role: u.role } }, u.role));
}

async function route() {
  const params = parseHash();
  const key = params.parts[0] || '';
  const signedIn = Boolean(session.current());

  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      console.warn(e);
    }
    cleanup = null;
  }
  destroyIn(main);
  clear(main);

  if (!signedIn) {
    topbar.hidden = true;
    nav.hidden = true;
    panel.hidden = true;
    document.body.classList.remove('signed-in', 'feed-open');
    const render = PUBLIC[key] || PUBLIC.login;
    if (!PUBLIC[key]) history.replaceState(null, '', '#/login');
    document.title = `${key === 'register' ? 'Create account' : 'Sign in'} · Valor IVX`;
    const msg = loginMessage;
    loginMessage = null;
    render(main, { navigate, message: msg, onSignedIn });
    return;
  }

  if (PUBLIC[key] || key === '') {
    history.replaceState(null, '', '#/company');
    return route();
  }
  let item = NAV.find((n) => n.key === key);
  if (!item || (item.admin && role() !== 'admin')) {
    item = null;
  }
  topbar.hidden = false;
  nav.hidden = false;
  document.body.classList.add('signed-in');
  renderTopbar();
  renderNav(item ? item.key : null);
  if (!item) {
    document.title = 'Not found · Valor IVX';
    main.append(h('div', { class: 'page' }, h('h1', {}, 'Page not found'),
      h('p', {}, key === 'admin' ? 'The admin pages are for the tenant\'s administrators.'
        : 'There is no such page. '), h('a', { href: '#/company' }, 'Go to Company')));
    return;
  }
  document.title = `${item.label} · Valor IVX`;
  try {
    const out = await item.page.render(main, ctx(params));
    if (typeof out === 'function') cleanup = out;
  } catch (e) {
    console.warn('page failed', e);
    main.append(h('div', { class: 'alert alert-error', role: 'alert' },
      `This page could not be shown: ${e.message || e}`));
  }
}

function onSignedIn() {
  feed.start();
  if (role() === 'admin') {
    api('/api/auth/users').then((b) => rememberUsers(b.users)).catch(() => {});
  }
  const want = sessionStorage.getItem('valor.after-login');
  sessionStorage.removeItem('valor.after-login');
  navigate(want && want.startsWith('#/') ? want : '#/company');
}

// ---- live feed toggle ---------------------------------------------------------------------

function setLive(status) {
  const dot = document.getElementById('live-dot');
  dot.dataset.status = status;
  dot.dataset.connects = String(feed.connects);
  liveToggle.dataset.status = status;
  liveToggle.title = `Live feed: ${statusText(status)}` +
    (status === 'live' && feed.since ? ` since ${feed.since.toLocaleTimeString('en-GB')}` : '');
}

function setUnread() {
  const c = document.getElementById('live-count');
  const open = document.body.classList.contains('feed-open');
  if (open) feed.unread = 0;
  c.hidden = feed.unread === 0;
  c.textContent = feed.unread > 99 ? '99+' : String(feed.unread);
}

function openPanel(open) {
  document.body.classList.toggle('feed-open', open);
  panel.hidden = !open;
  liveToggle.setAttribute('aria-expanded', String(open));
  if (open) {
    if (panelOff) panelOff();
    panelOff = mountPanel(panel, nameOf, () => openPanel(false));
    feed.unread = 0;
    panel.querySelector('h2').setAttribute('tabindex', '-1');
    panel.querySelector('h2').focus();
  } else {
    if (panelOff) panelOff();
    panelOff = null;
    liveToggle.focus();
  }
  setUnread();
}

liveToggle.addEventListener('click', () => openPanel(!document.body.classList.contains('feed-open')));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('feed-open')) openPanel(false);
});
feed.on((kind, v) => {
  if (kind === 'status') setLive(v);
  if (kind === 'event') setUnread();
});

// ---- sign out and the session's end ---------------------------------------------------------

document.getElementById('signout').addEventListener('click', async (e) => {
  const btn = e.currentTarget;
  btn.disabled = true;
  const s = session.current();
  let told = true;
  try {
    await post('/api/auth/logout', { refresh_token: s ? s.refresh_token : undefined });
  } catch (err) {
    told = err.status === 401; // already dead server-side
  } finally {
    btn.disabled = false;
  }
  loginMessage = told ? { text: 'You are signed out.', kind: 'ok' }
    : { text: 'You are signed out in this tab, but the server could not be reached to revoke the session. Sign in and out again when it is back.', kind: 'warning' };
  session.end('signedOut');
});

session.onChange((kind, detail) => {
  if (kind === 'end') {
    feed.stop();
    names.clear();
    openPanel(false);
    if (!loginMessage) {
      loginMessage = { text: session.ENDED[detail] || session.ENDED.invalid,
        kind: detail === 'signedOut' ? 'ok' : 'warning' };
      const h0 = window.location.hash;
      if (h0.startsWith('#/') && !h0.startsWith('#/login') && !h0.startsWith('#/register')) {
        sessionStorage.setItem('valor.after-login', h0);
      }
    }
    navigate('#/login');
  } else if (kind === 'refresh') {
    const before = topbar.dataset.role;
    renderTopbar();
    feed.reconnect();
    if (before && detail && before !== detail.role) {
      toast(`Your role is now ${detail.role}.`, 'info');
      topbar.dataset.role = detail.role;
      route();
    }
  } else if (kind === 'start') {
    topbar.dataset.role = detail.role;
  }
});

document.getElementById('skip').addEventListener('click', () => main.focus());
document.getElementById('banner-retry').addEventListener('click', () => checkNow());
window.addEventListener('hashchange', route);

// ---- boot -----------------------------------------------------------------------------------

const restored = session.load();
if (restored) {
  topbar.dataset.role = restored.user.role;
  feed.start();
  if (restored.user.role === 'admin') {
    api('/api/auth/users').then((b) => rememberUsers(b.users)).catch(() => {});
  }
}
setLive(feed.status);
route().finally(() => { document.documentElement.dataset.ready = 'true'; });
