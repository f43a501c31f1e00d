// Group events of the location (?events=1, then ?event=<id>): by day, with time, length, price and seats
// left; a seat is booked with contact details (and the SMS code when the form asks for it) through
// POST activity/{location}/{event}/book. A full event says so. Loaded on demand.
import * as api from './api.js';
import { clock, count, dateMid, duration, isoOffset, more, price, t, waitFor } from './i18n.js';
import { $, announce, h } from './dom.js';
import { errorText, loadJSON, navTo, pageUrl, S, saveJSON } from './core.js';
import { privacyText } from './details.js';

const seatsLeft = (e) => Math.max(0, e.places_left ?? ((+e.capacity || 0) - (+e.records_count || 0)));
const local = (e) => ({ date: (e.datetime || e.date || '').slice(0, 10), time: (e.datetime || e.date || '').slice(11, 16) });

async function events(fresh) {
  const data = await api.get(`/book_services/${S.loc}`, {}, { fresh });
  return (data?.events || []).slice().sort((a, b) => String(a.datetime || a.date).localeCompare(String(b.datetime || b.date)));
}

export async function render(step) {
  await more();
  const sec = h('section', { class: 'step events', 'aria-labelledby': 'step-title' }, h('h1', { id: 'step-title', tabindex: '-1' }, t('ev.title')));
  const body = h('div', { 'aria-busy': 'true' }, h('div', { class: 'skel skel-block', 'aria-hidden': 'true' }));
  sec.append(body);
  $('#view').replaceChildren(sec);
  let list;
  try { list = await events(false); } catch (e) {
    body.removeAttribute('aria-busy');
    body.replaceChildren(h('p', { role: 'alert' }, errorText(e)), back('services'));
    return sec;
  }
  body.removeAttribute('aria-busy');
  if (step === 'events') body.replaceChildren(...listView(list), back('services'));
  else await eventView(sec, body, list, +new URLSearchParams(location.search).get('event'));
  return sec;
}

const back = (to) => h('p', { class: 'back' }, h('a', { class: 'link', id: 'ev-back', href: to === 'events' ? pageUrl({ events: 1 }) : pageUrl(), onclick: navTo },
  t(to === 'events' ? 'ev.backList' : 'ev.backServices')));

const seatsText = (e) => { const n = seatsLeft(e); return n ? t('ev.left', { n, count: count(n) }) : t('ev.full'); };

function listView(list) {
  if (!list.length) return [h('p', { class: 'empty' }, t('ev.none'))];
  const days = new Map();
  for (const e of list) { const d = local(e).date; if (!days.has(d)) days.set(d, []); days.get(d).push(e); }
  return [h('p', { class: 'lead' }, t('ev.lead')), h('div', { class: 'list' }, [...days].map(([d, es]) => h('div', { class: 'group' },
    h('h2', { id: `ev-day-${d}` }, dateMid(d)),
    h('ul', { 'aria-labelledby': `ev-day-${d}` }, es.map((e) => {
      const { time } = local(e);
      const full = !seatsLeft(e);
      const url = pageUrl({ event: e.id });
      const inner = [
        h('span', { class: 'ev-time' }, clock(time, d)),
        h('span', { class: 'card-main' }, h('span', { class: 'card-title' }, e.title || e.service?.title),
          h('span', { class: 'card-sub' }, [duration(e.length), e.staff?.name].filter(Boolean).join(' · '))),
        h('span', { class: 'card-side' }, h('span', { class: 'price' }, price(e.service?.price_min, e.service?.price_max, S.currency)),
          h('span', { class: full ? 'seats full' : 'seats next' }, seatsText(e))),
      ];
      // A full event stays in the list, read as such, but is not a link.
      return h('li', {}, full ? h('div', { class: 'card event full', 'data-event': e.id }, inner)
        : h('a', { class: 'card event', href: url, onclick: navTo, 'data-event': e.id }, inner));
    }))))),
  ];
}

