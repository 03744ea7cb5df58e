// The signed-in session: the access token, the rotating refresh token and the user.
//
// Storage: in memory, mirrored to sessionStorage (this tab only, this origin only, gone when the
// tab closes) so that a reload keeps the session. Never in cookies, never in localStorage.
// The strict CSP (script-src 'self', no inline script) is what keeps other scripts away from
// it; docs/console.md explains the choice.
//
// Refresh: the access token is renewed with the refresh token before it expires (at 80 % of
// its lifetime, at the latest a minute before), and on a 401 from the API. Every refresh
// rotates the refresh token; the old one is dead, and presenting it again (a replay) makes the
// server revoke the whole session. Tabs of this origin that share a session (a duplicated tab
// copies sessionStorage) take the new pair from a BroadcastChannel and refresh under a Web Lock,
// so two tabs never present the same refresh token.

const KEY = 'valor.session';
const CHANNEL = 'valor.session';

let state = null;
let timer = null;
let inflight = null;
const listeners = new Set();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;

export const ENDED = {
  revoked: 'Your session has ended: it was signed out elsewhere, revoked by an administrator, ' +
    'or its refresh token was used twice. Please sign in again.',
  expired: 'Your session has expired. Please sign in again.',
  signedOut: 'You are signed out.',
  invalid: 'Your session is no longer valid. Please sign in again.',
};

export function current() {
  return state;
}

export function user() {
  return state ? state.user : null;
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(kind, detail) {
  for (const fn of listeners) {
    try {
      fn(kind, detail);
    } catch (e) {
      console.warn('session listener failed', e);
    }
  }
}

function persist() {
  try {
    if (state) sessionStorage.setItem(KEY, JSON.stringify(state));
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage refused (private mode quota): the session still lives in memory.
  }
}

function schedule() {
  if (timer) window.clearTimeout(timer);
  timer = null;
  if (!state) return;
  const left = state.expires_at - Date.now();
  const ttl = state.ttl_ms || left;
  const lead = Math.max(ttl * 0.2, 60000);
  const delay = Math.max(1000, left - Math.min(lead, ttl * 0.5));
  timer = window.setTimeout(() => {
    refresh().catch(() => { /* handled: ended, or retried on the next call */ });
  }, delay);
}

/** Restores the tab's session from sessionStorage (after a reload). */
export function load() {
  try {
    const raw = sessionStorage.getItem(KEY);
    const s = raw ? JSON.parse(raw) : null;
    if (s && typeof s.access_token === 'string' && typeof s.refresh_token === 'string' &&
        s.user && typeof s.user.tenant === 'string') {
      state = s;
      schedule();
      return state;
    }
  } catch {
    // A damaged entry is dropped.
  }
  state = null;
  persist();
  return null;
}

function fromResponse(body) {
  const ttl = Number(body.expires_in) > 0 ? Number(body.expires_in) * 1000 : 900000;
  return {
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    expires_at: Date.now() + ttl,
    ttl_ms: ttl,
    user: body.user || (state ? state.user : null),
  };
}

/** After register or login: the response body of either. */
export function start(body) {
  state = fromResponse(body);
  persist();
  schedule();
  emit('start', state.user);
}

export function end(reason = 'signedOut') {
  const old = state;
  state = null;
  if (timer) window.clearTimeout(timer);
  timer = null;
  persist();
  if (old && channel) channel.postMessage({ type: 'ended', refresh: old.refresh_token, reason });
  emit('end', ENDED[reason] ? reason : 'invalid');
}

async function doRefresh() {
  const before = state;
  if (!before) throw Object.assign(new Error('Not signed in'), { status: 401 });
  let res;
  try {
    res = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ refresh_token: before.refresh_token }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    // The gateway is unreachable: keep the session, try again shortly.
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(() => refresh().catch(() => {}), 5000);
    throw Object.assign(new Error('Cannot reach the server to renew the session'), { status: 0 });
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (state !== before) return state; // another tab rotated it meanwhile and we took theirs
  if (res.ok && body && body.access_token) {
    const old = before.refresh_token;
    state = fromResponse(body);
    persist();
    schedule();
    if (channel) channel.postMessage({ type: 'rotated', old, session: state });
    emit('refresh', state.user);
    return state;
  }
  if (res.status === 401 || res.status === 400) {
    end(body && body.error === 'Refresh token expired' ? 'expired' : 'revoked');
    throw Object.assign(new Error(ENDED.revoked), { status: 401, ended: true });
  }
  const retry = Number(res.headers.get('Retry-After')) || 5;
  if (timer) window.clearTimeout(timer);
  timer = window.setTimeout(() => refresh().catch(() => {}), retry * 1000);
  throw Object.assign(new Error((body && body.error) || `Session renewal failed (${res.status})`),
    { status: res.status, retryAfter: res.status === 429 ? retry : 0, body });
}

/** Rotates the refresh token once; concurrent callers share the one request. */
export function refresh() {
  if (!inflight) {
    const want = state ? state.refresh_token : null;
    // Under the lock: when another tab already rotated this token (and we took its pair),
    // there is nothing left to do.
    const run = () => (state && state.refresh_token !== want ? Promise.resolve(state)
      : doRefresh());
    const locked = navigator.locks && typeof navigator.locks.request === 'function'
      ? navigator.locks.request('valor.refresh', run) : run();
    inflight = locked.finally(() => { inflight = null; });
  }
  return inflight;
}

/** Refreshes first when the access token expires within `marginMs`. */
export async function ensureFresh(marginMs = 20000) {
  if (state && state.expires_at - Date.now() < marginMs) await refresh();
  return state;
}

export function authHeaders() {
  if (!state) return {};
  return { Authorization: `Bearer ${state.access_token}`, 'X-Tenant-ID': state.user.tenant };
}

if (channel) {
  channel.addEventListener('message', (ev) => {
    const m = ev.data || {};
    if (m.type === 'rotated' && state && m.old === state.refresh_token && m.session) {
      state = m.session;
      persist();
      schedule();
      emit('refresh', state.user);
    } else if (m.type === 'ended' && state && m.refresh === state.refresh_token) {
      state = null;
      if (timer) window.clearTimeout(timer);
      persist();
      emit('end', m.reason === 'signedOut' ? 'signedOut' : 'revoked');
    }
  });
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && state) {
    ensureFresh(60000).catch(() => {});
  }
});
