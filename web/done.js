// Confirmation (with an .ics file and a manage link) and the manage view (view + cancel).
import * as api from './api.js';
import { clock, dateLong, duration, isoOffset, t, utcLabel, visitorDateTime } from './i18n.js';
import { $, announce, h } from './dom.js';
import { errorText, navTo, S, zoneDiffers } from './core.js';

// The hash lets anyone holding the link cancel: it lives in the fragment, which is never sent to a server.
export function manageUrl(b) {
  const q = new URLSearchParams(location.search);
  const keep = new URLSearchParams();
  for (const k of ['form', 'location', 'lang']) if (q.get(k)) keep.set(k, q.get(k));
  const qs = keep.toString();
  // without the hash (an appointment moved from the cabinet), the cabinet is where it is managed
  return `${location.origin}${location.pathname}${qs ? `?${qs}` : ''}${b.hash ? `#manage=${b.loc}.${b.id}.${b.hash}` : '#cabinet'}`;
}

const icsEsc = (s) => String(s || '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/([,;])/g, '\\$1');
const icsTime = (d) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
function fold(line) {
  const out = [];
  const enc = new TextEncoder();
  let cur = '';
  for (const ch of line) {
    if (enc.encode(cur + ch).length > (out.length ? 74 : 75)) { out.push(cur); cur = ''; }
    cur += ch;
  }
  out.push(cur);
  return out.join('\r\n ');
}

export function ics(b) {
  const start = new Date(b.datetime);
  const end = new Date(start.getTime() + (b.length || 3600) * 1000);
  const url = manageUrl(b);
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Online booking//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'BEGIN:VEVENT',
    `UID:${b.loc}-${b.id}@${location.hostname || 'booking'}`, `DTSTAMP:${icsTime(new Date())}`,
    `DTSTART:${icsTime(start)}`, `DTEND:${icsTime(end)}`,
    `SUMMARY:${icsEsc(b.service + (b.place ? ` · ${b.place}` : ''))}`,
    `DESCRIPTION:${icsEsc(`${b.staff ? `${t('sum.staff')}: ${b.staff}\n` : ''}${t('done.manage')}: ${url}`)}`,
    b.address ? `LOCATION:${icsEsc(b.address)}` : null,
    `URL:${url}`, 'END:VEVENT', 'END:VCALENDAR'].filter(Boolean);
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

export function icsLink(b) {
  const href = URL.createObjectURL(new Blob([ics(b)], { type: 'text/calendar' }));
  return h('a', { class: 'btn secondary', href, download: 'appointment.ics', id: 'ics' }, t('done.ics'));
}

export function details(b) {
  const local = `${dateLong(b.date)}, ${clock(b.time, b.date)}`;
  const off = isoOffset(b.datetime);
  const rows = [
    [t('sum.when'), local, S.tz || (off != null ? utcLabel(off) : '')],
    zoneDiffers(b.datetime) ? [t('done.yourTime'), visitorDateTime(b.datetime)] : null,
    [t('sum.service'), b.service, [b.duration, b.price].filter(Boolean).join(' · ')],
    b.staff ? [t('sum.staff'), b.staff] : null,
    b.place ? [t('done.where'), b.place, b.address] : null,
  ].filter(Boolean);
  return h('dl', { class: 'details' }, rows.map(([k, v, x]) => [h('dt', {}, k), h('dd', {}, v, x ? h('span', { class: 'muted' }, x) : null)]));
}

export function done(b) {
  const url = manageUrl(b);
  history.replaceState(null, '', url.slice(location.origin.length));
  document.body.dataset.step = 'done';
  $('#summary').hidden = true;
  const ol = $('#progress');
  ol.querySelectorAll('li').forEach((li) => { li.className = 'done'; li.querySelector('[aria-current]')?.removeAttribute('aria-current'); });
  const sec = h('section', { class: 'step done', 'aria-labelledby': 'step-title' },
    h('div', { class: 'done-mark', 'aria-hidden': 'true' }, '✓'),
    h('h1', { id: 'step-title', tabindex: '-1' }, t('done.title')),
    h('p', {}, b.email ? t('done.sentEmail', { email: b.email }) : t('done.sent')),
    details(b),
    h('div', { class: 'actions' }, icsLink(b), h('a', { class: 'btn secondary', href: url, id: 'manage-link' }, t('done.manage'))),
    h('p', { class: 'muted small' }, t('done.keep')),
    h('p', {}, h('a', { class: 'link', href: location.pathname + location.search }, t('done.again'))));
  $('#view').replaceChildren(sec);
  document.title = `${t('done.title')} · ${S.title || t('title')}`;
  $('#step-title').focus();
  announce(t('done.title'));
}

// A record (book_record, user/records, PUT book_record's answer) as the confirmation shows it.
export function booking(r, loc, id, hash) {
  const dt = r.datetime || (/T/.test(r.date || '') ? r.date : '');
  const date = dt.slice(0, 10) || String(r.date || '').slice(0, 10);
  const time = dt.slice(11, 16) || String(r.date || '').slice(11, 16);
  const company = r.company || r.location || {};
  const services = r.services || [];
  const len = r.length || services.reduce((a, s) => a + (+s.seance_length || 0), 0);
  return {
    loc, id, hash, datetime: dt.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'), date, time, length: len,
    service: services.map((s) => s.title).join(', '), duration: duration(len),
    staff: r.master_requested === false ? `${r.staff?.name || ''} (${t('staff.anyResolved')})` : r.staff?.name,
    place: company.title || S.title, address: [company.address, company.city].filter(Boolean).join(', '), price: '',
  };
}

// ---------- manage: #manage=<location>.<record_id>.<record_hash> ----------
export async function manage(hash) {
  const m = /^#manage=(\d+)\.(\d+)\.([\w-]+)$/.exec(hash);
  const sec = h('section', { class: 'step manage', 'aria-labelledby': 'step-title' }, h('h1', { id: 'step-title', tabindex: '-1' }, t('manage.title')));
  if (!m) { sec.append(h('p', { role: 'alert' }, t('manage.bad'))); return sec; }
  const [, loc, id, rhash] = m;
  const body = h('div', { 'aria-busy': 'true' }, h('div', { class: 'skel skel-block', 'aria-hidden': 'true' }));
  sec.append(body);
  $('#view').replaceChildren(sec);
  let r;
  try {
    r = await api.request('GET', `/book_record/${loc}/${id}/${rhash}`);
    if (Array.isArray(r)) r = r[0];
  } catch (e) {
    body.removeAttribute('aria-busy');
    body.replaceChildren(h('p', { role: 'alert' }, e.status === 404 ? t('manage.notFound') : errorText(e)), newLink());
    return sec;
  }
  const company = r.company || r.location || {};
  const b = booking(r, loc, id, rhash);
  const cancelled = r.deleted === true || r.deleted === 1;
  const status = h('p', { class: `status ${cancelled ? 'bad' : 'ok'}`, id: 'rec-status', role: 'status' }, cancelled ? t('manage.cancelled') : t('manage.active'));
  const actions = h('div', { class: 'actions' });
  if (!cancelled) {
    actions.append(icsLink(b));
    // Moving needs the visitor signed in (PUT book_record takes a user token): reschedule.js asks for it.
    if (company.allow_change_record !== false && company.allow_change_record !== 0 && new Date(b.datetime) > new Date()) {
      actions.append(h('a', { class: 'btn secondary', id: 'move', onclick: navTo, href: `#move=${loc}.${id}.${rhash}` }, t('manage.move')));
    }
    if (company.allow_delete_record !== false && company.allow_delete_record !== 0) {
      const cancelBtn = h('button', { type: 'button', class: 'btn danger', id: 'cancel' }, t('manage.cancel'));
      cancelBtn.addEventListener('click', () => confirmCancel(cancelBtn, id, rhash, status, actions));
      actions.append(cancelBtn);
    } else {
      actions.append(h('p', {}, t('manage.noCancel', { phone: company.phone || '' })));
    }
  }
  body.removeAttribute('aria-busy');
  body.replaceChildren(status, details(b), actions, newLink());
  return sec;
}

const newLink = () => h('p', {}, h('a', { class: 'link', href: location.pathname + location.search }, t('done.again')));

function confirmCancel(opener, id, rhash, status, actions) {
  const dlg = $('#dialog');
  const err = h('p', { class: 'err', id: 'dlg-err' });
  const yes = h('button', { type: 'button', class: 'btn danger', id: 'dlg-yes' }, t('manage.confirmYes'));
  const no = h('button', { type: 'button', class: 'btn secondary', id: 'dlg-no', autofocus: true }, t('manage.confirmNo'));
  dlg.setAttribute('aria-labelledby', 'dlg-title');
  dlg.setAttribute('aria-describedby', 'dlg-text');
  dlg.replaceChildren(h('h2', { id: 'dlg-title' }, t('manage.confirmTitle')), h('p', { id: 'dlg-text' }, t('manage.confirmText')), err,
    h('div', { class: 'actions' }, no, yes));
  const close = () => { dlg.close(); opener.isConnected ? opener.focus() : $('#step-title')?.focus(); };
  no.addEventListener('click', close);
  dlg.onclose = () => { if (document.activeElement === document.body) opener.focus(); };
  yes.addEventListener('click', async () => {
    yes.setAttribute('aria-disabled', 'true');
    try {
      await api.request('DELETE', `/user/records/${id}/${rhash}`);
    } catch (e) {
      yes.removeAttribute('aria-disabled');
      err.textContent = e.status === 403 ? t('manage.noCancel', { phone: '' }) : errorText(e);
      return;
    }
    dlg.close();
    status.className = 'status bad';
    status.textContent = t('manage.cancelledNow');
    actions.replaceChildren();
    $('#step-title').focus();
    announce(t('manage.cancelledNow'));
  });
  dlg.showModal();
  no.focus();
}
