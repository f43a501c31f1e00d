// Moving an appointment (#move=<location>.<record>[.<hash>]) from the manage link or the cabinet: the same
// services and team member (or "any", when it was booked so), another time, PUT book_record. Altegio
// takes that only with a user token, so the visitor signs in first (account.js). Loaded on demand.
import * as api from './api.js';
import {
  addDays, addMonths, clock, count, dateLong, dateMid, dateShort, monthEnd, more, t, ymd,
} from './i18n.js';
import { Calendar } from './calendar.js';
import { $, announce, h, reveal } from './dom.js';
import { errorText, navTo, S } from './core.js';
import { auth, dropToken, signedIn, signIn } from './account.js';
import { booking, details, icsLink } from './done.js';

const LOST = [433, 436, 437];
const toMin = (hhmm) => +hhmm.slice(0, 2) * 60 + +hhmm.slice(3, 5);

export async function render() {
  await more();
  const m = /^#move=(\d+)\.(\d+)(?:\.([\w-]+))?$/.exec(location.hash);
  const sec = h('section', { class: 'step move', 'aria-labelledby': 'step-title' }, h('h1', { id: 'step-title', tabindex: '-1' }, t('move.title')));
  if (!m) { sec.append(h('p', { role: 'alert' }, t('manage.bad'))); return sec; }
  const [, loc, id, hash] = m;
  const body = h('div', { 'aria-busy': 'true' }, h('div', { class: 'skel skel-block', 'aria-hidden': 'true' }));
  sec.append(body);
  $('#view').replaceChildren(sec);
  const ctx = { loc: +loc, id: +id, hash, sec, body };
  await start(ctx);
  return sec;
}

// Sign in when needed, read the record, open the picker.
async function start(ctx) {
  const { body } = ctx;
  if (!signedIn()) {
    body.removeAttribute('aria-busy');
    body.replaceChildren(signIn({ lead: t('move.signIn'), onDone: () => start(ctx).then(() => $('#step-title')?.focus()) }));
    return;
  }
  let r;
  try {
    r = ctx.hash ? await api.request('GET', `/book_record/${ctx.loc}/${ctx.id}/${ctx.hash}`, { headers: auth() })
      : (await api.request('GET', '/user/records/1/0', { headers: auth() }) || []).find((x) => +x.id === ctx.id);
    if (Array.isArray(r)) [r] = r;
  } catch (e) {
    if (e.status === 401) { dropToken(); return start(ctx); }
    body.removeAttribute('aria-busy');
    body.replaceChildren(h('p', { role: 'alert' }, e.status === 404 ? t('manage.notFound') : errorText(e)), backLink(ctx));
    return;
  }
  body.removeAttribute('aria-busy');
  if (!r || r.deleted === true || r.deleted === 1) { body.replaceChildren(h('p', { role: 'alert' }, t('manage.notFound')), backLink(ctx)); return; }
  const company = r.company || {};
  ctx.rec = r;
  ctx.b = booking(r, ctx.loc, ctx.id, ctx.hash);
  ctx.services = (r.services || []).map((s) => +s.id);
  // Altegio moves the record with the member it has, or with anyone free when it was booked for "any".
  ctx.staffId = r.master_requested === false ? 0 : +(r.staff?.id || 0);
  ctx.tz = (S.cfg.locations || {})[ctx.loc]?.timeZone || company.timezone_name || null;
  ctx.phone = company.phone || '';
  if (company.allow_change_record === false || company.allow_change_record === 0) {
    body.replaceChildren(h('p', { role: 'alert' }, t('move.notAllowed', { phone: ctx.phone })), backLink(ctx));
    return;
  }
  picker(ctx);
}

const backLink = (ctx) => h('p', {}, h('a', { class: 'link', id: 'move-back', onclick: navTo, href: ctx.hash ? `#manage=${ctx.loc}.${ctx.id}.${ctx.hash}` : '#cabinet' },
  ctx.hash ? t('move.back') : t('cab.back')));