function eventCard(e) {
  const { date, time } = local(e);
  return h('div', { class: 'appt' },
    h('p', { class: 'appt-when' }, `${dateMid(date)}, ${clock(time, date)}`),
    h('p', { class: 'appt-what' }, [e.title || e.service?.title, duration(e.length), e.staff?.name].filter(Boolean).join(' · ')),
    h('p', {}, [price(e.service?.price_min, e.service?.price_max, S.currency), seatsText(e)].filter(Boolean).join(' · ')));
}

async function eventView(sec, body, list, id) {
  const e = list.find((x) => +x.id === id);
  sec.querySelector('#step-title').textContent = e ? e.title || e.service?.title : t('ev.title');
  if (!e) { body.replaceChildren(h('p', { role: 'alert' }, t('ev.gone')), back('events')); return; }
  if (!seatsLeft(e)) {
    body.replaceChildren(eventCard(e), h('p', { class: 'status bad', id: 'ev-full', role: 'status' }, t('ev.isFull')), back('events'));
    return;
  }
  const policy = await privacyText();
  const contact = { name: '', phone: '', email: '', ...(loadJSON('bk.contact') || {}) };
  const err = h('p', { class: 'form-error', id: 'form-error', role: 'alert', hidden: true });
  const field = (id, label, input, { hint, optional } = {}) => {
    input.id = id;
    input.setAttribute('aria-describedby', `${hint ? `${id}-hint ` : ''}${id}-err`);
    if (!optional) { input.required = true; input.setAttribute('aria-required', 'true'); }
    return h('div', { class: 'field' }, h('label', { for: id }, label, optional ? h('span', { class: 'opt' }, ` (${t('form.optional')})`) : null),
      hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, input, h('p', { class: 'err', id: `${id}-err` }));
  };
  const input = (name, attrs) => {
    const el = h('input', { name, ...attrs, value: contact[name] || '' });
    el.addEventListener('input', () => { contact[name] = el.value; saveJSON('bk.contact', { ...(loadJSON('bk.contact') || {}), [name]: el.value }); });
    return el;
  };
  const max = Math.min(10, seatsLeft(e));
  const seats = h('select', { name: 'seats' }, Array.from({ length: max }, (_, i) => h('option', { value: i + 1 }, String(i + 1))));
  const agree = h('input', { type: 'checkbox', id: 'agree', 'aria-required': 'true', 'aria-describedby': 'agree-err' });
  const submit = h('button', { type: 'submit', class: 'btn', id: 'submit' }, S.sms ? t('form.sendCode') : t('ev.book'));
  const code = h('input', { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]*', maxlength: '8', class: 'code' });
  const codeNote = h('p', { class: 'hint', role: 'status' });
  const codeBox = h('div', { hidden: true }, codeNote, field('code', t('sms.label'), code));
  const form = h('form', { novalidate: true, class: 'form', 'aria-labelledby': 'step-title' }, err,
    field('name', t('form.name'), input('name', { type: 'text', autocomplete: 'name', autocapitalize: 'words', spellcheck: 'false' })),
    field('phone', t('form.phone'), input('phone', { type: 'tel', autocomplete: 'tel', inputmode: 'tel' }), { hint: t('form.phoneHint') }),
    field('email', t('form.email'), input('email', { type: 'email', autocomplete: 'email', inputmode: 'email', spellcheck: 'false' }), { hint: t('ev.emailHint') }),
    field('seats', t('ev.seats'), seats, { hint: t('ev.seatsHint', { n: max, count: count(max) }) }),
    policy ? h('div', { class: 'field privacy' }, h('h2', { id: 'pp-title' }, t('form.privacyTitle')),
      h('div', { class: 'pp-text', tabindex: '0', role: 'region', 'aria-labelledby': 'pp-title' }, policy),
      h('div', { class: 'check' }, agree, h('label', { for: 'agree' }, t('form.agree'))), h('p', { class: 'err', id: 'agree-err' })) : null,
    codeBox,
    h('div', { class: 'actions' }, submit, h('p', { class: 'muted small' }, S.sms ? t('form.smsNote') : '')));
  body.replaceChildren(eventCard(e), form, back('events'));

  const setErr = (f, msg) => {
    const el = form.querySelector(`#${f}`);
    form.querySelector(`#${f}-err`).textContent = msg || '';
    if (msg) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid');
  };
  const fail = (msg) => { err.hidden = !msg; err.textContent = msg || ''; };
  const phone = () => contact.phone.replace(/[\s().-]/g, '');
  let sent = false;
  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    const errs = [];
    if (!contact.name.trim()) errs.push(['name', t('form.err.name')]);
    if (!/^\+?\d{7,15}$/.test(phone())) errs.push(['phone', t('form.err.phone')]);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact.email)) errs.push(['email', t('ev.err.email')]);
    if (policy && !agree.checked) errs.push(['agree', t('form.err.agree')]);
    if (sent && !/^\d{4,8}$/.test(code.value.trim())) errs.push(['code', t('sms.err')]);
    ['name', 'phone', 'email', 'agree', 'code'].forEach((f) => setErr(f, ''));
    errs.forEach(([f, m]) => setErr(f, m));
    if (errs.length) { fail(t('form.fix', { n: errs.length })); form.querySelector(`#${errs[0][0]}`).focus(); return; }
    fail('');
    busy = true; submit.setAttribute('aria-disabled', 'true'); submit.classList.add('loading');
    try {
      if (S.sms && !sent) {
        try {
          await api.request('POST', `/book_code/${S.loc}`, { body: { phone: phone(), fullname: contact.name.trim() } });
          saveJSON('bk.code', { phone: phone(), at: Date.now() });
        } catch (x) {
          // A code went to this phone moments ago (a first try, another booking): that code still works.
          if (!(x.status === 429 && x.retryAfter > 0 && loadJSON('bk.code')?.phone === phone())) throw x;
          codeNote.textContent = t('acc.recent', { wait: waitFor(x.retryAfter) });
        }
        sent = true;
        codeBox.hidden = false;
        submit.textContent = t('ev.book');
        code.focus();
        announce(t('sms.hint', { phone: contact.phone }));
        return;
      }
      const req = { fullname: contact.name.trim(), phone: phone(), email: contact.email.trim(), clients_count: +seats.value, notify_by_sms: 24, notify_by_email: 24, type: 'web' };
      if (sent) req.code = code.value.trim();
      const rec = await api.request('POST', `/activity/${S.loc}/${e.id}/book`, { body: req });
      api.forget('/book_services');
      const { date, time } = local(e);
      const { done } = await import('./done.js');
      done({
        loc: S.loc, id: rec.id, hash: rec.hash, datetime: e.datetime, date, time, length: e.length,
        service: `${e.title || e.service?.title}${+seats.value > 1 ? ` (${t('ev.seatsN', { n: +seats.value, count: count(+seats.value) })})` : ''}`,
        price: price(e.service?.price_min, e.service?.price_max, S.currency), duration: duration(e.length),
        staff: e.staff?.name || '', place: S.title || '', offset: isoOffset(e.datetime), email: contact.email,
      });
    } catch (x) {
      if (x.has?.(431)) { setErr('phone', t('err.431')); form.querySelector('#phone').focus(); return; }
      if (x.has?.(435)) { setErr('name', t('err.435')); return; }
      if (x.has?.(432)) { setErr('code', t('err.432')); code.focus(); announce(t('err.432'), true); return; }
      if (x.status === 422) {
        // Refused: most likely the seats went meanwhile. Ask again and say so.
        const now = (await events(true).catch(() => [])).find((y) => +y.id === +e.id);
        if (now && seatsLeft(now) < +seats.value) {
          body.replaceChildren(eventCard(now), h('p', { class: 'status bad', id: 'ev-full', role: 'status' },
            seatsLeft(now) ? t('ev.fewer', { n: seatsLeft(now), count: count(seatsLeft(now)) }) : t('ev.filled')), back('events'));
          $('#step-title').focus();
          announce(seatsLeft(now) ? t('ev.fewer', { n: seatsLeft(now), count: count(seatsLeft(now)) }) : t('ev.filled'), true);
          return;
        }
      }
      if (x.status === 429) x.limit = sent ? 'locked' : 'codes';
      fail(errorText(x));
    } finally {
      busy = false; submit.removeAttribute('aria-disabled'); submit.classList.remove('loading');
    }
  });
}
