// The page inside a partner's frame (web/embed.js): its height, steps and bookings (ids only) posted to the
// embedding page, and focus / Escape between the two. Loaded only when the page is framed.
// Messages go only to the origin embed.js named (?embed=), and only when that is truly the parent's origin.
const named = new URLSearchParams(location.search).get('embed') || '';
const origin = (() => {
  try {
    const u = new URL(named);
    if (!/^https?:$/.test(u.protocol) || u.origin !== named) return null;
    const anc = location.ancestorOrigins;
    return anc && anc.length && anc[0] !== named ? null : named;
  } catch { return null; }
})();

if (origin && window.parent !== window) {
  document.documentElement.classList.add('framed');
  const post = (m) => window.parent.postMessage(m, origin);
  let last = 0;
  const measure = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) { last = height; post({ type: 'booking:height', height }); }
  };
  new ResizeObserver(measure).observe(document.documentElement);
  document.addEventListener('booking:step', (e) => post({ type: 'booking:step', step: String(e.detail?.step) }));
  document.addEventListener('booking:made', (e) => {
    const { location: loc, record, services, staff } = e.detail || {};
    post({ type: 'booking:made', location: loc, record, services, staff });
  });
  addEventListener('message', (e) => {
    if (e.source !== window.parent || e.origin !== origin) return;
    if (e.data?.type === 'booking:focus') focusTitle();
  });
  // The step heading, as soon as there is one (the dialog may open before the first step is drawn).
  const focusTitle = () => {
    const title = document.getElementById('step-title');
    if (title) { title.focus(); return; }
    const mo = new MutationObserver(() => {
      const t = document.getElementById('step-title');
      if (t) { mo.disconnect(); t.focus(); }
    });
    mo.observe(document.body, { childList: true, subtree: true });
  };
  // Escape closes the embedding dialog, unless the page used it (its own dialog, a field).
  addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('dialog[open]')) post({ type: 'booking:escape' });
  });
  post({ type: 'booking:ready' });
  // Steps shown before this module arrived.
  if (document.body.dataset.step) post({ type: 'booking:step', step: document.body.dataset.step });
  measure();
}
