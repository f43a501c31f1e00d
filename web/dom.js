// h('button', {class: 'x', onclick}, 'text', child) — text is always set as text, never as HTML.
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat(Infinity)) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

const reduced = () => matchMedia('(prefers-reduced-motion: reduce)').matches;
export function reveal(el, focus) {
  if (!el) return;
  if (focus) el.focus({ preventScroll: true });
  el.scrollIntoView({ behavior: reduced() ? 'auto' : 'smooth', block: 'start' });
}

// Polite announcements; clearing first makes a repeated message be read again.
export function announce(msg, assertive) {
  const r = document.getElementById(assertive ? 'alert' : 'live');
  if (!r) return;
  r.textContent = '';
  setTimeout(() => { r.textContent = msg; }, 60);
}
