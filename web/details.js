// Contact details, SMS code, book_check → book_record, and recovery when the slot is lost.
// Loaded on demand when the visitor reaches the contact step.
import * as api from './api.js';
import { addDays, clock, dateMid, dateShort, duration, isoOffset, price, t, visitorDateTime } from './i18n.js';
import { announce, h } from './dom.js';
import { dropJSON, emitStep, errorText, go, heading, ids, loadJSON, S, saveJSON, sel, slotButton, staffName, svc, urlFor, zoneDiffers } from './core.js';
import { errorBox, route, summary } from './app.js';

const LOST = [433, 436, 437];
const contact = loadJSON('bk.contact') || { name: '', phone: '', email: '', comment: '', agree: false };
let checkTimer = null;

const persist = () => saveJSON('bk.contact', { ...contact, agree: false });

// The chosen slot, re-read from book_times (also validates a time from a shared link).
async function loadSlot(fresh) {
  if (!fresh && S.slot && S.slot.date === sel.date && S.slot.time === sel.time) return S.slot;
  const times = await api.get(`/book_times/${S.loc}/${sel.staff || 0}/${sel.date}`, { service_ids: ids() }, { fresh });
  const s = (times || []).find((x) => x.time === sel.time);
  S.slot = s ? { ...s, date: sel.date } : null;
  return S.slot;
}

const appt = (staffId) => ({ id: 1, services: ids(), staff_id: +staffId, datetime: S.slot.datetime });
const check = (staffId) => api.request('POST', `/book_check/${S.loc}`, { body: { appointments: [appt(staffId)] } });

// For "any team member", name a specific free member before the SMS step (book_staff at that datetime,
// confirmed with book_check); fall back to 0 when none can be resolved.
async function resolveStaff() {
  if (sel.staff) { await check(sel.staff); return +sel.staff; }
  if (S.resolved && S.resolved.datetime === S.slot.datetime) { await check(S.resolved.id); return S.resolved.id; }
  let cands = [];
  try {
    cands = (await api.get(`/book_staff/${S.loc}`, { service_ids: ids(), datetime: S.slot.datetime }, { fresh: true }) || [])
      .filter((m) => m.bookable !== false && !m.hidden && !m.fired);
  } catch { /* fall back to "any" */ }
  for (const m of cands.slice(0, 3)) {
    try { await check(m.id); S.resolved = { id: +m.id, name: m.name, datetime: S.slot.datetime }; return +m.id; } catch (e) {
      if (!e.has?.(...LOST)) throw e;
    }
  }
  await check(0);
  S.resolved = null;
  return 0;
}

// ---------- the appointment card at the top of the contact / SMS steps ----------
function apptCard() {
  const s = svc();
  const who = sel.staff ? staffName(sel.staff) : S.resolved ? `${S.resolved.name} (${t('staff.anyResolved')})` : t('staff.any');
  const status = h('p', { class: 'hold', id: 'hold', role: 'status' }, t('hold.checking'));
  const note = S.slot && zoneDiffers(S.slot.datetime) ? h('p', { class: 'zone-note' }, t('hold.yours', { time: visitorDateTime(S.slot.datetime) })) : null;
  const card = h('div', { class: 'appt' },
    h('p', { class: 'appt-when' }, `${dateMid(sel.date)}, ${clock(sel.time, sel.date)}`),
    h('p', { class: 'appt-what', id: 'appt-what' }, [s?.title, who].filter(Boolean).join(' · ')),
    note,
    h('a', { href: urlFor({ ...sel, time: null, step: null }), class: 'link', onclick: (e) => { e.preventDefault(); go({ time: null, step: null }); } }, t('hold.change')),
    status,
    h('div', { id: 'lost', class: 'lost', hidden: true }));
  return card;
}

// Name the team member "any" resolved to, before the SMS step.
function showWho() {
  const el = document.getElementById('appt-what');
  if (!el || sel.staff) return;
  const who = S.resolved ? `${S.resolved.name} (${t('staff.anyResolved')})` : t('staff.any');
  el.textContent = [svc()?.title, who].filter(Boolean).join(' · ');
  summary(S.step);
}

function setHold(ok, msg) {
  const el = document.getElementById('hold');
  if (!el) return;
  el.className = `hold ${ok ? 'ok' : ok === false ? 'bad' : ''}`;
  el.textContent = msg;
}

