// Test stand-in for Meta's fbevents.js: takes over fbq's queue as Meta's does and reports each event as
// the pixel's image request, with the full page address (dl) as the real pixel sends it.
(() => {
  const fbq = window.fbq;
  let pixel = null;
  const hit = (ev, cd) => {
    const q = new URLSearchParams({ id: pixel, ev, dl: location.href, cd: JSON.stringify(cd || {}) });
    const img = new Image();
    img.onload = img.onerror = () => (window.__hits = window.__hits || []).push(`meta:${ev}`); // answered
    img.src = `https://www.facebook.com/tr/?${q}`;
  };
  const run = ([cmd, x, y]) => {
    if (cmd === 'init') pixel = x;
    else if (cmd === 'track' || cmd === 'trackCustom') hit(x, y);
  };
  fbq.callMethod = (...a) => run(a);
  (fbq.queue || []).splice(0).forEach((a) => run(Array.from(a)));
})();