function current(ctx) {
  const b = ctx.b;
  return h('div', { class: 'appt' },
    h('p', { class: 'muted small' }, t('move.now')),
    h('p', { class: 'appt-when' }, `${dateMid(b.date)}, ${clock(b.time, b.date)}`),
    h('p', { class: 'appt-what' }, [b.service, b.staff].filter(Boolean).join(' · ')));
}

function locToday(tz) {
  if (tz) { try { return new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date()); } catch { /* fall through */ } }
  const d = new Date(); return ymd(new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), 12)));
}

// A time named with its full date and who the appointment is with.
function slotBtn(ctx, slot, date, onPick, prefix = '') {
  const who = ctx.staffId ? t('slot.with', { name: ctx.rec.staff?.name || '' }) : t('slot.any');
  return h('button', { type: 'button', class: 'slot', 'data-time': slot.time, 'data-date': date, onclick: () => onPick(slot, date) },
    prefix ? h('span', { class: 'slot-day' }, prefix) : null,
    h('span', { class: 'slot-time' }, clock(slot.time, date)),
    h('span', { class: 'sr-only' }, `, ${dateLong(date)}, ${who}`));
}

// ---------- the month grid and the day's times, as in a new booking ----------
function picker(ctx, focusDay) {
  const { body } = ctx;
  const today = locToday(ctx.tz);
  const max = monthEnd(addMonths(today, 11));
  const params = { service_ids: ctx.services };
  const months = new Map();
  let selected = null;
  const slotsTitle = h('h2', { id: 'slots-title', tabindex: '-1' }, t('slots.pickDay'));
  const slotsBody = h('div', { class: 'slots-body' }, h('p', { class: 'muted hint' }, t('slots.pickHint')));
  const cal = new Calendar({ min: today, max, onSelect: (d) => day(d, true), onMonth: (m, f) => month(m, f) });
  body.replaceChildren(current(ctx), h('p', { class: 'lead' }, t('move.pick')),
    h('div', { class: 'dt-grid' }, h('div', { class: 'cal-wrap' }, cal.el), h('div', { class: 'slots', id: 'slots' }, slotsTitle, slotsBody)),
    backLink(ctx));

  function span(m) {
    const end = monthEnd(m);
    return { ...params, staff_id: ctx.staffId, date_from: m, date_to: end < max ? end : max };
  }

  async function month(m, focus) {
    const known = months.get(m);
    cal.render({ month: m, selected, focus, booking: known?.booking || null, working: known?.working || null, today });
    if (focus) cal.setFocus(focus, true);
    if (known) return;
    let data;
    try {
      data = await api.get(`/book_dates/${ctx.loc}`, span(m));
    } catch (e) { slotsBody.replaceChildren(h('p', { role: 'alert' }, errorText(e))); return; }
    const nm = addMonths(m, 1); // the call the next month's click will need
    if (nm <= max && !months.has(nm)) api.prefetch(`/book_dates/${ctx.loc}`, span(nm));
    const inMonth = (d) => d.slice(0, 7) === m.slice(0, 7);
    months.set(m, { booking: new Set((data.booking_dates || []).filter(inMonth)), working: new Set((data.working_dates || []).filter(inMonth)) });
    if (cal.st.month !== m || !body.isConnected) return;
    const hadFocus = cal.table.contains(document.activeElement);
    cal.render({ ...cal.st, booking: months.get(m).booking, working: months.get(m).working });
    if (hadFocus) cal.setFocus(cal.focusDate(), true);
    announce(t('cal.monthInfo', { month: cal.title.textContent, n: months.get(m).booking.size, count: count(months.get(m).booking.size) }));
    // No day picked yet: the first bookable one, where most visitors tap, is asked before the tap.
    const first = selected ? null : [...months.get(m).booking].sort()[0];
    if (first) api.prefetch(`/book_times/${ctx.loc}/${ctx.staffId}/${first}`, params);
  }

  async function day(d, user) {
    selected = d;
    cal.render({ ...cal.st, selected: d, focus: d });
    if (user) cal.btn(d)?.focus();
    slotsTitle.textContent = dateMid(d);
    slotsBody.setAttribute('aria-busy', 'true');
    let times;
    try {
      times = await api.get(`/book_times/${ctx.loc}/${ctx.staffId}/${d}`, params);
    } catch (e) { slotsBody.removeAttribute('aria-busy'); slotsBody.replaceChildren(h('p', { role: 'alert' }, errorText(e))); return; }
    if (selected !== d) return;
    // The bookable days either side, as on the booking page: the next tap is often one of them.
    const days = [...months.values()].flatMap((x) => [...x.booking]).sort();
    const i = days.indexOf(d);
    for (const n of [days[i - 1], i >= 0 && days[i + 1]].filter(Boolean)) api.prefetch(`/book_times/${ctx.loc}/${ctx.staffId}/${n}`, params);
    slotsBody.removeAttribute('aria-busy');
    times = (times || []).filter((s) => !(d === ctx.b.date && s.time === ctx.b.time));
    if (!times.length) { slotsBody.replaceChildren(h('p', { class: 'empty' }, t('slots.none'))); return; }
    slotsBody.replaceChildren(h('p', { class: 'muted count' }, t('slots.n', { n: times.length, count: count(times.length) })),
      h('div', { class: 'slot-grid', role: 'group', 'aria-labelledby': 'slots-title' }, times.map((s) => slotBtn(ctx, s, d, (slot, date) => confirm(ctx, slot, date)))));
    if (user) announce(t('slots.count', { n: times.length, count: count(times.length), date: dateLong(d) }));
    if (user && matchMedia('(max-width: 47.99em)').matches) reveal(slotsTitle, false);
  }

  const start = focusDay || (ctx.b.date >= today ? ctx.b.date : today);
  month(start.slice(0, 7) + '-01', null).then(() => { if (focusDay) day(focusDay, false); });
}