// Periodic and on-focus re-check that the time is still free.
function watchSlot() {
  clearInterval(checkTimer);
  S.recheck = async () => {
    if (!document.getElementById('hold') || S.busy) return;
    try {
      const slot = await loadSlot(true);
      if (!slot) throw new api.ApiError(422, 'lost', [433]);
      await resolveStaff();
      showWho();
      setHold(true, t('hold.ok', { time: clock(sel.time, sel.date) }));
    } catch (e) {
      if (e.has?.(...LOST) || !S.slot) slotLost();
      else setHold(null, '');
    }
  };
  checkTimer = setInterval(() => { if (!document.getElementById('hold')) clearInterval(checkTimer); else S.recheck(); }, 60000);
}

// ---------- slot lost: keep everything typed, refresh the day, offer the 3 nearest times ----------
async function slotLost() {
  const box = document.getElementById('lost');
  if (!box) return;
  setHold(false, '');
  const lostAt = toMin(sel.time);
  const lostDate = sel.date;
  api.forget(`/book_times/${S.loc}`); api.forget(`/book_dates/${S.loc}`); api.forget(`/book_staff_seances/${S.loc}`);
  box.hidden = false;
  box.replaceChildren(h('p', {}, t('lost.looking')));
  const alts = [];
  try {
    const sameDay = await api.get(`/book_times/${S.loc}/${sel.staff || 0}/${lostDate}`, { service_ids: ids() }, { fresh: true });
    alts.push(...(sameDay || []).filter((x) => x.time !== sel.time).map((x) => ({ ...x, date: lostDate }))
      .sort((a, b) => Math.abs(toMin(a.time) - lostAt) - Math.abs(toMin(b.time) - lostAt)).slice(0, 3)
      .sort((a, b) => toMin(a.time) - toMin(b.time)));
    for (let d = addDays(lostDate, 1), i = 0; alts.length < 3 && i < 14; d = addDays(d, 1), i++) {
      const more = await api.get(`/book_times/${S.loc}/${sel.staff || 0}/${d}`, { service_ids: ids() });
      alts.push(...(more || []).slice(0, 3 - alts.length).map((x) => ({ ...x, date: d })));
    }
  } catch { /* show what we have */ }
  S.slot = null;
  const choose = (slot, date) => {
    S.slot = { ...slot, date }; S.resolved = null;
    sel.date = date; sel.time = slot.time;
    history.replaceState(null, '', urlFor());
    const bk = { ...contact };
    route(false).then(() => {
      Object.assign(contact, bk);
      announce(t('lost.changed', { time: `${dateMid(date)}, ${clock(slot.time, date)}` }), true);
      document.querySelector('#submit')?.focus();
    });
  };
  box.replaceChildren(
    h('h2', { id: 'lost-title', tabindex: '-1' }, t('lost.title', { time: `${dateMid(lostDate)}, ${clock(sel.time, lostDate)}` })),
    h('p', {}, t('lost.kept')),
    alts.length ? h('div', { class: 'slot-grid alts', role: 'group', 'aria-labelledby': 'lost-title' },
      alts.map((a) => slotButton(a, a.date, choose, sel.staff, a.date !== lostDate ? dateShort(a.date) : ''))) : h('p', {}, t('lost.none')),
    h('a', { class: 'link', href: urlFor({ ...sel, time: null, step: null }), onclick: (e) => { e.preventDefault(); go({ time: null, step: null }); } }, t('lost.all')));
  announce(`${t('lost.title', { time: clock(sel.time, lostDate) })} ${t('lost.kept')}`, true);
  document.getElementById('lost-title')?.focus();
}
const toMin = (hhmm) => +hhmm.slice(0, 2) * 60 + +hhmm.slice(3, 5);

// ---------- form helpers ----------
function field(id, label, input, { hint, required } = {}) {
  const ids = [hint && `${id}-hint`, `${id}-err`].filter(Boolean).join(' ');
  input.id = id;
  input.setAttribute('aria-describedby', ids);
  if (required) { input.required = true; input.setAttribute('aria-required', 'true'); }
  return h('div', { class: 'field' },
    h('label', { for: id }, label, required ? null : h('span', { class: 'opt' }, ` (${t('form.optional')})`)),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    input,
    h('p', { class: 'err', id: `${id}-err` }));
}

