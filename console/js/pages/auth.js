// Sign in (username or email) and create an account (a new tenant whose first user is its
// admin). The API's messages are shown under the field they are about.

import { post } from '../api.js';
import * as session from '../session.js';
import { h, busy, showInfo } from '../ui.js';
import { Form } from '../forms.js';

// Registration messages of api.md §2 name no field: map them by their subject.
function fieldOfMessage(msg) {
  if (/^Username/.test(msg)) return 'username';
  if (/^Email|email address/.test(msg)) return 'email';
  if (/^Password/.test(msg)) return 'password';
  if (/^Tenant/.test(msg)) return 'tenant';
  return null;
}

function withField(err) {
  if (err.fields.length === 0) {
    const f = fieldOfMessage(err.message);
    if (f) err.fields = [{ field: f, msg: err.message, inferred: true }];
  }
  return err;
}

function shell(title, sub, ...body) {
  return h('div', { class: 'auth-page' },
    h('div', { class: 'auth-brand' },
      h('img', { src: 'favicon.svg', alt: '', width: 40, height: 40 }),
      h('div', {}, h('div', { class: 'auth-product' }, 'Valor IVX'),
        h('div', { class: 'muted' }, 'Valuation, LBO and M&A modelling'))),
    h('section', { class: 'auth-card card' },
      h('h1', {}, title), sub ? h('p', { class: 'muted' }, sub) : null, ...body));
}

export function renderLogin(main, { navigate, message, onSignedIn }) {
  const form = new Form([
    { name: 'username', label: 'Username or email', unit: 'text', required: true, autocomplete: 'username' },
    { name: 'password', label: 'Password', unit: 'text', required: true, autocomplete: 'current-password' },
  ]);
  form.input('password').type = 'password';
  const note = h('div', { class: 'slot', hidden: true, id: 'login-message' });
  if (message) showInfo(note, message.text, message.kind || 'info');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const el = h('form', { class: 'stack', novalidate: true, id: 'login-form' },
    note, form.el('username'), form.el('password'), form.formError, submit);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const { values, ok } = form.read();
      if (!ok) return;
      try {
        const body = await post('/api/auth/login', values, { auth: false });
        session.start(body);
        onSignedIn();
      } catch (err) {
        if (err.status === 401) {
          form.setError('password', err.message);
          form.input('password').focus();
        } else {
          form.showApiError(withField(err));
        }
      }
    });
  });
  main.append(shell('Sign in', 'Use your username or your email address.', el,
    h('p', { class: 'auth-switch' }, 'New to Valor IVX? ',
      h('a', { href: '#/register', id: 'to-register' }, 'Create an account'))));
  form.input('username').focus();
  void navigate;
}

export function renderRegister(main, { onSignedIn }) {
  const form = new Form([
    { name: 'username', label: 'Username', unit: 'text', required: true, autocomplete: 'username',
      hint: 'At least 3 characters: letters, numbers, _ and -.' },
    { name: 'email', label: 'Email', unit: 'text', required: true, autocomplete: 'email' },
    { name: 'password', label: 'Password', unit: 'text', required: true, autocomplete: 'new-password',
      hint: 'At least 12 characters with lowercase, uppercase, a number and a special character.' },
    { name: 'tenant', label: 'Organisation (tenant)', unit: 'text', optional: true, placeholder: 'e.g. acme-capital',
      hint: 'A short id such as acme-capital. Left empty, it is derived from your username. You become its administrator.' },
  ]);
  form.input('password').type = 'password';
  form.input('email').type = 'email';
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Create account');
  const el = h('form', { class: 'stack', novalidate: true, id: 'register-form' },
    form.el('username'), form.el('email'), form.el('password'), form.el('tenant'), form.formError, submit);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const { values, ok } = form.read();
      if (!ok) return;
      try {
        const body = await post('/api/auth/register', values, { auth: false });
        session.start(body);
        onSignedIn();
      } catch (err) {
        form.showApiError(withField(err));
      }
    });
  });
  main.append(shell('Create an account', 'A new organisation: you will be its administrator and can add colleagues.', el,
    h('p', { class: 'auth-switch' }, 'Already have an account? ',
      h('a', { href: '#/login', id: 'to-login' }, 'Sign in'))));
  form.input('username').focus();
}
