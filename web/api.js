// Thin client for the gateway: Altegio's paths, query names and envelope, no secrets.
const TTL = { bookform: 6e5, i18n: 6e5, privacy_policy: 6e5, book_services: 6e4, book_staff: 6e4,
  book_dates: 2e4, book_times: 2e4, book_staff_seances: 2e4 };
const cache = new Map();
let base = '/api/v1';
let userToken = null;

export const setBase = (b) => { base = String(b || '/api/v1').replace(/\/+$/, ''); };
export const setUserToken = (t) => { userToken = t || null; };

export class ApiError extends Error {
  constructor(status, message, codes, network) {
    super(message || `HTTP ${status}`);
    this.status = status; this.codes = codes || []; this.network = !!network;
  }
  has(...codes) { return codes.some((c) => this.codes.includes(c)); }
}

// meta.errors may be an array of {code,message}, an object, or a top-level `errors`.
function parseError(status, body) {
  const meta = body && typeof body.meta === 'object' ? body.meta : {};
  const codes = [];
  const msgs = [];
  const scan = (e) => {
    if (!e) return;
    if (Array.isArray(e)) return e.forEach(scan);
    if (typeof e === 'object') {
      if (e.code != null && !Number.isNaN(+e.code)) codes.push(+e.code);
      if (typeof e.message === 'string') msgs.push(e.message);
      if (e.code == null && !e.message) Object.values(e).forEach(scan);
    }
  };
  scan(meta.errors); scan(body && body.errors);
  if (meta.code != null) codes.push(+meta.code);
  if (status === 403 && !codes.length && /black/i.test(meta.message || '')) codes.push(434);
  return new ApiError(status, msgs[0] || meta.message || (body && body.message), codes);
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v == null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(`${k}[]`, x));
    else q.append(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function request(method, path, { body, headers, signal } = {}) {
  const h = { Accept: 'application/vnd.api.v2+json', 'Content-Type': 'application/json', ...headers };
  if (userToken) h.Authorization = `User ${userToken}`;
  let res;
  try {
    res = await fetch(base + path, { method, headers: h, body: body == null ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, e.message, [], true);
  }
  let json = null;
  const text = await res.text();
  if (text) { try { json = JSON.parse(text); } catch { /* not JSON */ } }
  if (!res.ok || (json && json.success === false)) {
    const err = parseError(res.status, json);
    const ra = res.headers.get('Retry-After');
    err.retryAfter = ra == null || ra === '' ? null : Number(ra);
    throw err;
  }
  // Some operations answer without the envelope (record detail, auth, i18n): accept both.
  return json && typeof json === 'object' && 'success' in json && 'data' in json ? json.data : json;
}

// A busy gateway (503/429 with a short Retry-After) is asked once more after the pause, unseen by the
// visitor, whose skeletons stay up meanwhile.
const RETRY_MAX_S = 5;
async function getOnce(url) {
  try {
    return await request('GET', url);
  } catch (e) {
    const wait = e.retryAfter;
    if (![429, 503].includes(e.status) || wait == null || !(wait >= 0 && wait <= RETRY_MAX_S)) throw e;
    await new Promise((r) => setTimeout(r, wait * 1000));
    return request('GET', url);
  }
}

// Cached GET with in-flight de-duplication. `fresh` skips the cache (focus refetch, slot lost).
export function get(path, params, { fresh = false } = {}) {
  const url = path + query(params);
  const op = path.split('/')[1];
  const hit = cache.get(url);
  if (!fresh && hit && Date.now() - hit.t < (TTL[op] || 3e4)) return hit.p;
  const p = getOnce(url);
  cache.set(url, { t: Date.now(), p });
  p.catch(() => { if (cache.get(url)?.p === p) cache.delete(url); });
  return p;
}

export const prefetch = (path, params) => { get(path, params).catch(() => {}); };

export function forget(prefix) {
  for (const k of cache.keys()) if (k.startsWith(prefix)) cache.delete(k);
}