function setError(id, msg) {
  const input = document.getElementById(id);
  const err = document.getElementById(`${id}-err`);
  if (!input || !err) return;
  err.textContent = msg ? `${msg}` : '';
  if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
}

function formError(msg) {
  const el = document.getElementById('form-error');
  if (!el) return;
  el.hidden = !msg;
  el.textContent = msg || '';
}

function validate() {
  const errs = [];
  const phone = contact.phone.replace(/[\s().-]/g, '');
  if (!contact.name.trim()) errs.push(['name', t('form.err.name')]);
  if (!/^\+?\d{7,15}$/.test(phone)) errs.push(['phone', t('form.err.phone')]);
  if (contact.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact.email)) errs.push(['email', t('form.err.email')]);
  if (S.commentRequired && !contact.comment.trim()) errs.push(['comment', t('form.err.comment')]);
  if (S.privacy && !contact.agree) errs.push(['agree', t('form.err.agree')]);
  return errs;
}

function showErrors(errs) {
  ['name', 'phone', 'email', 'comment', 'agree', 'code'].forEach((f) => setError(f, ''));
  errs.forEach(([f, m]) => setError(f, m));
  if (errs.length) {
    formError(t('form.fix', { n: errs.length }));
    document.getElementById(errs[0][0])?.focus();
  } else formError('');
}

// Shared with events.js: the location's policy, fetched once per location.
export async function privacyText() {
  if (!S.showPrivacy) return null;
  if (S.privacy !== null && S.privacyLoc === S.loc) return S.privacy;
  try {
    const d = await api.get(`/privacy_policy/${S.loc}`);
    const c = d && (d.agreement?.content ?? d.content);
    S.privacy = c && String(c).trim() ? String(c) : '';
  } catch { S.privacy = ''; }
  S.privacyLoc = S.loc;
  return S.privacy;
}

// ---------- step: contact ----------
export async function stepContact() {
  S.busy = false;
  const sec = h('section', { class: 'step', 'aria-labelledby': 'step-title' }, heading('contact.title'));
  let slot;
  try {
    [slot] = await Promise.all([loadSlot(false), privacyText(), api.get(`/book_services/${S.loc}`).then((d) => { S.services = S.services || d; }),
      sel.staff ? api.get(`/book_staff/${S.loc}`, { service_ids: ids() }).then((d) => { S.staff = d; }) : null]);
  } catch (e) { sec.append(errorBox(e)); return sec; }
  const card = apptCard();
  sec.append(card);
  const input = (name, attrs, tag = 'input') => {
    const el = h(tag, { name, ...attrs });
    if (name === 'agree') el.checked = !!contact.agree; else el.value = contact[name] || '';
    el.addEventListener('input', () => { contact[name] = name === 'agree' ? el.checked : el.value; persist(); if (el.getAttribute('aria-invalid')) setError(name, ''); });
    el.addEventListener('change', () => { contact[name] = name === 'agree' ? el.checked : el.value; persist(); });
    return el;
  };
  const form = h('form', { novalidate: true, class: 'form', 'aria-labelledby': 'step-title' },
    h('p', { class: 'form-error', id: 'form-error', role: 'alert', hidden: true }),
    field('name', t('form.name'), input('name', { type: 'text', autocomplete: 'name', autocapitalize: 'words', spellcheck: 'false' }), { required: true }),
    field('phone', t('form.phone'), input('phone', { type: 'tel', autocomplete: 'tel', inputmode: 'tel' }), { required: true, hint: t('form.phoneHint') }),
    field('email', t('form.email'), input('email', { type: 'email', autocomplete: 'email', inputmode: 'email', spellcheck: 'false' }), { hint: t('form.emailHint') }),
    field('comment', S.commentLabel || t('form.comment'), input('comment', { rows: 3 }, 'textarea'), { required: S.commentRequired }),
    S.privacy ? h('div', { class: 'field privacy' },
      h('h2', { id: 'pp-title' }, t('form.privacyTitle')),
      h('div', { class: 'pp-text', tabindex: '0', role: 'region', 'aria-labelledby': 'pp-title' }, S.privacy),
      h('div', { class: 'check' }, (() => { const c = input('agree', { type: 'checkbox', id: 'agree', required: true, 'aria-required': 'true', 'aria-describedby': 'agree-err' }); return c; })(),
        h('label', { for: 'agree' }, t('form.agree'))),
      h('p', { class: 'err', id: 'agree-err' })) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn', id: 'submit' }, S.sms ? t('form.sendCode') : t('form.book')),
      h('p', { class: 'muted small' }, S.sms ? t('form.smsNote') : '')));
  form.addEventListener('submit', (e) => { e.preventDefault(); submitContact(); });
  sec.append(form);
  watchSlot();
  S.mounted = slot ? () => S.recheck() : slotLost;
  return sec;
}

