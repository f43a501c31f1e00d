// Conversion events for the analytics ids the bookform names (Google Analytics or Tag Manager, Meta pixel,
// Yandex Metrika): page view, steps and a booking made, ids only. Nothing is loaded or sent before the visitor
// agrees; the choice is remembered (per set of ids), and a declined prompt loads nothing. Loaded on demand.
import { locale, t } from './i18n.js';
import { $, announce, h } from './dom.js';
import { S } from './core.js';

const KEY = 'bk.consent';
const NAMES = { gtag: 'Google Analytics', gtm: 'Google Tag Manager', meta: 'Meta', yandex: 'Yandex Metrika' };

// The vendors the form names with a well-formed id, among those the deployment's CSP allows (config.json
// `analytics`, from PageAnalyticsVendors; absent: all).
export function vendors(form, allowed) {
  const out = [];
  const g = String(form.google_analytics_id || '').trim();
  if (/^GTM-[A-Z0-9]{4,12}$/i.test(g)) out.push({ vendor: 'google', kind: 'gtm', id: g.toUpperCase() });
  else if (/^(G|UA|AW|GT)-[A-Z0-9-]{4,20}$/i.test(g)) out.push({ vendor: 'google', kind: 'gtag', id: g.toUpperCase() });
  const fb = String(form.facebook_pixel_id || '').trim();
  if (/^\d{6,20}$/.test(fb)) out.push({ vendor: 'meta', kind: 'meta', id: fb });
  const ym = String(form.metrika_counter_id ?? '').trim();
  if (/^\d{3,12}$/.test(ym)) out.push({ vendor: 'yandex', kind: 'yandex', id: +ym });
  return Array.isArray(allowed) ? out.filter((v) => allowed.includes(v.vendor)) : out;
}

const read = () => { try { return JSON.parse(localStorage.getItem(KEY) || 'null'); } catch { return null; } };
const write = (v) => { try { localStorage.setItem(KEY, JSON.stringify(v)); } catch { /* private mode: asked again next time */ } };

let list = [];
let sig = '';
let loaded = false;

export async function start() {
  // The manage view's URL holds the record's hash: no vendor ever sees it.
  if (/^#manage=/.test(location.hash)) return;
  list = vendors(S.form || {}, S.cfg.analytics);
  if (!list.length) return;
  await new Promise((resolve) => {
    const css = h('link', { rel: 'stylesheet', href: new URL('analytics.css', import.meta.url).href, onload: resolve, onerror: resolve });
    document.head.append(css);
  });
  sig = list.map((v) => `${v.kind}:${v.id}`).join(',');
  const saved = read();
  footer();
  if (saved?.sig === sig) { if (saved.ok) load(); return; }
  prompt();
}

function vendorNames() {
  const names = list.map((v) => NAMES[v.kind]);
  try { return new Intl.ListFormat(locale, { type: 'conjunction' }).format(names); } catch { return names.join(', '); }
}

// A short, non-modal prompt: first in the page's tab order after the skip link.
function prompt() {
  $('#consent')?.remove();
  const choose = (ok) => {
    const had = box.contains(document.activeElement);
    write({ sig, ok });
    box.remove();
    document.body.classList.remove('has-consent');
    announce(t(ok ? 'consent.saidYes' : 'consent.saidNo'));
    if (had) ($('#step-title') || $('#main')).focus({ preventScroll: true });
    if (ok) load();
    else if (loaded) location.reload(); // scripts already running cannot be unloaded
  };
  const box = h('section', { class: 'consent', id: 'consent', 'aria-labelledby': 'consent-title', 'aria-describedby': 'consent-text' },
    h('div', { class: 'consent-in' },
      h('h2', { id: 'consent-title' }, t('consent.title')),
      h('p', { id: 'consent-text' }, t('consent.text', { vendors: vendorNames() })),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', id: 'consent-yes', onclick: () => choose(true) }, t('consent.yes')),
        h('button', { type: 'button', class: 'btn secondary', id: 'consent-no', onclick: () => choose(false) }, t('consent.no')))));
  $('#skip').after(box);
  document.body.classList.add('has-consent');
  // the page's end stays reachable above the fixed prompt
  new ResizeObserver(() => { if (box.isConnected) document.body.style.setProperty('--consent-h', `${box.offsetHeight}px`); }).observe(box);
}

