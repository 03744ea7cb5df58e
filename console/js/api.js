// The one way the console talks to the platform: same-origin requests to /api/… with the
// bearer token and the tenant header, JSON in and out, errors turned into ApiError (status,
// the API's message, the fields it named, Retry-After), a token refresh and one retry on 401,
// and the "service down" banner for 502/503/504 and network failures.

import * as session from './session.js';

export class ApiError extends Error {
  constructor(status, body, res) {
    const b = body && typeof body === 'object' ? body : {};
    super(b.error || (status === 0 ? 'Cannot reach the server' : `Request failed (${status})`));
    this.name = 'ApiError';
    this.status = status;
    this.body = b;
    this.detail = typeof b.message === 'string' && b.message !== b.error ? b.message : '';
    this.requestId = b.request_id || (res ? res.headers.get('X-Request-ID') : '') || '';
    this.service = b.service || '';
    this.fields = [];
    if (Array.isArray(b.details)) {
      for (const d of b.details) {
        if (d && typeof d.field === 'string') {
          this.fields.push({ field: d.field, msg: String(d.msg ?? d.message ?? 'invalid') });
        }
      }
    }
    if (this.fields.length === 0 && typeof b.field === 'string') {
      this.fields.push({ field: b.field, msg: this.message });
    }
    const ra = res ? Number(res.headers.get('Retry-After')) : NaN;
    this.retryAfter = Number.isFinite(ra) && ra > 0 ? ra : Number(b.retry_after) || 0;
  }
}

// ---- the banner: gateway or a service down ----------------------------------------------

let bannerTimer = null;

function bannerEl() {
  return document.getElementById('banner');
}

export function showDownBanner(text) {
  const el = bannerEl();
  if (!el) return;
  el.querySelector('.banner-text').textContent = text;
  el.hidden = false;
  document.body.classList.add('has-banner');
  if (!bannerTimer) bannerTimer = window.setTimeout(pollReadiness, 4000);
}

export function hideDownBanner() {
  const el = bannerEl();
  if (!el || el.hidden) return;
  el.hidden = true;
  document.body.classList.remove('has-banner');
  if (bannerTimer) window.clearTimeout(bannerTimer);
  bannerTimer = null;
}

/** While the banner shows, readiness is polled; it goes away when the platform is ready. */
async function pollReadiness() {
  bannerTimer = null;
  let text = null;
  try {
    const res = await fetch('/api/readiness', { cache: 'no-store', credentials: 'omit' });
    const body = await res.json().catch(() => ({}));
    if (res.ok) {
      hideDownBanner();
      return;
    }
    const down = Object.entries(body.checks || {}).filter(([, c]) => c && !c.ok).map(([k]) => k);
    text = body.service === 'gateway' || res.status === 502 || res.status === 504
      ? 'The gateway is not answering. Retrying…'
      : down.length > 0
      ? `Part of the platform is unavailable: ${down.join(', ')}. Retrying…`
      : 'The platform is not ready. Retrying…';
  } catch {
    text = 'The gateway is not answering. Retrying…';
  }
  showDownBanner(text);
}

export function checkNow() {
  if (bannerTimer) window.clearTimeout(bannerTimer);
  bannerTimer = null;
  return pollReadiness();
}

// ---- requests ----------------------------------------------------------------------------

/**
 * api(path, {method, body, headers, auth, raw, response})
 *   body      an object or array, sent as JSON
 *   auth      false for register/login (no token, no tenant, no refresh)
 *   raw       resolve with the fetch Response (reports), errors still thrown as ApiError
 *   response  resolve with {body, res} instead of the body
 */
export async function api(path, opts = {}) {
  const { method = 'GET', body, headers = {}, auth = true, raw = false, response = false } = opts;
  return send(path, { method, body, headers, auth, raw, response }, true);
}

async function send(path, o, mayRetry) {
  const headers = { Accept: 'application/json', ...o.headers };
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  if (o.auth) {
    await session.ensureFresh().catch((e) => {
      if (e && e.ended) throw new ApiError(401, { error: e.message });
    });
    if (!session.current()) throw new ApiError(401, { error: session.ENDED.invalid });
    Object.assign(headers, session.authHeaders());
  }
  let res;
  try {
    res = await fetch(path, {
      method: o.method,
      headers,
      body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    showDownBanner('The gateway is not answering. Retrying…');
    throw new ApiError(0, { error: 'Cannot reach the server. Check the connection; the request was not completed.' });
  }

  if (res.ok && o.raw) {
    hideDownBanner();
    return res;
  }
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (res.status !== 204 && res.status !== 304) {
    if (type.includes('json')) data = await res.json().catch(() => null);
    else data = await res.text().catch(() => '');
  }

  if (res.ok || res.status === 304) {
    hideDownBanner();
    return o.response ? { body: data, res } : data;
  }

  if (res.status === 401 && o.auth) {
    if (mayRetry) {
      try {
        await session.refresh();
      } catch (e) {
        // Ended: the app is on its way to the sign-in page. Otherwise (unreachable, 429) the
        // session lives on and the error is shown where the request was made.
        if (e.ended) throw new ApiError(401, { error: session.ENDED.revoked });
        throw new ApiError(e.status || 0, { error: e.message, retry_after: e.retryAfter || 0 });
      }
      return send(path, o, false);
    }
    session.end('invalid');
    throw new ApiError(401, data);
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    const svc = data && typeof data === 'object' && data.service ? data.service : '';
    showDownBanner(svc === 'gateway' || !svc
      ? 'The gateway is not answering. Retrying…'
      : `The ${svc} service is unavailable. Retrying…`);
  }
  throw new ApiError(res.status, typeof data === 'object' ? data : { error: `HTTP ${res.status}` }, res);
}

export const get = (p, o = {}) => api(p, { ...o, method: 'GET' });
export const post = (p, body, o = {}) => api(p, { ...o, method: 'POST', body });
export const patch = (p, body, o = {}) => api(p, { ...o, method: 'PATCH', body });
export const del = (p, o = {}) => api(p, { ...o, method: 'DELETE' });

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}
