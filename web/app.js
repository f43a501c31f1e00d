// Booking page entry: boot from config.json + bookform, route from the URL, render the first steps.
import * as api from './api.js';
import {
  addDays, addMonths, clock, count, dateLong, dateMid, dateShort, duration, isoOffset, load, LOCALES,
  monthEnd, pick, price, t, utcLabel, visitorZone, ymd,
} from './i18n.js';
import { Calendar } from './calendar.js';
import { $, announce, h, reveal } from './dom.js';
import {
  emitStep, errorText, go, heading, ids, navTo, pageUrl, readUrl, S, sel, setRouter, skeletonRows, slotButton, staffName, svc, urlFor, zoneDiffers,
} from './core.js';

const view = $('#view');
const narrow = () => matchMedia('(max-width: 47.99em)').matches;
let cal = null;
let renderId = 0;

async function boot() {
  const q = new URLSearchParams(location.search);
  if (q.get('embed') && window.parent !== window) import('./frame.js'); // embedded by web/embed.js
  S.cfg = await fetch('config.json').then((r) => r.json());
  api.setBase(S.cfg.apiBase);
  const formId = q.get('form') || (q.get('location') ? null : S.cfg.bookform);
  const stored = (() => { try { return localStorage.getItem('bk.lang'); } catch { return null; } })();
  const early = pick(q.get('lang'), stored);
  const strings = load(early || pick(navigator.languages) || S.cfg.locale || 'en-US');
  if (formId) {
    try { S.form = await api.get(`/bookform/${formId}`); } catch (e) { await strings; return fatal(e); }
  }
  S.loc = +(q.get('location') || S.form?.company_id || S.cfg.location);
  let loc = await strings;
  // The visitor's own choice wins; else the form's language if the browser has no match.
  const want = early || pick(navigator.languages) || pick(S.form?.lang) || 'en-US';
  if (want !== loc) loc = await load(want);
  applyForm();
  header();
  // A date to open on (a partner's prefill): kept until the date step, whatever is picked before it.
  if (!q.get('time') && /^\d{4}-\d\d-\d\d$/.test(q.get('date') || '')) S.prefillDate = q.get('date');
  // The business's analytics ids: asked for consent, loaded on demand (web/analytics.js).
  if (['google_analytics_id', 'facebook_pixel_id', 'metrika_counter_id'].some((k) => S.form?.[k])) {
    import('./analytics.js').then((m) => m.start()).catch(() => {});
  }
  addEventListener('popstate', () => route(true));
  addEventListener('hashchange', () => route(false));
  setRouter(route);
  route(false);
  addEventListener('focus', refresh);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
}

function applyForm() {
  const f = S.form || {};
  const meta = (S.cfg.locations || {})[S.loc] || {};
  S.tz = meta.timeZone || null;
  S.currency = meta.currency || null;
  S.title = meta.name || S.cfg.title || '';
  S.sms = f.phone_confirmation != null ? !!f.phone_confirmation : !!meta.phoneConfirmation;
  S.commentRequired = !!f.comment_required;
  S.commentLabel = f.comment_input_name || '';
  S.showPrivacy = f.is_show_privacy_policy != null ? !!f.is_show_privacy_policy : true;
  S.multi = !!f.multiple_services;
  // Step order, hidden steps and defaults come from the bookform.
  const steps = (f.steps || []).slice().sort((a, b) => (+a.num || 0) - (+b.num || 0));
  const order = [];
  const skipped = new Set();
  S.defaults = {};
  for (const s of steps) {
    const name = s.step === 'master' ? 'master' : s.step;
    if (!['service', 'master', 'datetime'].includes(name)) continue;
    if (name === 'service' && +s.default > 0) S.defaults.service = +s.default;
    if (name === 'master' && s.default != null && +s.default >= 0) S.defaults.staff = +s.default;
    if (name === 'datetime' && s.date_default) S.defaults.date = String(s.date_default).slice(0, 10);
    if (s.hidden && name === 'service' && S.defaults.service) { skipped.add(name); continue; }
    if (s.hidden && name === 'master') { S.defaults.staff = S.defaults.staff || 0; skipped.add(name); continue; }
    order.push(name);
  }
  for (const n of ['service', 'master', 'datetime']) if (!order.includes(n) && !skipped.has(n)) order.push(n);
  // datetime always comes after service and team member here (the page needs both to ask for slots)
  S.order = order.filter((n) => n !== 'datetime').concat(order.includes('datetime') ? ['datetime'] : []);
  S.hidden = { service: !S.order.includes('service'), master: !S.order.includes('master') };
  const color = f.style && (f.style.main_color || f.style.primaryPalette);
  if (/^#[0-9a-f]{6}$/i.test(color || '')) {
    document.documentElement.style.setProperty('--brand', color);
    const c = readable(color);
    if (c) document.documentElement.style.setProperty('--accent', c);
  }
}

