// Test stand-in for Google's gtag.js and gtm.js (served by the test's route, never fetched from Google):
// reads window.dataLayer as Google's loader does and reports every page view and event as a request to
// Google's collection host, with the page address Google would send (page_location, else the address).
(() => {
  const id = new URL(document.currentScript.src).searchParams.get('id');
  const dl = (window.dataLayer = window.dataLayer || []);
  let pageLocation = null;
  const hit = (en, params) => {
    const q = new URLSearchParams({ tid: id, en, dl: pageLocation || location.href, ep: JSON.stringify(params || {}) });
    fetch(`https://www.google-analytics.com/g/collect?${q}`, { method: 'POST', mode: 'no-cors' })
      .catch(() => {}).finally(() => (window.__hits = window.__hits || []).push(`google:${en}`)); // answered
  };
  const run = (a) => {
    if (a && typeof a === 'object' && typeof a[0] === 'string') { // a gtag(...) call's arguments
      if (a[0] === 'config') { pageLocation = (a[2] && a[2].page_location) || pageLocation; hit('page_view', {}); }
      else if (a[0] === 'set') pageLocation = (a[1] && a[1].page_location) || pageLocation;
      else if (a[0] === 'event') hit(a[1], a[2]);
    } else if (a && a.event) { // a Tag Manager dataLayer event
      hit(a.event, Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'event' && !k.startsWith('gtm.'))));
    }
  };
  dl.forEach(run);
  const push = dl.push.bind(dl);
  dl.push = (...items) => { items.forEach(run); return push(...items); };
})();