async function guard(btn, fn) {
  if (S.busy) return;
  S.busy = true;
  btn?.setAttribute('aria-disabled', 'true');
  btn?.classList.add('loading');
  try { await fn(); } finally {
    S.busy = false;
    btn?.removeAttribute('aria-disabled');
    btn?.classList.remove('loading');
  }
}

async function submitContact() {
  const errs = validate();
  showErrors(errs);
  if (errs.length) { announce(t('form.fix', { n: errs.length }), true); return; }
  await guard(document.getElementById('submit'), async () => {
    try {
      if (!S.slot) throw new api.ApiError(422, 'lost', [433]);
      const staffId = await resolveStaff();
      S.staffForRecord = staffId;
      if (S.sms) {
        try { await sendCode(); } catch (e) {
          // Refused because a code went to this phone moments ago: that code still works.
          if (!(e.limit === 'codes' && loadJSON('bk.code')?.phone === normPhone())) throw e;
        }
        go({ step: 'sms' });
        return;
      }
      await record();
    } catch (e) { handle(e); }
  });
}

async function sendCode() {
  try {
    await api.request('POST', `/book_code/${S.loc}`, { body: { phone: normPhone(), fullname: contact.name.trim() } });
  } catch (e) {
    if (e.status === 429 && e.retryAfter > 0) {
      e.limit = 'codes'; // too many codes for this phone or from here: no new one until Retry-After
      const sent = loadJSON('bk.code');
      if (sent?.phone === normPhone()) saveJSON('bk.code', { ...sent, until: Date.now() + e.retryAfter * 1000 });
    }
    throw e;
  }
  saveJSON('bk.code', { phone: normPhone(), at: Date.now() });
}
const normPhone = () => contact.phone.replace(/[\s().-]/g, '');

function handle(e) {
  if (e.has?.(...LOST)) { S.busy = false; slotLost(); return; }
  if (e.has?.(431)) { showErrors([['phone', t('err.431')]]); return; }
  if (e.has?.(435)) { showErrors([['name', t('err.435')]]); return; }
  if (e.has?.(432) && !document.getElementById('code')) {
    // The location wants an SMS code although the page did not know it: ask for one now.
    S.sms = true;
    sendCode().then(() => go({ step: 'sms' }), (err) => formError(errorText(err)));
    return;
  }
  if (e.has?.(432)) { showErrors([['code', t('err.432')]]); announce(t('err.432'), true); return; }
  if (e.status === 400 && /mail/i.test(e.message)) { showErrors([['email', t('form.err.email')]]); return; }
  formError(errorText(e));
}