// ---------- confirm, PUT, and the lost-slot recovery ----------
function confirm(ctx, slot, date, note) {
  const { body } = ctx;
  const when = `${dateMid(date)}, ${clock(slot.time, date)}`;
  const err = h('p', { class: 'form-error', id: 'move-error', role: 'alert', hidden: true });
  const lost = h('div', { id: 'lost', class: 'lost', hidden: true });
  const go = h('button', { type: 'button', class: 'btn', id: 'move-confirm' }, t('move.confirm'));
  const other = h('button', { type: 'button', class: 'btn secondary', id: 'move-other', onclick: () => { picker(ctx, date); $('#step-title')?.focus(); } }, t('move.other'));
  body.replaceChildren(current(ctx),
    h('h2', { id: 'move-to', tabindex: '-1', class: 'move-to' }, t('move.to', { when })),
    h('p', { class: 'muted' }, [ctx.b.service, ctx.staffId ? ctx.rec.staff?.name : t('staff.any')].filter(Boolean).join(' · ')),
    err, lost, h('div', { class: 'actions' }, go, other), backLink(ctx));
  $('#move-to').focus();
  if (note) announce(note, true);
  let busy = false;
  go.addEventListener('click', async () => {
    if (busy) return;
    busy = true; go.setAttribute('aria-disabled', 'true'); go.classList.add('loading');
    err.hidden = true;
    let r;
    try {
      r = await api.request('PUT', `/book_record/${ctx.loc}/${ctx.id}`, { body: { datetime: slot.datetime }, headers: auth() });
    } catch (e) {
      busy = false; go.removeAttribute('aria-disabled'); go.classList.remove('loading');
      if (e.has?.(...LOST) || e.status === 409) { slotLost(ctx, slot, date, lost, go); return; }
      if (e.status === 401) { dropToken(); start(ctx); return; }
      err.hidden = false;
      err.textContent = e.status === 403 ? t('move.notAllowed', { phone: ctx.phone }) : errorText(e);
      return;
    }
    api.forget(`/book_times/${ctx.loc}`); api.forget(`/book_dates/${ctx.loc}`); api.forget(`/book_staff`);
    moved(ctx, r, slot);
  });
}

