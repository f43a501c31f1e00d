// Signing in with phone + SMS code (book_code → user/auth). The user token lives only in sessionStorage
// and travels only in the Authorization header: never in a URL, never logged. Loaded on demand.
import * as api from './api.js';
import { t, waitFor } from './i18n.js';
import { announce, h } from './dom.js';
import { errorText, loadJSON, S, saveJSON } from './core.js';

const KEY = 'bk.user';
export const token = () => loadJSON(KEY)?.token || null;
export const auth = () => ({ Authorization: `User ${token()}` });
export const signedIn = () => !!token();
// Forget a token Altegio no longer takes (401), keep the rest.
export const dropToken = () => { try { sessionStorage.removeItem(KEY); } catch { /* private mode */ } };

// Log out: everything this tab remembers (token, contact details, codes, pending keys), then a fresh page,
// so no module keeps a copy in memory either.
export function signOut(to = '#cabinet') {
  try { sessionStorage.clear(); } catch { /* private mode */ }
  saveJSON('bk.out', 1);
  history.replaceState(null, '', location.pathname + location.search + to); // no hashchange: no render before the reload
  location.reload();
}
// "You are logged out", once, after the reload above.
export function loggedOutNotice() {
  if (!loadJSON('bk.out')) return null;
  try { sessionStorage.removeItem('bk.out'); } catch { /* ignore */ }
  announce(t('acc.out'));
  return h('p', { class: 'status ok', role: 'status' }, t('acc.out'));
}

const norm = (p) => String(p || '').replace(/[\s().-]/g, '');

// The sign-in form: phone, then the code from the SMS. onDone() runs once the token is kept.
export function signIn({ lead, onDone }) {
  const remembered = loadJSON('bk.contact')?.phone || '';
  const box = h('div', { class: 'signin' });
  const err = h('p', { class: 'form-error', id: 'acc-error', role: 'alert', hidden: true });
  const fail = (msg) => { err.hidden = !msg; err.textContent = msg || ''; };
  const field = (id, label, input, hint) => {
    input.id = id;
    input.required = true;
    input.setAttribute('aria-required', 'true');
    input.setAttribute('aria-describedby', `${hint ? `${id}-hint ` : ''}${id}-err`);
    return h('div', { class: 'field' }, h('label', { for: id }, label),
      hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, input, h('p', { class: 'err', id: `${id}-err` }));
  };
  const setErr = (id, msg) => {
    const input = box.querySelector(`#${id}`);
    box.querySelector(`#${id}-err`).textContent = msg || '';
    if (msg) { input.setAttribute('aria-invalid', 'true'); input.focus(); } else input.removeAttribute('aria-invalid');
  };
  const phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'tel', inputmode: 'tel', value: remembered });
  const code = h('input', { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]*', maxlength: '8', class: 'code' });
  const send = h('button', { type: 'submit', class: 'btn', id: 'acc-send' }, t('acc.send'));
  const enter = h('button', { type: 'submit', class: 'btn', id: 'acc-login' }, t('acc.login'));
  const note = h('p', { class: 'hint', role: 'status' });
  const codeForm = h('form', { novalidate: true, class: 'form', hidden: true }, note,
    field('acc-code', t('sms.label'), code), h('div', { class: 'actions' }, enter,
      h('button', { type: 'button', class: 'btn secondary', id: 'acc-again', onclick: () => { codeForm.hidden = true; phoneForm.hidden = false; phone.focus(); } }, t('sms.change'))));
  const phoneForm = h('form', { novalidate: true, class: 'form' },
    field('acc-phone', t('form.phone'), phone, t('form.phoneHint')), h('div', { class: 'actions' }, send));
  let busy = false;
  const guard = async (btn, fn) => {
    if (busy) return;
    busy = true; btn.setAttribute('aria-disabled', 'true'); btn.classList.add('loading');
    try { await fn(); } catch (e) { fail(errorText(e)); } finally { busy = false; btn.removeAttribute('aria-disabled'); btn.classList.remove('loading'); }
  };
  phoneForm.addEventListener('submit', (e) => {
    e.preventDefault();
    fail(''); setErr('acc-phone', '');
    if (!/^\+?\d{7,15}$/.test(norm(phone.value))) { setErr('acc-phone', t('form.err.phone')); return; }
    guard(send, async () => {
      let recent = '';
      try {
        await api.request('POST', `/book_code/${S.loc}`, { body: { phone: norm(phone.value) } });
      } catch (e) {
        if (e.has?.(431)) { setErr('acc-phone', t('err.431')); return; }
        // A code went to this phone moments ago (a booking, another tab): that one still works.
        if (!(e.status === 429 && e.retryAfter > 0 && e.retryAfter <= 600)) { if (e.status === 429) e.limit = 'codes'; throw e; }
        recent = t('acc.recent', { wait: waitFor(e.retryAfter) });
      }
      phoneForm.hidden = true; codeForm.hidden = false;
      note.textContent = recent;
      box.querySelector('#acc-code-err').textContent = '';
      code.value = '';
      code.focus();
      announce(t('sms.hint', { phone: norm(phone.value) }));
    });
  });
  codeForm.addEventListener('submit', (e) => {
    e.preventDefault();
    fail(''); setErr('acc-code', '');
    if (!/^\d{4,8}$/.test(code.value.trim())) { setErr('acc-code', t('sms.err')); return; }
    guard(enter, async () => {
      let data;
      try {
        data = await api.request('POST', '/user/auth', { body: { phone: norm(phone.value), code: code.value.trim() } });
      } catch (e) {
        if (e.has?.(432)) { setErr('acc-code', t('err.432')); return; }
        if (e.status === 429) e.limit = 'locked';
        throw e;
      }
      const tok = data?.user_token;
      if (!tok) throw new api.ApiError(502, 'no token');
      saveJSON(KEY, { token: tok });
      announce(t('acc.in'));
      onDone();
    });
  });
  box.append(lead ? h('p', { class: 'lead' }, lead) : null, err, phoneForm, codeForm);
  return box;
}