// ---------- step: SMS code ----------
export async function stepSms() {
  const sec = h('section', { class: 'step', 'aria-labelledby': 'step-title' }, heading('sms.title'));
  if (!contact.name || !contact.phone) { S.mounted = () => { go({ step: null }, { replace: true }); route(false); }; return sec; }
  try {
    await Promise.all([loadSlot(false), api.get(`/book_services/${S.loc}`).then((d) => { S.services = S.services || d; })]);
  } catch (e) { sec.append(errorBox(e)); return sec; }
  sec.append(apptCard());
  const sent = loadJSON('bk.code');
  const code = h('input', { name: 'code', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]*', maxlength: '8', class: 'code' });
  const resend = h('button', { type: 'button', class: 'btn secondary', id: 'resend' });
  const form = h('form', { novalidate: true, class: 'form', 'aria-labelledby': 'step-title' },
    h('p', { class: 'form-error', id: 'form-error', role: 'alert', hidden: true }),
    field('code', t('sms.label'), code, { required: true, hint: t('sms.hint', { phone: contact.phone }) }),
    h('p', {}, h('a', { class: 'link', href: urlFor({ ...sel, step: null }), onclick: (e) => { e.preventDefault(); history.back(); } }, t('sms.change'))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'submit' }, t('form.book')), resend));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = code.value.trim();
    if (!/^\d{4,8}$/.test(v)) { showErrors([['code', t('sms.err')]]); announce(t('sms.err'), true); return; }
    showErrors([]);
    guard(document.getElementById('submit'), async () => {
      try {
        if (!S.slot) throw new api.ApiError(422, 'lost', [433]);
        S.staffForRecord = await resolveStaff();
        await record(v);
      } catch (err) { handle(err); }
    });
  });
  let timer = null;
  const tick = () => {
    const s = loadJSON('bk.code');
    const left = s ? Math.max(0, Math.ceil(((s.until || s.at + 60000) - Date.now()) / 1000)) : 0;
    if (left > 0) {
      resend.setAttribute('aria-disabled', 'true');
      resend.textContent = t('sms.resendIn', { s: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` });
    } else {
      resend.removeAttribute('aria-disabled');
      resend.textContent = s ? t('sms.resend') : t('sms.send');
      clearInterval(timer);
    }
  };
  resend.addEventListener('click', async () => {
    if (resend.getAttribute('aria-disabled') === 'true') return;
    try { await sendCode(); formError(''); announce(t('sms.sent', { phone: contact.phone })); } catch (e) { formError(errorText(e)); }
    clearInterval(timer); timer = setInterval(tick, 1000); tick();
  });
  tick();
  if (sent) timer = setInterval(tick, 1000);
  sec.append(form);
  watchSlot();
  webOtp(code);
  S.mounted = S.slot ? () => S.recheck() : slotLost;
  return sec;
}

// Web OTP API where the browser has it: fills the code from the SMS.
function webOtp(input) {
  if (!('OTPCredential' in window)) return;
  const ac = new AbortController();
  navigator.credentials.get({ otp: { transport: ['sms'] }, signal: ac.signal })
    .then((c) => { if (c && input.isConnected) input.value = c.code; }).catch(() => {});
  setTimeout(() => ac.abort(), 120000);
}

// ---------- book_record with an Idempotency-Key ----------
async function record(code) {
  const body = {
    phone: normPhone(), fullname: contact.name.trim(), email: contact.email.trim(), comment: contact.comment.trim(),
    notify_by_sms: 24, notify_by_email: contact.email ? 24 : 0, type: 'web',
    appointments: [appt(S.staffForRecord ?? (sel.staff || 0))],
  };
  if (code) body.code = code;
  // One key per distinct booking attempt: a retry of the same request reuses it.
  const sig = JSON.stringify(body);
  let idem = loadJSON('bk.idem');
  if (!idem || idem.sig !== sig) { idem = { sig, key: crypto.randomUUID() }; saveJSON('bk.idem', idem); }
  let data;
  try {
    data = await api.request('POST', `/book_record/${S.loc}`, { body, headers: { 'Idempotency-Key': idem.key } });
  } catch (e) {
    if (e.network || e.status >= 500) { formError(t('err.unsure')); return; }
    if (e.status === 429 && code) e.limit = 'locked'; // too many wrong codes: the phone is locked for a while
    throw e;
  }
  const rec = Array.isArray(data) ? data[0] : data;
  dropJSON('bk.idem');
  dropJSON('bk.code');
  clearInterval(checkTimer);
  api.forget(`/book_times/${S.loc}`); api.forget(`/book_dates/${S.loc}`); api.forget(`/book_staff`);
  const s = svc();
  const booking = {
    loc: S.loc, id: rec.record_id, hash: rec.record_hash, datetime: S.slot.datetime, date: sel.date, time: sel.time,
    service: s?.title || '', length: S.slot.seance_length || s?.seance_length || 3600,
    price: s ? price(s.price_min, s.price_max, S.currency) : '', duration: duration(S.slot.seance_length || s?.seance_length),
    staff: S.staffForRecord ? (S.resolved?.name || staffName(S.staffForRecord)) : t('staff.any'),
    place: S.title || '', offset: isoOffset(S.slot.datetime), email: contact.email,
  };
  const made = { location: +S.loc, record: +rec.record_id, services: body.appointments[0].services, staff: +body.appointments[0].staff_id };
  document.dispatchEvent(new CustomEvent('booking:made', { detail: made }));
  const { done } = await import('./done.js');
  done(booking);
  emitStep('done');
}

