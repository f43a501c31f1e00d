// The service step of a booking form that allows several services in one visit: services are toggled into
// the visit; only those some team member can do together with the ones chosen stay available; the visit's
// total length and price range are shown. The later steps ask Altegio with every id (service_ids[]).
// Loaded on demand (only for such forms).
import * as api from './api.js';
import { duration, more, price, t } from './i18n.js';
import { announce, h } from './dom.js';
import { go, heading, S, sel, skeletonRows, urlFor } from './core.js';
import { errorBox, eventsEntry } from './app.js';

export async function stepServices() {
  const list = h('div', { class: 'list', 'aria-busy': 'true' }, skeletonRows(5));
  const sec = h('section', { class: 'step', 'aria-labelledby': 'step-title' }, heading('service.title'), list);
  document.getElementById('view').replaceChildren(sec);
  let data;
  try {
    [data] = await Promise.all([api.get(`/book_services/${S.loc}`, { staff_id: sel.staff || undefined }), more()]);
  } catch (e) { list.replaceChildren(errorBox(e)); return sec; }
  S.services = data;
  sec.querySelector('#step-title').textContent = t('svc.title');
  const services = (data.services || []).filter((x) => x.active !== 0).sort((a, b) => (b.weight || 0) - (a.weight || 0));
  const byId = new Map(services.map((s) => [+s.id, s]));
  const cats = (data.category || []).slice().sort((a, b) => (b.weight || 0) - (a.weight || 0));
  const groups = cats.map((c) => [c, services.filter((s) => +s.category_id === +c.id)]);
  const loose = services.filter((s) => !cats.some((c) => +c.id === +s.category_id));
  if (loose.length) groups.push([{ id: 0, title: t('service.other') }, loose]);
  let basket = (sel.services.length ? sel.services : [sel.service]).map(Number).filter((id) => byId.has(id));
  // Who provides each service (book_staff per service): services combine when one member does them all.
  const providers = new Map();
  const known = Promise.all(services.map((s) => api.get(`/book_staff/${S.loc}`, { service_ids: [s.id] })
    .then((staff) => providers.set(+s.id, new Set((staff || []).filter((m) => !m.hidden && !m.fired).map((m) => +m.id))))
    .catch(() => providers.set(+s.id, null))));
  const fits = (id) => {
    const all = [...basket, id].map((x) => providers.get(x));
    if (all.some((p) => p === undefined || p === null)) return true; // not known (yet): Altegio decides later
    return [...all[0]].some((m) => all.every((p) => p.has(m)));
  };

  const lead = h('p', { class: 'lead' }, t('svc.lead'));
  const total = h('p', { class: 'basket-total', id: 'basket-total', role: 'status' });
  const next = h('button', { type: 'button', class: 'btn', id: 'services-next' }, t('svc.continue'));
  const bar = h('div', { class: 'basket', role: 'region', 'aria-labelledby': 'basket-title' },
    h('h2', { id: 'basket-title', class: 'sr-only' }, t('svc.basket')), total, next);
  const cards = new Map();
  const card = (s) => {
    const sub = h('span', { class: 'card-sub' }, s.comment || '');
    const b = h('button', { type: 'button', class: 'card svc', 'data-id': s.id, onclick: () => toggle(+s.id) },
      h('span', { class: 'tick', 'aria-hidden': 'true' }),
      h('span', { class: 'card-main' }, h('span', { class: 'card-title' }, s.title), sub),
      h('span', { class: 'card-side' }, h('span', { class: 'price' }, price(s.price_min, s.price_max, S.currency)),
        h('span', { class: 'muted' }, duration(s.seance_length))));
    cards.set(+s.id, { b, sub, s });
    return h('li', {}, b);
  };
  list.removeAttribute('aria-busy');
  list.replaceChildren(...groups.filter(([, ss]) => ss.length).map(([c, ss]) => h('div', { class: 'group' },
    h('h2', { id: `cat-${c.id}` }, c.title), h('ul', { 'aria-labelledby': `cat-${c.id}` }, ss.map(card)))));
  sec.insertBefore(eventsEntry(data.events), list);
  sec.insertBefore(lead, list);
  sec.append(bar);

  function paint() {
    for (const [id, { b, sub, s }] of cards) {
      const on = basket.includes(id);
      const ok = on || fits(id);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.classList.toggle('chosen', on);
      b.disabled = !ok;
      sub.textContent = ok ? s.comment || '' : t('svc.cannot');
    }
    const chosen = basket.map((id) => byId.get(id));
    const sum = (k) => chosen.reduce((a, s) => a + (+s[k] || 0), 0);
    total.textContent = chosen.length
      ? t('svc.total', { n: chosen.length, length: duration(sum('seance_length')), price: price(sum('price_min'), sum('price_max'), S.currency) || '—' })
      : t('svc.none');
    next.setAttribute('aria-disabled', chosen.length ? 'false' : 'true');
  }
  function toggle(id) {
    const on = basket.includes(id);
    basket = on ? basket.filter((x) => x !== id) : [...basket, id];
    sel.services = basket; sel.service = basket[0] || null;
    history.replaceState(null, '', urlFor());
    paint();
    announce(`${t(on ? 'svc.removed' : 'svc.added', { title: byId.get(id).title })} ${total.textContent}`);
  }
  next.addEventListener('click', () => {
    if (!basket.length) { announce(t('svc.none'), true); return; }
    go({ service: basket[0], services: [...basket], date: null, time: null, step: null });
  });
  paint();
  known.then(() => { if (sec.isConnected) paint(); });
  return sec;
}