// The brand colour becomes the accent when it can reach 4.5:1 against white with a little darkening;
// a light colour (yellow, say) would turn muddy, so it only tints the logo and the default accent stays.
function readable(hex) {
  let [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const lum = () => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  if (1.05 / (lum() + 0.05) < 3) return null;
  for (let i = 0; i < 12 && 1.05 / (lum() + 0.05) < 5.5; i++) [r, g, b] = [r, g, b].map((v) => Math.floor(v * 0.94));
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function header() {
  const brand = $('#brand');
  brand.textContent = S.title || t('brand');
  document.title = `${t('title')}${S.title ? ` · ${S.title}` : ''}`;
  // The form's languages that we ship strings for (all of ours without a form), plus the current one.
  const langs = S.form?.langs?.length ? S.form.langs.map((l) => pick(l.code)).filter(Boolean) : Object.keys(LOCALES);
  const avail = [...new Set([document.documentElement.lang, 'en-US', ...langs])].filter((l) => LOCALES[l]);
  const select = h('select', { id: 'lang', onchange: async (e) => {
    try { localStorage.setItem('bk.lang', e.target.value); } catch { /* ignore */ }
    const q = new URLSearchParams(location.search); q.set('lang', e.target.value);
    history.replaceState(null, '', `${location.pathname}?${q.toString().replace(/%3A/g, ':')}${location.hash}`);
    await load(e.target.value);
    header(); route(false);
    $('#lang').focus();
  } }, avail.map((l) => h('option', { value: l, lang: l, selected: l === document.documentElement.lang }, LOCALES[l])));
  $('#lang-slot').replaceChildren(h('label', { for: 'lang', class: 'lang-label' }, t('lang')), select);
  const acct = h('a', { id: 'acct', class: 'top-link', href: '#cabinet', onclick: navTo }, t('cab.link'));
  $('#acct') ? $('#acct').replaceWith(acct) : $('#lang-slot').before(acct);
  $('#skip').textContent = t('skip');
}

function fatal(err) {
  view.replaceChildren(h('div', { class: 'panel error-panel', role: 'alert' },
    h('h1', { id: 'step-title', tabindex: '-1' }, t('err.load')), h('p', {}, errorText(err)),
    h('button', { type: 'button', class: 'btn', onclick: () => location.reload() }, t('retry'))));
}

// ---------- routing ----------
// Screens beside the booking steps, each loaded on demand: module and its render(step).
const MORE = { cabinet: './cabinet.js', move: './reschedule.js', events: './events.js', event: './events.js' };
function currentStep() {
  if (/^#manage=/.test(location.hash)) return 'manage';
  if (/^#(cabinet|move=)/.test(location.hash)) return location.hash.startsWith('#move=') ? 'move' : 'cabinet';
  const q = new URLSearchParams(location.search);
  if (q.has('event')) return 'event';
  if (q.has('events')) return 'events';
  for (const st of S.order) {
    if (st === 'service' && !sel.service) return 'service';
    if (st === 'master' && sel.staff == null) return 'master';
    if (st === 'datetime' && !(sel.date && sel.time)) return 'datetime';
  }
  if (sel.step === 'sms' && S.sms) return 'sms';
  return 'contact';
}

async function route(userAction) {
  readUrl();
  if (S.hidden.service && !sel.service) sel.service = S.defaults.service || null;
  if (S.hidden.master && sel.staff == null) sel.staff = S.defaults.staff ?? 0;
  const id = ++renderId;
  S.mounted = null;
  const step = currentStep();
  S.step = step;
  progress(step);
  document.body.dataset.step = step;
  emitStep(step);
  let el;
  if (step === 'manage') el = await (await import('./done.js')).manage(location.hash);
  else if (MORE[step]) el = await (await import(MORE[step])).render(step);
  else if (step === 'service') el = await stepService();
  else if (step === 'master') el = await stepStaff();
  else if (step === 'datetime') el = await stepDateTime();
  else {
    const m = await import('./details.js');
    el = await (step === 'sms' ? m.stepSms() : m.stepContact());
  }
  if (id !== renderId || !el) return;
  if (view.firstChild !== el) view.replaceChildren(el);
  summary(step);
  const after = S.mounted; S.mounted = null;
  if (after) setTimeout(after, 0);
  const title = $('#step-title');
  if (title) document.title = `${title.textContent} · ${S.title || t('title')}`;
  if (userAction && title) { title.focus({ preventScroll: true }); reveal($('#main'), false); }
}
export { route, summary };

function progress(step) {
  const ol = $('#progress');
  const names = [...S.order, 'contact', ...(S.sms ? ['sms'] : [])];
  const idx = names.indexOf(step === 'manage' ? 'done' : step);
  const nav = $('#progress-nav');
  nav.setAttribute('aria-label', t('progress'));
  nav.hidden = step === 'manage' || !!MORE[step];
  ol.replaceChildren(...names.map((n, i) => {
    const label = t(`step.${n}`);
    const li = h('li', { class: i < idx ? 'done' : i === idx ? 'current' : '' });
    const num = h('span', { class: 'num', 'aria-hidden': 'true' }, String(i + 1));
    if (i < idx && n !== 'sms') {
      li.append(h('a', { href: backUrl(n), onclick: (e) => { e.preventDefault(); history.pushState(null, '', backUrl(n)); route(true); } },
        num, h('span', { class: 'lbl' }, label), h('span', { class: 'sr-only' }, ` (${t('progress.done')})`)));
    } else {
      li.append(h('span', i === idx ? { 'aria-current': 'step' } : {}, num, h('span', { class: 'lbl' }, label)));
    }
    return li;
  }));
}

// URL that reopens step n with the choices made before it.
function backUrl(n) {
  const s = { ...sel, step: null };
  const order = [...S.order, 'contact'];
  for (const st of order.slice(order.indexOf(n))) {
    if (st === 'service' && !S.hidden.service) s.service = null;
    if (st === 'master' && !S.hidden.master) s.staff = null;
    if (st === 'datetime') s.time = null;
  }
  return urlFor(s);
}

// Summary card of the choices so far (aside on desktop, a strip on mobile).
function summary(step) {
  const box = $('#summary');
  const s = svc();
  if (step === 'manage' || step === 'done' || MORE[step]) { box.hidden = true; return; }
  box.hidden = false;
  const rows = [];
  if (s) rows.push([t(ids().length > 1 ? 'sum.services' : 'sum.service'), s.title, [duration(s.seance_length), price(s.price_min, s.price_max, S.currency)].filter(Boolean).join(' · ')]);
  if (sel.staff != null && (S.staff || !sel.staff)) {
    const who = !sel.staff && S.resolved && (step === 'contact' || step === 'sms') ? `${S.resolved.name} (${t('staff.anyResolved')})` : staffName(sel.staff);
    rows.push([t('sum.staff'), who]);
  }
  if (sel.date && step !== 'service' && step !== 'master') rows.push([t('sum.when'), dateMid(sel.date) + (sel.time ? `, ${clock(sel.time, sel.date)}` : '')]);
  box.classList.toggle('empty', !rows.length);
  box.replaceChildren(h('h2', { class: 'sum-title', id: 'sum-title' }, t('sum.title')),
    rows.length ? h('dl', {}, rows.map(([k, v, extra]) => [h('dt', {}, k), h('dd', {}, v, extra ? h('span', { class: 'muted' }, extra) : null)]))
      : h('p', { class: 'muted small' }, t('sum.empty')),
    S.tz ? h('p', { class: 'sum-tz muted small' }, t('sum.tz', { zone: S.tz })) : null);
}

// ---------- step: service ----------
async function stepService() {
  if (S.multi) return (await import('./services.js')).stepServices();
  const list = h('div', { class: 'list', 'aria-busy': 'true' }, skeletonRows(5));
  const sec = h('section', { class: 'step', 'aria-labelledby': 'step-title' }, heading('service.title'), list);
  view.replaceChildren(sec);
  let data;
  try {
    data = await api.get(`/book_services/${S.loc}`, { staff_id: sel.staff || undefined });
  } catch (e) { list.replaceChildren(errorBox(e)); return sec; }
  S.services = data;
  const cats = (data.category || []).slice().sort((a, b) => (b.weight || 0) - (a.weight || 0));
  const services = (data.services || []).filter((x) => x.active !== 0).sort((a, b) => (b.weight || 0) - (a.weight || 0));
  const groups = cats.map((c) => [c, services.filter((s) => +s.category_id === +c.id)]);
  const loose = services.filter((s) => !cats.some((c) => +c.id === +s.category_id));
  if (loose.length) groups.push([{ id: 0, title: t('service.other') }, loose]);
  list.removeAttribute('aria-busy');
  sec.insertBefore(eventsEntry(data.events), list);
  if (!services.length) { list.replaceChildren(h('p', { class: 'empty' }, t('service.none'))); return sec; }
  list.replaceChildren(...groups.filter(([, ss]) => ss.length).map(([c, ss]) => h('div', { class: 'group' },
    h('h2', { id: `cat-${c.id}` }, c.title),
    h('ul', { 'aria-labelledby': `cat-${c.id}` }, ss.map((s) => h('li', {}, h('button', {
      type: 'button', class: `card svc${+s.id === +sel.service ? ' chosen' : ''}`,
      onclick: () => go({ service: s.id, date: null, time: null, step: null }),
    },
    h('span', { class: 'card-main' }, h('span', { class: 'card-title' }, s.title),
      s.comment ? h('span', { class: 'card-sub' }, s.comment) : null),
    h('span', { class: 'card-side' },
      h('span', { class: 'price' }, price(s.price_min, s.price_max, S.currency)),
      h('span', { class: 'muted' }, duration(s.seance_length))))))))));
  if (S.order.indexOf('master') > S.order.indexOf('service')) prefetchStaffFor(services[0]);
  return sec;
}

// Group events of the location, when it has any: one entry to their own screen (events.js).
export function eventsEntry(events) {
  const n = (events || []).length;
  if (!n) return document.createTextNode('');
  const url = pageUrl({ events: 1 });
  return h('a', { class: 'card ev-entry', id: 'events-link', href: url, onclick: navTo },
    h('span', { class: 'avatar any', 'aria-hidden': 'true' }, '☷'),
    h('span', { class: 'card-main' }, h('span', { class: 'card-title' }, t('ev.entry')), h('span', { class: 'card-sub' }, t('ev.entrySub', { n, count: count(n) }))),
    h('span', { class: 'card-side', 'aria-hidden': 'true' }, '›'));
}

const prefetchStaffFor = (s) => s && api.prefetch(`/book_staff/${S.loc}`, { service_ids: [s.id] });

async function ensureServices() {
  if (!S.services) S.services = await api.get(`/book_services/${S.loc}`, { staff_id: sel.staff || undefined });
}
async function ensureStaff() {
  S.staff = await api.get(`/book_staff/${S.loc}`, { service_ids: sel.service ? ids() : undefined });
  return S.staff;
}

// ---------- step: team member ----------
async function stepStaff() {
  const list = h('div', { class: 'list', 'aria-busy': 'true' }, skeletonRows(4, 'skel-row staff'));
  const sec = h('section', { class: 'step', 'aria-labelledby': 'step-title' }, heading('staff.title'), list);
  view.replaceChildren(sec);
  let staff;
  try { [staff] = await Promise.all([ensureStaff(), ensureServices()]); } catch (e) { list.replaceChildren(errorBox(e)); return sec; }
  summary('master');
  staff = (staff || []).filter((m) => !m.hidden && !m.fired).sort((a, b) => (b.weight || 0) - (a.weight || 0));
  const next = staff.filter((m) => m.bookable && m.seance_date).map((m) => m.seance_date).sort()[0];
  const pickStaff = (id) => go({ staff: id, date: null, time: null, step: null });
  const card = (id, name, sub, when, ok) => h('li', {}, h('button', {
    type: 'button', class: `card staff${sel.staff != null && +id === +sel.staff ? ' chosen' : ''}`, disabled: !ok, onclick: () => pickStaff(id),
  },
  h('span', { class: `avatar${id ? '' : ' any'}`, 'aria-hidden': 'true' }, id ? initials(name) : '★'),
  h('span', { class: 'card-main' }, h('span', { class: 'card-title' }, name), sub ? h('span', { class: 'card-sub' }, sub) : null),
  h('span', { class: 'card-side' }, h('span', { class: ok ? 'next' : 'muted' }, when))));
  const mode = S.form?.specialization_display_mode;
  list.removeAttribute('aria-busy');
  list.replaceChildren(h('ul', { 'aria-labelledby': 'step-title' },
    card(0, t('staff.any'), t('staff.anySub'), next ? t('staff.next', { date: dateShort(next) }) : t('staff.noFree'), staff.some((m) => m.bookable)),
    staff.map((m) => card(m.id, m.name, mode === 1 && m.position?.title ? m.position.title : m.specialization,
      m.bookable && m.seance_date ? t('staff.next', { date: dateShort(m.seance_date) }) : t('staff.noFree'), !!m.bookable))));
  return sec;
}
const initials = (n) => String(n || '?').split(/\s+/).slice(0, 2).map((p) => p[0]).join('').toUpperCase();

// ---------- step: date and time ----------
const dtState = { month: null, booking: null, working: null, times: null, earliest: null, months: new Map() };

function locToday() {
  if (S.tz) { try { return new Intl.DateTimeFormat('en-CA', { timeZone: S.tz }).format(new Date()); } catch { /* fall through */ } }
  const d = new Date(); return ymd(new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), 12)));
}

async function stepDateTime() {
  const today = locToday();
  const max = monthEnd(addMonths(today, 11));
  if (!sel.date && S.prefillDate >= today && S.prefillDate <= max) { sel.date = S.prefillDate; history.replaceState(null, '', urlFor()); }
  S.prefillDate = null;
  const params = () => ({ service_ids: ids() });
  const staffId = sel.staff || 0;
  const chip = h('div', { class: 'earliest' }, h('span', { class: 'skel skel-chip', 'aria-hidden': 'true' }));
  const note = h('p', { class: 'zone-note', id: 'zone-note', hidden: true });
  const slotsTitle = h('h2', { id: 'slots-title', tabindex: '-1' });
  const slotsBody = h('div', { class: 'slots-body' });
  const slotsPanel = h('div', { class: 'slots', id: 'slots' }, slotsTitle, slotsBody);
  // Until the visitor moves the calendar or picks a day, it moves itself to where the free days are.
  let auto = !sel.date && !S.defaults.date;
  cal = new Calendar({
    min: today, max,
    onSelect: (d) => { auto = false; selectDate(d, true); },
    onMonth: (m, focus) => { auto = false; showMonth(m, focus); },
  });
  const sec = h('section', { class: 'step dt', 'aria-labelledby': 'step-title' }, heading('dt.title'), chip, note,
    h('div', { class: 'dt-grid' }, h('div', { class: 'cal-wrap' }, cal.el, legend()), slotsPanel));
  view.replaceChildren(sec);
  ensureStaff().then(() => summary('datetime')).catch(() => {});
  ensureServices().then(() => summary('datetime')).catch(() => {});

  let month = (sel.date || S.defaults.date || today).slice(0, 7) + '-01';
  if (month < today.slice(0, 7) + '-01') month = today.slice(0, 7) + '-01';
  dtState.booking = null;
  dtState.months = new Map();

  async function showMonth(m, focus, fresh) {
    dtState.month = m;
    const known = !fresh && dtState.months.get(m);
    dtState.booking = known ? known.booking : null;
    dtState.working = known ? known.working : null;
    cal.render({ month: m, selected: sel.date, focus, booking: dtState.booking, working: dtState.working, today });
    if (focus) cal.setFocus(focus, true);
    if (known) { if (!sel.date) emptyMonthHint(); prefetchAfter(m); prefetchFirst(known.booking); return; }
    let data;
    try {
      data = await api.get(`/book_dates/${S.loc}`, span(m), { fresh });
    } catch (e) { if (dtState.month === m) slotsBody.replaceChildren(errorBox(e)); return; }
    for (const k of [m, addMonths(m, 1)].filter((k) => k <= max)) {
      const inMonth = (d) => d.slice(0, 7) === k.slice(0, 7);
      dtState.months.set(k, { booking: new Set((data.booking_dates || []).filter(inMonth)), working: new Set((data.working_dates || []).filter(inMonth)) });
    }
    const entry = dtState.months.get(m);
    if (dtState.month !== m || !sec.isConnected) return;
    // Nothing free left this month (its last evening, say) and the "earliest" answer was too slow to pick
    // the month: the next one came in the same call, open it if it has free days.
    const next = dtState.months.get(addMonths(m, 1));
    if (auto && !entry.booking.size && next?.booking.size) return showMonth(addMonths(m, 1), null);
    dtState.booking = entry.booking;
    dtState.working = entry.working;
    const hadFocus = cal.table.contains(document.activeElement);
    cal.render({ month: m, selected: sel.date, focus: cal.st.focus, booking: dtState.booking, working: dtState.working, today });
    if (hadFocus) cal.setFocus(cal.focusDate(), true);
    announce(t('cal.monthInfo', { month: cal.title.textContent, n: dtState.booking.size, count: count(dtState.booking.size) }));
    if (!sel.date) emptyMonthHint();
    prefetchAfter(m);
    prefetchFirst(entry.booking);
  }

  // Dates come two months a call (the shown one and the next, where visitors look next): half the calls.
  function span(m) {
    const end = monthEnd(addMonths(m, 1));
    return { ...params(), staff_id: staffId, date_from: m, date_to: end < max ? end : max };
  }

  // On a month whose next one is not known yet, the call that the next click will need.
  function prefetchAfter(m) {
    const nm = addMonths(m, 1);
    if (nm <= max && !dtState.months.has(nm)) api.prefetch(`/book_dates/${S.loc}`, span(nm));
  }

  // No day picked yet: the month's first bookable day is where most visitors tap, so its times are asked
  // before the tap (then shown from the page's cache at once).
  function prefetchFirst(booking) {
    const first = sel.date ? null : [...booking].sort()[0];
    if (first) api.prefetch(`/book_times/${S.loc}/${staffId}/${first}`, params());
  }

  function emptyMonthHint() {
    slotsTitle.textContent = t('slots.pickDay');
    if (dtState.booking && dtState.booking.size === 0) {
      const e = dtState.earliest?.seance_date;
      slotsBody.replaceChildren(h('p', { class: 'empty' }, t('cal.noneInMonth', { month: cal.title.textContent })),
        ...(e && e > dtState.month ? [h('button', { type: 'button', class: 'btn secondary', onclick: () => selectDate(e, true) },
          t('cal.jump', { date: dateMid(e) }))] : []));
    } else {
      slotsBody.replaceChildren(h('p', { class: 'muted hint' }, t('slots.pickHint')));
    }
  }

  async function selectDate(d, user, fresh) {
    sel.date = d; sel.time = null;
    history.replaceState(null, '', urlFor());
    const keep = cal.table.contains(document.activeElement);
    if (d.slice(0, 7) + '-01' !== dtState.month) await showMonth(d.slice(0, 7) + '-01', keep ? d : null);
    else cal.render({ ...cal.st, selected: d, focus: d });
    if (keep) cal.btn(d)?.focus();
    slotsTitle.textContent = dateMid(d);
    slotsBody.setAttribute('aria-busy', 'true');
    slotsBody.replaceChildren(h('div', { class: 'slot-grid' }, skeletonRows(8, 'skel-slot')));
    if (user && narrow()) reveal(slotsTitle, true);
    let times;
    try {
      times = await api.get(`/book_times/${S.loc}/${staffId}/${d}`, params(), { fresh });
    } catch (e) { slotsBody.removeAttribute('aria-busy'); slotsBody.replaceChildren(errorBox(e)); return; }
    if (sel.date !== d) return;
    dtState.times = times || [];
    renderTimes(d, dtState.times, user);
    // neighbours: the bookable days either side of this one; past the last known one (a month's end), the next day
    const days = [...dtState.months.values()].flatMap((m) => [...m.booking]).sort();
    const i = days.indexOf(d);
    for (const n of [days[i - 1], (i >= 0 && days[i + 1]) || addDays(d, 1)].filter(Boolean)) api.prefetch(`/book_times/${S.loc}/${staffId}/${n}`, params());
  }

  function renderTimes(d, times, user) {
    slotsBody.removeAttribute('aria-busy');
    if (times.length) S.offset = isoOffset(times[0].datetime);
    zoneNote(note, times[0]);
    if (!times.length) {
      slotsBody.replaceChildren(h('p', { class: 'empty' }, t('slots.none')));
      if (user) announce(t('slots.count', { n: 0, count: count(0), date: dateLong(d) }));
      return;
    }
    const parts = { morning: [], day: [], evening: [] };
    for (const s of times) { const hh = +s.time.slice(0, 2); parts[hh < 12 ? 'morning' : hh < 17 ? 'day' : 'evening'].push(s); }
    slotsBody.replaceChildren(
      h('p', { class: 'muted count' }, t('slots.n', { n: times.length, count: count(times.length) })),
      ...Object.entries(parts).filter(([, v]) => v.length).map(([k, v]) => h('div', { class: 'part', role: 'group', 'aria-labelledby': `part-${k}` },
        h('h3', { id: `part-${k}` }, t(`slots.${k}`)),
        h('div', { class: 'slot-grid' }, v.map((s) => slotButton(s, d, pickSlot, staffId))))));
    if (user) announce(t('slots.count', { n: times.length, count: count(times.length), date: dateLong(d) }));
    // a smooth scroll can be cut short when the skeleton is swapped for the times: finish it
    if (user && narrow()) {
      const top = slotsTitle.getBoundingClientRect().top;
      if (top < 0 || top > innerHeight / 3) reveal(slotsTitle, false);
    }
  }

  function pickSlot(slot, d) {
    S.slot = { ...slot, date: d };
    S.resolved = null;
    go({ date: d, time: slot.time, step: null });
  }

  // "Earliest available" from book_staff_seances; doubles as the month to open.
  const earliestP = api.get(`/book_staff_seances/${S.loc}/${staffId}`, params()).catch(() => null).then(async (e) => {
    if (e && e.seance_date && e.seances?.length) return e;
    // Fallback: the members' next free day (book_staff) and that day's first time.
    const staff = await ensureStaff().catch(() => []);
    const day = (staff || []).filter((m) => m.bookable && m.seance_date && (!staffId || +m.id === staffId)).map((m) => m.seance_date).sort()[0];
    if (!day) return null;
    const times = await api.get(`/book_times/${S.loc}/${staffId}/${day}`, params()).catch(() => []);
    return times && times.length ? { seance_date: day, seances: times } : null;
  });
  earliestP.then((e) => {
    dtState.earliest = e && e.seance_date && e.seances?.length ? e : null;
    if (!sec.isConnected) return;
    const ee = dtState.earliest;
    if (!ee) { chip.replaceChildren(); chip.hidden = true; return; }
    const first = ee.seances[0];
    const em = ee.seance_date.slice(0, 7) + '-01';
    if (auto && !sel.date && em > dtState.month && ee.seance_date <= max && !cal.table.contains(document.activeElement)) showMonth(em, null);
    else if (!sel.date && dtState.booking?.size === 0) emptyMonthHint(); // now with its "jump" button
    chip.replaceChildren(h('button', {
      type: 'button', class: 'chip', onclick: () => pickSlot(first, ee.seance_date),
    }, h('span', { class: 'chip-k' }, t('dt.earliest')), h('span', {}, `${dateShort(ee.seance_date)}, ${clock(first.time, ee.seance_date)}`)));
    zoneNote(note, first);
  });

  if (!sel.date && !S.defaults.date) {
    // Open on the month of the first free day rather than an empty one.
    const e = await Promise.race([earliestP, new Promise((r) => setTimeout(r, 400))]);
    if (e && e.seance_date && e.seance_date.slice(0, 7) + '-01' > month && e.seance_date <= max) month = e.seance_date.slice(0, 7) + '-01';
  }
  const monthP = showMonth(month, null);
  if (sel.date) selectDate(sel.date, false);
  else { slotsTitle.textContent = t('slots.pickDay'); slotsBody.replaceChildren(h('p', { class: 'muted hint' }, t('slots.pickHint'))); }
  S.refreshTimes = async () => {
    if (!sec.isConnected) return;
    await showMonth(dtState.month, null, true);
    if (sel.date) await selectDate(sel.date, false, true);
  };
  S.lostNotice && setTimeout(() => { announce(S.lostNotice, true); S.lostNotice = null; }, 0);
  monthP.catch(() => {});
  return sec;
}

function legend() {
  return h('ul', { class: 'legend', 'aria-label': t('cal.legend') },
    h('li', {}, h('span', { class: 'key free', 'aria-hidden': 'true' }), t('cal.free')),
    h('li', {}, h('span', { class: 'key full', 'aria-hidden': 'true' }), t('cal.full')),
    h('li', {}, h('span', { class: 'key off', 'aria-hidden': 'true' }), t('cal.off')));
}

export function zoneNote(el, slot) {
  if (!slot) return;
  const off = isoOffset(slot.datetime);
  const zone = S.tz || (off != null ? utcLabel(off) : '');
  el.textContent = zoneDiffers(slot.datetime) ? t('dt.zoneDiff', { zone, mine: visitorZone() }) : t('dt.zoneSame', { zone });
  el.hidden = false;
}

export function errorBox(e) {
  return h('div', { class: 'error-panel', role: 'alert' }, h('p', {}, errorText(e)),
    h('button', { type: 'button', class: 'btn secondary', onclick: () => route(false) }, t('retry')));
}

// Times are refetched when the tab regains focus (debounced).
let lastRefresh = 0;
function refresh() {
  if (Date.now() - lastRefresh < 3000) return;
  lastRefresh = Date.now();
  if (S.step === 'datetime' && S.refreshTimes) S.refreshTimes();
  else if ((S.step === 'contact' || S.step === 'sms') && S.recheck) S.recheck();
}

boot().catch((e) => load(document.documentElement.lang || 'en-US').catch(() => {}).then(() => fatal(e)));
