/* The booking page on a partner's site, from one tag (docs/embed-example.html):
 *   <script src="https://book.example.com/embed.js" data-form="1" async></script>
 * data-mode="inline" (default): the page in a frame where the tag is (or in data-target), as tall as its content.
 * data-mode="button": a button (data-label) that opens the page in a dialog.
 * Prefill: data-form | data-location, data-service, data-staff (0 = any), data-date (YYYY-MM-DD), data-lang,
 * data-utm-source, -medium, -campaign, -term, -content.
 * Events, ids only: 'booking:step' {step} and 'booking:made' {location, record, services, staff}, dispatched
 * on the frame (they bubble to document). Messages are taken only from the page's origin and frame, and
 * sent only to it. A classic script with no dependencies: partners' pages load it as it is. */
(() => {
  const me = document.currentScript;
  if (!me || !me.src) return;
  const page = new URL('./', me.src);
  const d = me.dataset;
  const STR = {
    'en-US': { book: 'Book online', title: 'Online booking', close: 'Close' },
    'lv-LV': { book: 'Pieteikties tiešsaistē', title: 'Pieteikšanās tiešsaistē', close: 'Aizvērt' },
    'de-DE': { book: 'Online buchen', title: 'Online-Terminbuchung', close: 'Schließen' },
  };
  const want = String(d.lang || document.documentElement.lang || 'en').slice(0, 2).toLowerCase();
  const lang = Object.keys(STR).find((l) => l.startsWith(`${want}-`)) || 'en-US';
  const s = STR[lang];

  // The page's own URL parameters; anything malformed is left out.
  const q = new URLSearchParams();
  const put = (k, v, re) => { if (v != null && re.test(String(v))) q.set(k, String(v)); };
  if (d.location && !d.form) put('location', d.location, /^\d+$/);
  put('form', d.form, /^\d+$/);
  put('service', d.service, /^\d+$/);
  put('staff', d.staff, /^\d+$/);
  put('date', d.date, /^\d{4}-\d\d-\d\d$/);
  put('lang', d.lang, /^[a-z]{2}(-[A-Z]{2})?$/);
  for (const k of ['source', 'medium', 'campaign', 'term', 'content']) {
    put(`utm_${k}`, d[`utm${k[0].toUpperCase()}${k.slice(1)}`], /^[\w .:/@+-]{1,100}$/);
  }
  q.set('embed', location.origin); // where the page may post its events (it checks this against its parent)
  const src = `${page.href}?${q}`;

  let frame = null;
  let ready = false;
  let dlg = null;
  const inline = d.mode !== 'button';

  function makeFrame() {
    frame = document.createElement('iframe');
    frame.src = src;
    frame.title = s.title;
    frame.allow = 'otp-credentials'; // the SMS code filled in from the message, as on the page itself
    Object.assign(frame.style, { display: 'block', width: '100%', border: '0', colorScheme: 'light' });
    return frame;
  }

  addEventListener('message', (e) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== page.origin) return;
    const m = e.data;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
    if (m.type === 'booking:ready') {
      ready = true;
      if (dlg && dlg.open) focusPage();
    } else if (m.type === 'booking:height') {
      if (inline) frame.style.height = `${Math.min(Math.max(Math.ceil(+m.height) || 0, 320), 20000)}px`;
    } else if (m.type === 'booking:escape') {
      if (dlg && dlg.open) dlg.close();
    } else if (m.type === 'booking:step' && typeof m.step === 'string') {
      frame.dispatchEvent(new CustomEvent(m.type, { bubbles: true, detail: { step: m.step } }));
    } else if (m.type === 'booking:made') {
      const n = (v) => (Number.isFinite(+v) ? +v : null);
      const detail = { location: n(m.location), record: n(m.record), services: [].concat(m.services || []).map(n), staff: n(m.staff) };
      frame.dispatchEvent(new CustomEvent(m.type, { bubbles: true, detail }));
    }
  });

  // Keyboard focus into the page (its step heading), once it is there to take it.
  function focusPage() {
    frame.focus();
    if (ready) frame.contentWindow.postMessage({ type: 'booking:focus' }, page.origin);
  }

  const place = (el) => {
    const target = d.target && document.querySelector(d.target);
    if (target) target.append(el); else me.after(el);
  };

  if (inline) {
    const f = makeFrame();
    f.loading = 'lazy';
    f.style.height = '640px';
    place(f);
    return;
  }

  const btn = document.createElement('button');
  btn.type = 'button';
  btn.className = 'booking-embed-button';
  btn.textContent = d.label || s.book;
  btn.setAttribute('aria-haspopup', 'dialog');
  if (!('unstyled' in d)) {
    Object.assign(btn.style, {
      font: 'inherit', fontWeight: '600', padding: '.7em 1.4em', minHeight: '44px', borderRadius: '10px', cursor: 'pointer',
      border: '0', background: d.color || '#0b5fcc', color: '#fff',
    });
  }
  place(btn);

  function open() {
    if (!dlg) {
      dlg = document.createElement('dialog');
      dlg.className = 'booking-embed-dialog';
      dlg.setAttribute('aria-label', s.title);
      Object.assign(dlg.style, {
        padding: '0', border: '0', borderRadius: '12px', width: 'min(64rem, calc(100vw - 1rem))', height: 'min(56rem, calc(100dvh - 1rem))',
        maxWidth: '100vw', maxHeight: '100dvh', overflow: 'hidden', background: '#f4f5f7', boxShadow: '0 20px 50px rgb(0 0 0 / 25%)',
      });
      const close = document.createElement('button');
      close.type = 'button';
      close.className = 'booking-embed-close';
      close.textContent = s.close;
      Object.assign(close.style, {
        position: 'absolute', top: '.5rem', right: '.5rem', zIndex: '1', font: '600 .875rem/1 system-ui, sans-serif',
        padding: '.5rem .75rem', minHeight: '36px', borderRadius: '8px', border: '1px solid #8a93a3', background: '#fff', color: '#181b21', cursor: 'pointer',
      });
      close.addEventListener('click', () => dlg.close());
      const f = makeFrame();
      Object.assign(f.style, { height: '100%', paddingTop: '3rem', boxSizing: 'border-box' });
      dlg.append(close, f);
      dlg.addEventListener('close', () => btn.focus());
      document.body.append(dlg);
    }
    dlg.showModal();
    focusPage();
  }
  btn.addEventListener('click', open);
})();
