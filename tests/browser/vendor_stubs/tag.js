// Test stand-in for Yandex Metrika's tag.js: runs ym's queue as Metrika does and reports the page view and
// each goal as a request to Metrika's host, with the page address.
(() => {
  const hit = (id, params) => {
    const q = new URLSearchParams({ 'page-url': location.href, ...params });
    fetch(`https://mc.yandex.ru/watch/${id}?${q}`, { mode: 'no-cors' })
      .catch(() => {}).finally(() => (window.__hits = window.__hits || []).push(`yandex:${params.goal || params.hit}`));
  };
  const run = ([id, cmd, name, p]) => {
    if (cmd === 'init') hit(id, { hit: 'pageview' });
    else if (cmd === 'reachGoal') hit(id, { goal: name, params: JSON.stringify(p || {}) });
  };
  const queued = (window.ym && window.ym.a) || [];
  window.ym = (...a) => run(a);
  queued.splice(0).forEach((a) => run(Array.from(a)));
})();
