// My appointments (#cabinet): sign in with phone + SMS code, upcoming and past appointments (user/records),
// cancel or move one, log out. Loaded on demand.
import * as api from './api.js';
import { clock, dateMid, duration, more, t } from './i18n.js';
import { $, announce, h } from './dom.js';
import { errorText, navTo, pageUrl } from './core.js';
import { auth, dropToken, loggedOutNotice, signedIn, signIn, signOut } from './account.js';
import { booking } from './done.js';

export async function render() {
  await more();
  const sec = h('section', { class: 'step cabinet', 'aria-labelledby': 'step-title' }, h('h1', { id: 'step-title', tabindex: '-1' }, t('cab.title')));
  const body = h('div', { 'aria-busy': 'true' }, h('div', { class: 'skel skel-block', 'aria-hidden': 'true' }));
  sec.append(body);
  $('#view').replaceChildren(sec);
  await fill(body);
  return sec;
}

const bookLink = () => h('p', {}, h('a', { class: 'link', id: 'book-new', href: pageUrl(), onclick: navTo }, t('done.again')));

async function fill(body) {
  if (!signedIn()) {
    body.removeAttribute('aria-busy');
    body.replaceChildren(loggedOutNotice() || '', signIn({ lead: t('cab.signIn'), onDone: () => fill(body).then(() => $('#step-title')?.focus()) }), bookLink());
    return;
  }
  let list;
  try {
    list = await api.request('GET', '/user/records/1/0', { headers: auth() });
  } catch (e) {
    if (e.status === 401) { dropToken(); return fill(body); }
    body.removeAttribute('aria-busy');
    body.replaceChildren(h('p', { role: 'alert' }, errorText(e)), h('button', { type: 'button', class: 'btn secondary', onclick: () => fill(body) }, t('retry')));
    return;
  }
  const now = Date.now();
  const rows = (Array.isArray(list) ? list : []).map((r) => ({ r, b: booking(r, +(r.company?.id || 0), +r.id, null) }))
    .sort((x, y) => new Date(x.b.datetime) - new Date(y.b.datetime));
  const isNext = ({ r, b }) => !(r.deleted === true || r.deleted === 1) && new Date(b.datetime).getTime() > now;
  const upcoming = rows.filter(isNext);
  const past = rows.filter((x) => !isNext(x)).reverse();
  const out = h('button', { type: 'button', class: 'btn secondary', id: 'logout', onclick: () => signOut() }, t('cab.logout'));
  body.removeAttribute('aria-busy');
  body.replaceChildren(
    h('div', { class: 'cab-bar' }, h('p', { class: 'muted' }, t('cab.signedIn')), out),
    h('h2', { id: 'cab-next' }, t('cab.upcoming')),
    upcoming.length ? h('ul', { class: 'appts', 'aria-labelledby': 'cab-next' }, upcoming.map((x) => item(x, true, body)))
      : h('p', { class: 'empty' }, t('cab.noneNext')),
    h('h2', { id: 'cab-past' }, t('cab.past')),
    past.length ? h('ul', { class: 'appts', 'aria-labelledby': 'cab-past' }, past.map((x) => item(x, false, body)))
      : h('p', { class: 'empty' }, t('cab.nonePast')),
    bookLink());
}

function item({ r, b }, next, body) {
  const company = r.company || {};
  const cancelled = r.deleted === true || r.deleted === 1;
  const head = `${dateMid(b.date)}, ${clock(b.time, b.date)}`;
  const hid = `appt-${r.id}`;
  const actions = h('div', { class: 'actions' });
  if (next && company.allow_change_record !== false && company.allow_change_record !== 0) {
    actions.append(h('a', { class: 'btn secondary', href: `#move=${b.loc}.${b.id}`, onclick: navTo, 'aria-describedby': hid, 'data-move': r.id }, t('cab.move')));
  }
  if (next && company.allow_delete_record !== false && company.allow_delete_record !== 0) {
    const btn = h('button', { type: 'button', class: 'btn secondary danger-text', 'aria-describedby': hid, 'data-cancel': r.id }, t('manage.cancel'));
    btn.addEventListener('click', () => confirmCancel(btn, r.id, head, body));
    actions.append(btn);
  }
  return h('li', { class: 'appt-item' },
    h('h3', { id: hid }, head),
    h('p', {}, [b.service, b.duration || duration(b.length)].filter(Boolean).join(' · ')),
    h('p', { class: 'muted small' }, [b.staff, b.place].filter(Boolean).join(' · ')),
    cancelled ? h('p', { class: 'status bad' }, t('manage.cancelled')) : null,
    actions.childNodes.length ? actions : null);
}

function confirmCancel(opener, id, head, body) {
  const dlg = $('#dialog');
  const err = h('p', { class: 'err', id: 'dlg-err' });
  const yes = h('button', { type: 'button', class: 'btn danger', id: 'dlg-yes' }, t('manage.confirmYes'));
  const no = h('button', { type: 'button', class: 'btn secondary', id: 'dlg-no' }, t('manage.confirmNo'));
  dlg.setAttribute('aria-labelledby', 'dlg-title');
  dlg.setAttribute('aria-describedby', 'dlg-text');
  dlg.replaceChildren(h('h2', { id: 'dlg-title' }, t('manage.confirmTitle')), h('p', { id: 'dlg-text' }, `${head}. ${t('manage.confirmText')}`), err,
    h('div', { class: 'actions' }, no, yes));
  no.addEventListener('click', () => { dlg.close(); opener.focus(); });
  dlg.onclose = () => { if (document.activeElement === document.body && opener.isConnected) opener.focus(); };
  yes.addEventListener('click', async () => {
    if (yes.getAttribute('aria-disabled')) return;
    yes.setAttribute('aria-disabled', 'true');
    try {
      await api.request('DELETE', `/user/records/${id}/0`, { headers: auth() });
    } catch (e) {
      yes.removeAttribute('aria-disabled');
      err.textContent = e.status === 403 ? t('manage.noCancel', { phone: '' }) : errorText(e);
      return;
    }
    api.forget('/book_times'); api.forget('/book_dates'); api.forget('/book_staff');
    dlg.close();
    await fill(body);
    $('#step-title').focus();
    announce(t('cab.cancelled', { when: head }));
  });
  dlg.showModal();
  no.focus();
}
