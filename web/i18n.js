// Strings from per-locale JSON; dates, times, prices and durations from Intl.
export const LOCALES = { 'en-US': 'English', 'lv-LV': 'Latviešu', 'de-DE': 'Deutsch' };
let strings = {};
export let locale = 'en-US';
let plural = new Intl.PluralRules(locale);
const fmts = new Map();

export async function load(loc) {
  locale = LOCALES[loc] ? loc : 'en-US';
  const res = await fetch(new URL(`i18n/${locale}.json`, import.meta.url));
  strings = await res.json();
  plural = new Intl.PluralRules(locale);
  fmts.clear();
  document.documentElement.lang = locale;
  return locale;
}

// Strings of the screens loaded on demand (i18n/more/<locale>.json), merged in once per language.
const extra = new Map();
export async function more() {
  const k = locale;
  if (!extra.has(k)) extra.set(k, fetch(new URL(`i18n/more/${k}.json`, import.meta.url)).then((r) => r.json()));
  try { Object.assign(strings, await extra.get(k)); } catch (e) { extra.delete(k); throw e; }
}

// Match a browser / bookform language to one we ship (lv → lv-LV, de-AT → de-DE).
export function pick(...wanted) {
  for (const w of wanted.flat()) {
    if (!w) continue;
    if (LOCALES[w]) return w;
    const lang = String(w).slice(0, 2).toLowerCase();
    const hit = Object.keys(LOCALES).find((l) => l.startsWith(`${lang}-`));
    if (hit) return hit;
  }
  return null;
}

// t('times.count', {n: 3}) — objects in the JSON are plural forms keyed by Intl.PluralRules.
export function t(key, vars = {}) {
  let s = strings[key];
  if (s && typeof s === 'object') s = s[plural.select(vars.n ?? 0)] ?? s.other;
  if (s == null) return key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? `{${k}}`));
}

function fmt(kind, opts) {
  const k = kind + JSON.stringify(opts);
  if (!fmts.has(k)) fmts.set(k, kind === 'n' ? new Intl.NumberFormat(locale, opts) : new Intl.DateTimeFormat(locale, opts));
  return fmts.get(k);
}

// A location-local calendar date ("2026-11-27") as a Date at noon UTC; always formatted in UTC.
export const ymdDate = (ymd) => { const [y, m, d] = ymd.split('-').map(Number); return new Date(Date.UTC(y, m - 1, d, 12)); };
export const ymd = (dt) => dt.toISOString().slice(0, 10);
export const addDays = (s, n) => { const d = ymdDate(s); d.setUTCDate(d.getUTCDate() + n); return ymd(d); };
export const addMonths = (s, n) => {
  const d = ymdDate(s.slice(0, 7) + '-01'); d.setUTCMonth(d.getUTCMonth() + n); return ymd(d);
};
export const monthEnd = (s) => { const d = ymdDate(s.slice(0, 7) + '-01'); d.setUTCMonth(d.getUTCMonth() + 1, 0); return ymd(d); };

const UTC = { timeZone: 'UTC' };
export const dateLong = (s) => fmt('d', { ...UTC, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(ymdDate(s));
export const dateMid = (s) => fmt('d', { ...UTC, weekday: 'long', day: 'numeric', month: 'long' }).format(ymdDate(s));
export const dateShort = (s) => fmt('d', { ...UTC, weekday: 'short', day: 'numeric', month: 'short' }).format(ymdDate(s));
export const monthTitle = (s) => fmt('d', { ...UTC, month: 'long', year: 'numeric' }).format(ymdDate(s));
export const weekday = (s, style) => fmt('d', { ...UTC, weekday: style }).format(ymdDate(s));
export const dayNum = (s) => fmt('d', { ...UTC, day: 'numeric' }).format(ymdDate(s));

// Wall-clock "HH:MM" of the location, in the locale's 12/24-hour convention.
export function clock(hhmm, day = '2000-01-01') {
  const [h, m] = hhmm.split(':').map(Number);
  const d = ymdDate(day); d.setUTCHours(h, m);
  return fmt('d', { ...UTC, hour: 'numeric', minute: '2-digit' }).format(d);
}
// An instant in the visitor's own zone.
// With `day` (the location's date of the slot), the visitor's weekday is added when their date differs.
export function visitorClock(iso, day) {
  const d = new Date(iso);
  const mine = fmt('d', { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d);
  const part = (k) => mine.find((p) => p.type === k)?.value;
  const same = !day || `${part('year')}-${part('month')}-${part('day')}` === day;
  return fmt('d', same ? { hour: 'numeric', minute: '2-digit' } : { weekday: 'short', hour: 'numeric', minute: '2-digit' }).format(d);
}
export const visitorDateTime = (iso) => fmt('d', { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
export const visitorZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

// Offset in minutes of an ISO datetime's own offset ("…+02:00", "…-0500", "Z").
export function isoOffset(iso) {
  const m = /([+-])(\d\d):?(\d\d)$/.exec(iso || '');
  if (!m) return /Z$/.test(iso || '') ? 0 : null;
  return (m[1] === '-' ? -1 : 1) * (+m[2] * 60 + +m[3]);
}
export const utcLabel = (min) => {
  const s = min < 0 ? '-' : '+'; const a = Math.abs(min);
  return `UTC${s}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
};

export function duration(sec) {
  if (!sec) return '';
  const h = Math.floor(sec / 3600); const m = Math.round((sec % 3600) / 60);
  if (typeof Intl.DurationFormat === 'function') {
    return new Intl.DurationFormat(locale, { style: 'short' }).format({ hours: h, minutes: m });
  }
  const u = (n, unit) => fmt('n', { style: 'unit', unit, unitDisplay: 'short' }).format(n);
  return [h && u(h, 'hour'), m && u(m, 'minute')].filter(Boolean).join(' ');
}

export function price(min, max, currency) {
  const f = fmt('n', currency ? { style: 'currency', currency, maximumFractionDigits: 2, minimumFractionDigits: 0 } : { maximumFractionDigits: 2 });
  min = +min || 0; max = +max || 0;
  if (!min && !max) return '';
  if (max > min && min) return t('price.range', { min: f.format(min), max: f.format(max) });
  if (max > min) return t('price.upto', { max: f.format(max) });
  return f.format(min);
}

export const count = (n) => fmt('n', {}).format(n);

// A wait in words, rounded up: "45 seconds", "15 minutes", "2 hours" (a refused request's Retry-After).
export function waitFor(sec) {
  const s = Math.max(1, Math.ceil(+sec || 0));
  const [n, unit] = s < 120 ? [s, 'second'] : s < 7200 ? [Math.ceil(s / 60), 'minute'] : [Math.ceil(s / 3600), 'hour'];
  return fmt('n', { style: 'unit', unit, unitDisplay: 'long' }).format(n);
}

// First day of week for the locale: 1 = Monday … 7 = Sunday.
export function firstDay() {
  try {
    const l = new Intl.Locale(locale);
    const w = l.getWeekInfo ? l.getWeekInfo() : l.weekInfo;
    if (w && w.firstDay) return w.firstDay;
  } catch { /* older engines */ }
  return /^en-US|^en-CA/.test(locale) ? 7 : 1;
}
