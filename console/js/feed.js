// The live feed: the gateway's websocket (/api/ws) pushes the tenant's events as JSON text
// frames. The connection is opened with ?access_token= (a browser cannot set headers on a
// websocket), pinged every 25 s, and re-opened by itself with a backoff (1 s … 30 s) after any
// close, with a fresh token.

import * as session from './session.js';
import { h, clear, timeOnly } from './ui.js';

const MAX_EVENTS = 200;

const LABELS = {
  'run.created': 'DCF run saved',
  'run.deleted': 'DCF run deleted',
  'scenario.saved': 'DCF scenario saved',
  'scenario.deleted': 'DCF scenario deleted',
  'lbo_run.created': 'LBO run saved',
  'lbo_run.deleted': 'LBO run deleted',
  'lbo_scenario.saved': 'LBO scenario saved',
  'ma_run.created': 'M&A run saved',
  'ma_run.deleted': 'M&A run deleted',
  'ma_scenario.saved': 'M&A scenario saved',
  'note.updated': 'Note updated',
  'company.updated': 'Company data updated',
  'user.registered': 'User added',
  'user.updated': 'User changed',
  'session.revoked': 'Session revoked',
};

export function eventLabel(type) {
  return LABELS[type] || type;
}

/** The short subject of an event: its ticker, name or company. */
export function eventSubject(ev) {
  const d = ev.data || {};
  return d.ticker || d.name || d.company_name || d.deal_name || d.username ||
    (d.changes ? Object.keys(d.changes).map((k) => `${k}: ${d.changes[k]}`).join(', ') : '') ||
    d.reason || '';
}

class Feed {
  constructor() {
    this.ws = null;
    this.events = [];
    this.status = 'off';
    this.listeners = new Set();
    this.retry = 0;
    this.timer = null;
    this.ping = null;
    this.wanted = false;
    this.unread = 0;
    this.connects = 0;
    this.since = null;
  }

  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(kind, ev) {
    for (const fn of this.listeners) fn(kind, ev);
  }

  setStatus(s) {
    this.status = s;
    this.emit('status', s);
  }

  start() {
    this.wanted = true;
    if (!this.ws) this.open();
  }

  stop() {
    this.wanted = false;
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = null;
    if (this.ping) window.clearInterval(this.ping);
    this.ping = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close(1000, 'bye');
    }
    this.events = [];
    this.unread = 0;
    this.setStatus('off');
  }

  async open() {
    if (!this.wanted) return;
    this.setStatus(this.retry === 0 ? 'connecting' : 'reconnecting');
    try {
      await session.ensureFresh(60000);
    } catch {
      // ended (the app goes to sign-in) or unreachable (retried below)
    }
    const s = session.current();
    if (!s || !this.wanted) return;
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${window.location.host}/api/ws?access_token=${encodeURIComponent(s.access_token)}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.later();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.connects += 1;
      this.since = new Date();
      this.setStatus('live');
      if (this.ping) window.clearInterval(this.ping);
      this.ping = window.setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
      }, 25000);
    };
    ws.onmessage = (m) => {
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch {
        return;
      }
      if (!ev || ev.type === 'pong' || !ev.type) return;
      this.events.unshift(ev);
      if (this.events.length > MAX_EVENTS) this.events.length = MAX_EVENTS;
      this.unread += 1;
      this.emit('event', ev);
    };
    ws.onclose = () => {
      if (this.ping) window.clearInterval(this.ping);
      this.ping = null;
      if (this.ws === ws) this.ws = null;
      if (this.wanted) this.later();
    };
    ws.onerror = () => { /* onclose follows and reconnects */ };
  }

  later() {
    if (!this.wanted) return;
    this.setStatus('reconnecting');
    const base = Math.min(30000, 1000 * 2 ** Math.min(this.retry, 5));
    this.retry += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.open();
    }, delay);
  }

  /** Re-opens at once (the token changed, or the user asked). */
  reconnect() {
    if (!this.wanted) return;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close(1000, 'reconnect');
    }
    this.retry = 0;
    this.open();
  }
}

export const feed = new Feed();

// ---- the panel ---------------------------------------------------------------------------

const STATUS_TEXT = {
  off: 'Offline', connecting: 'Connecting…', reconnecting: 'Reconnecting…', live: 'Live',
};

export function statusText(s) {
  return STATUS_TEXT[s] || s;
}

/** Renders the feed panel into `host`; `nameOf(user_id)` gives a display name. */
export function mountPanel(host, nameOf, onClose) {
  const list = h('ol', { class: 'feed-list', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const state = h('span', { class: 'feed-state', dataset: { status: feed.status } }, statusText(feed.status));
  const closeBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'aria-label': 'Close the live feed',
    on: { click: onClose } }, 'Close');
  const head = h('div', { class: 'feed-head' },
    h('h2', { id: 'feed-title' }, 'Live feed'), state, closeBtn);
  const empty = h('p', { class: 'feed-empty muted' },
    'Events of your tenant appear here as they happen: runs saved, notes changed, users added.');

  const item = (ev) => h('li', { class: 'feed-item', dataset: { type: ev.type } },
    h('div', { class: 'feed-line' },
      h('span', { class: `feed-dot dot-${(ev.type || '').split('.')[0]}`, 'aria-hidden': 'true' }),
      h('span', { class: 'feed-type' }, eventLabel(ev.type)),
      h('time', { class: 'feed-time', datetime: ev.occurred_at || '' }, timeOnly(ev.occurred_at))),
    h('div', { class: 'feed-meta' },
      eventSubject(ev) ? h('span', { class: 'feed-subject' }, eventSubject(ev)) : null,
      ev.user_id ? h('span', { class: 'muted' }, ` · ${nameOf(ev.user_id)}`) : null));

  const render = () => {
    clear(list);
    if (feed.events.length === 0) list.append(h('li', { class: 'feed-none' }, empty));
    for (const ev of feed.events) list.append(item(ev));
  };
  render();
  const off = feed.on((kind, ev) => {
    if (kind === 'status') {
      state.textContent = statusText(ev);
      state.dataset.status = ev;
      state.title = feed.since ? `Connected since ${feed.since.toLocaleTimeString('en-GB')}` : '';
    } else if (kind === 'event') {
      const none = list.querySelector('.feed-none');
      if (none) none.remove();
      list.prepend(item(ev));
      while (list.children.length > MAX_EVENTS) list.lastChild.remove();
    }
  });
  clear(host);
  host.append(head, list);
  return off;
}