async function slotLost(ctx, slot, date, box, go) {
  go.hidden = true;
  api.forget(`/book_times/${ctx.loc}`); api.forget(`/book_dates/${ctx.loc}`);
  box.hidden = false;
  box.replaceChildren(h('p', {}, t('lost.looking')));
  const at = toMin(slot.time);
  const skip = (d, s) => (d === date && s.time === slot.time) || (d === ctx.b.date && s.time === ctx.b.time);
  const alts = [];
  try {
    const same = await api.get(`/book_times/${ctx.loc}/${ctx.staffId}/${date}`, { service_ids: ctx.services }, { fresh: true });
    alts.push(...(same || []).filter((s) => !skip(date, s)).map((s) => ({ ...s, date }))
      .sort((a, b) => Math.abs(toMin(a.time) - at) - Math.abs(toMin(b.time) - at)).slice(0, 3)
      .sort((a, b) => toMin(a.time) - toMin(b.time)));
    for (let d = addDays(date, 1), i = 0; alts.length < 3 && i < 14; d = addDays(d, 1), i++) {
      const more = await api.get(`/book_times/${ctx.loc}/${ctx.staffId}/${d}`, { service_ids: ctx.services });
      alts.push(...(more || []).filter((s) => !skip(d, s)).slice(0, 3 - alts.length).map((s) => ({ ...s, date: d })));
    }
  } catch { /* show what we have */ }
  const title = t('lost.title', { time: `${dateMid(date)}, ${clock(slot.time, date)}` });
  box.replaceChildren(h('h2', { id: 'lost-title', tabindex: '-1' }, title),
    h('p', {}, t('move.lostKept')),
    alts.length ? h('div', { class: 'slot-grid alts', role: 'group', 'aria-labelledby': 'lost-title' },
      alts.map((a) => slotBtn(ctx, a, a.date, (s, d) => confirm(ctx, s, d, t('move.changed', { when: `${dateMid(d)}, ${clock(s.time, d)}` })),
        a.date !== date ? dateShort(a.date) : ''))) : h('p', {}, t('lost.none')));
  announce(`${title} ${t('move.lostKept')}`, true);
  $('#lost-title')?.focus();
}

function moved(ctx, r, slot) {
  const b = { ...booking(r || ctx.rec, ctx.loc, ctx.id, ctx.hash) };
  // the answer's shape varies (PUT's record is a short one): the slot is what was asked and granted
  b.datetime = slot.datetime; b.date = slot.datetime.slice(0, 10); b.time = slot.datetime.slice(11, 16);
  b.length = b.length || ctx.b.length; b.service = b.service || ctx.b.service; b.staff = b.staff || ctx.b.staff;
  b.place = b.place || ctx.b.place; b.address = b.address || ctx.b.address; b.duration = b.duration || ctx.b.duration;
  ctx.b = b;
  if (ctx.hash) history.replaceState(null, '', `${location.pathname}${location.search}#manage=${ctx.loc}.${ctx.id}.${ctx.hash}`);
  const sec = ctx.sec;
  sec.classList.add('done');
  sec.replaceChildren(h('div', { class: 'done-mark', 'aria-hidden': 'true' }, '✓'),
    h('h1', { id: 'step-title', tabindex: '-1' }, t('move.done')),
    h('p', {}, t('move.doneText')),
    details(b),
    h('div', { class: 'actions' }, icsLink(b),
      ctx.hash ? h('a', { class: 'btn secondary', id: 'manage-link', onclick: navTo, href: `#manage=${ctx.loc}.${ctx.id}.${ctx.hash}` }, t('done.manage'))
        : h('a', { class: 'btn secondary', id: 'cabinet-link', onclick: navTo, href: '#cabinet' }, t('cab.title'))),
    h('p', { class: 'muted small' }, t('move.ics')));
  document.title = `${t('move.done')} · ${S.title || t('title')}`;
  $('#step-title').focus();
  announce(t('move.done'));
}