// The way back to the choice, at the end of the page.
function footer() {
  if ($('#consent-foot')) return;
  document.body.append(h('footer', { class: 'foot', id: 'consent-foot' },
    h('button', { type: 'button', class: 'link-btn', id: 'consent-change', onclick: () => { prompt(); $('#consent-yes').focus(); } }, t('consent.change'))));
}

// ---------- the vendors: their own loaders, from their own hosts (the page's CSP allows just these) ----------
const senders = [];
// The page's address without its fragment (which can hold a record's hash).
const here = () => location.origin + location.pathname + location.search;

function script(src) {
  const s = document.createElement('script');
  s.async = true;
  s.src = src;
  document.head.append(s);
}

function load() {
  if (loaded) return;
  loaded = true;
  for (const v of list) {
    if (v.kind === 'gtm') {
      const dl = (window.dataLayer = window.dataLayer || []);
      dl.push({ 'gtm.start': Date.now(), event: 'gtm.js' });
      script(`https://www.googletagmanager.com/gtm.js?id=${encodeURIComponent(v.id)}`);
      senders.push((name, p) => dl.push({ event: name, ...p }));
    } else if (v.kind === 'gtag') {
      const dl = (window.dataLayer = window.dataLayer || []);
      const gtag = (window.gtag = function gtag() { dl.push(arguments); }); // eslint-disable-line prefer-rest-params
      gtag('js', new Date());
      gtag('config', v.id, { page_location: here() });
      script(`https://www.googletagmanager.com/gtag/js?id=${encodeURIComponent(v.id)}`);
      senders.push((name, p) => { window.gtag('set', { page_location: here() }); window.gtag('event', name, p); });
    } else if (v.kind === 'meta') {
      const fbq = (window.fbq = function fbq() { fbq.callMethod ? fbq.callMethod.apply(fbq, arguments) : fbq.queue.push(arguments); }); // eslint-disable-line prefer-rest-params
      if (!window._fbq) window._fbq = fbq;
      Object.assign(fbq, { push: fbq, loaded: true, version: '2.0', queue: [], disablePushState: true });
      script('https://connect.facebook.net/en_US/fbevents.js');
      fbq('init', v.id);
      fbq('track', 'PageView');
      // looked up at each call, as the vendors' own snippets do: their scripts may replace them
      senders.push((name, p) => (name === 'booking_made' ? window.fbq('track', 'Schedule', p) : window.fbq('trackCustom', 'BookingStep', p)));
    } else if (v.kind === 'yandex') {
      const ym = (window.ym = window.ym || function ym() { (ym.a = ym.a || []).push(arguments); }); // eslint-disable-line prefer-rest-params
      ym.l = Date.now();
      script('https://mc.yandex.ru/metrika/tag.js');
      ym(v.id, 'init', { defer: false, trackHash: false, clickmap: false, trackLinks: false, webvisor: false, accurateTrackBounce: true });
      senders.push((name, p) => window.ym(v.id, 'reachGoal', name, p));
    }
  }
  const send = (name, p) => senders.forEach((f) => { try { f(name, p); } catch { /* a vendor's failure is not the visitor's */ } });
  // The confirmation and manage views' URL holds the record's hash: their steps are not sent.
  const step = (s) => { if (s && s !== 'done' && s !== 'manage') send('booking_step', { step: s }); };
  document.addEventListener('booking:step', (e) => step(e.detail?.step));
  document.addEventListener('booking:made', (e) => {
    const d = e.detail || {};
    send('booking_made', { location_id: d.location, record_id: d.record, service_ids: [].concat(d.services || []).join(','), staff_id: d.staff });
  });
  step(document.body.dataset.step);
}
