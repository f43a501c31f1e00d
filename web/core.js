// Shared state, URL routing and small UI pieces used by every step.
import { clock, dateLong, isoOffset, t, visitorClock, waitFor } from './i18n.js';
import { h } from './dom.js';

// S: what the page knows; sel: what the visitor chose (mirrored in the URL).
export const S = {
  cfg: {}, form: null, loc: null, order: [], sms: false, commentRequired: false, privacy: null,
  services: null, staff: null, slot: null, resolved: null, offset: null, tz: null, currency: null,
  busy: false,
};
export const sel = { service: null, services: [], staff: null, date: null, time: null, step: null };
// Kept on every step: the form, the language, the embedding page's origin and a partner's UTM tags.
const KEEP = ['form', 'location', 'lang', 'embed', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

export function urlFor(s = sel) {
  const cur = new URLSearchParams(location.search);
  const q = new URLSearchParams();
  for (const k of KEEP) if (cur.get(k)) q.set(k, cur.get(k));
  // several services (a bookform that allows it): service=10011,10013; the first one is sel.service
  const list = s.services?.length > 1 && +s.services[0] === +s.service ? s.services : [s.service].filter(Boolean);
  if (list.length) q.set('service', list.join(','));
  if (s.staff != null) q.set('staff', s.staff);
  if (s.date) q.set('date', s.date);
  if (s.time) q.set('time', s.time);
  if (s.step) q.set('step', s.step);
  const qs = q.toString().replace(/%3A/g, ':').replace(/%2C/g, ',');
  return location.pathname + (qs ? `?${qs}` : '');
}

// A URL of the page's other screens (group events, …): the kept parameters plus these.
export function pageUrl(params = {}) {
  const cur = new URLSearchParams(location.search);
  const q = new URLSearchParams();
  for (const k of KEEP) if (cur.get(k)) q.set(k, cur.get(k));
  for (const [k, v] of Object.entries(params)) if (v != null) q.set(k, v);
  const qs = q.toString();
  return location.pathname + (qs ? `?${qs}` : '');
}

export function readUrl() {
  const q = new URLSearchParams(location.search);
  const num = (k) => (/^\d+$/.test(q.get(k) || '') ? +q.get(k) : null);
  const list = (q.get('service') || '').split(',').filter((x) => /^\d+$/.test(x)).map(Number);
  sel.services = [...new Set(list)];
  sel.service = sel.services[0] || null;
  sel.staff = num('staff');
  sel.date = /^\d{4}-\d\d-\d\d$/.test(q.get('date') || '') ? q.get('date') : null;
  sel.time = /^\d\d:\d\d$/.test(q.get('time') || '') ? q.get('time') : null;
  sel.step = q.get('step');
}

let router = () => {};
export const setRouter = (f) => { router = f; };
// Follow an in-page link (another screen, or a #hash one) as a step: pushed, routed, its heading focused.
export const navTo = (e) => { e.preventDefault(); history.pushState(null, '', e.currentTarget.getAttribute('href')); router(true); };
// Move to a new step (push) or change the current one in place (replace).
export function go(patch, { replace = false } = {}) {
  Object.assign(sel, patch);
  history[replace ? 'replaceState' : 'pushState'](null, '', urlFor());
  if (!replace) router(true);
}

// The chosen services' ids, and the chosen service (several: one combined entry, lengths and prices summed).
export const ids = () => (sel.services.length > 1 && +sel.services[0] === +sel.service ? sel.services : [sel.service]).map(Number);
export const svc = () => {
  const all = ids().map((id) => S.services?.services.find((s) => +s.id === id));
  if (all.length < 2) return all[0];
  if (!all.every(Boolean)) return undefined;
  const sum = (k) => all.reduce((a, s) => a + (+s[k] || 0), 0);
  return { id: all[0].id, title: all.map((s) => s.title).join(' + '), seance_length: sum('seance_length'), price_min: sum('price_min'), price_max: sum('price_max') };
};
export const staffName = (id) => {
  if (!id) return t('staff.any');
  const m = S.staff?.find((x) => +x.id === +id);
  return m ? m.name : '';
};

// Does the visitor's zone differ from the location's at this instant?
export function zoneDiffers(iso) {
  const off = isoOffset(iso);
  return off != null && off !== -new Date(iso).getTimezoneOffset();
}

// A slot button named with time, full date and team member (the name is its text, so it always
// contains what is visible: the extra words are visually hidden).
export function slotButton(slot, date, onPick, staffId = sel.staff, prefix = '') {
  const local = clock(slot.time, date);
  const diff = zoneDiffers(slot.datetime);
  const who = staffId ? t('slot.with', { name: staffName(staffId) }) : t('slot.any');
  const sr = (text) => h('span', { class: 'sr-only' }, text);
  return h('button', { type: 'button', class: 'slot', 'data-time': slot.time, onclick: () => onPick(slot, date) },
    prefix ? h('span', { class: 'slot-day' }, prefix) : null,
    h('span', { class: 'slot-time' }, local),
    diff ? h('span', { class: 'slot-mine' }, sr(' ('), visitorClock(slot.datetime, date), sr(` ${t('slot.yoursWord')})`)) : null,
    sr(`, ${dateLong(date)}, ${who}`));
}

// Step heading: focus it after a user-driven step change so screen readers hear where they are.
export function heading(key, vars) {
  return h('h1', { id: 'step-title', tabindex: '-1' }, t(key, vars));
}

export function skeletonRows(n, cls = 'skel-row') {
  return Array.from({ length: n }, () => h('div', { class: `skel ${cls}`, 'aria-hidden': 'true' }));
}

// Human message for an API failure.
export function errorText(err) {
  if (!err) return t('err.generic');
  if (err.network) return t('err.network');
  for (const c of [431, 432, 433, 434, 435, 436, 437, 438]) if (err.has?.(c)) return t(`err.${c}`);
  // The gateway's abuse limits: a wait longer than a busy moment, said in words (err.limit: what was refused).
  if (err.status === 429 && err.limit && err.retryAfter > 5) return t(`err.${err.limit}`, { wait: waitFor(err.retryAfter) });
  if (err.status === 429 || err.status === 503) return t('err.busy');
  if (err.status === 504) return t('err.timeout');
  if (err.status === 404) return t('err.404');
  return t('err.generic');
}

// Step changes and bookings made, as DOM events (the embed and analytics listen): ids only, never personal data.
let lastStep = null;
export function emitStep(step) {
  if (step === lastStep) return;
  lastStep = step;
  document.dispatchEvent(new CustomEvent('booking:step', { detail: { step } }));
}

// Session storage, or memory where it is refused (private mode; a partner's frame with third-party storage blocked).
const mem = new Map();
export const saveJSON = (k, v) => { const s = JSON.stringify(v); mem.set(k, s); try { sessionStorage.setItem(k, s); } catch { /* memory only */ } };
export const loadJSON = (k) => {
  let s;
  try { s = sessionStorage.getItem(k); } catch { s = mem.get(k); }
  try { return JSON.parse(s || 'null'); } catch { return null; }
};
export const dropJSON = (k) => { mem.delete(k); try { sessionStorage.removeItem(k); } catch { /* memory only */ } };
