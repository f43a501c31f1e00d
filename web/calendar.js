// Month grid following the WAI-ARIA date-grid pattern: one tab stop, arrows move by day/week,
// Home/End to the week's ends, PageUp/PageDown by month (Shift: by year). Days are <button>s
// named with the full date; unavailable days stay focusable (aria-disabled) so arrows never jump.
import { addDays, addMonths, dateLong, dayNum, firstDay, monthEnd, monthTitle, t, weekday, ymdDate } from './i18n.js';
import { h } from './dom.js';

export class Calendar {
  constructor(opts) {
    this.o = opts; // {onSelect(date), onMonth(monthStart, focusDate), min, max}
    this.el = h('div', { class: 'cal' });
    this.title = h('h2', { class: 'cal-title', id: 'cal-title' });
    this.prev = h('button', { type: 'button', class: 'icon-btn', onclick: () => this.page(-1) });
    this.next = h('button', { type: 'button', class: 'icon-btn', onclick: () => this.page(1) });
    this.table = h('table', { role: 'grid', 'aria-labelledby': 'cal-title', class: 'grid' });
    this.table.addEventListener('keydown', (e) => this.key(e));
    this.table.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-date]');
      if (b && b.getAttribute('aria-disabled') !== 'true') this.o.onSelect(b.dataset.date);
      else if (b) this.setFocus(b.dataset.date, true);
    });
    this.el.append(h('div', { class: 'cal-head' }, this.prev, this.title, this.next), this.table);
  }

  // state: {month:'YYYY-MM-01', selected, focus, booking:Set|null (null = loading), working:Set, today}
  render(st) {
    this.st = st;
    const { month } = st;
    this.title.textContent = monthTitle(month);
    this.prev.setAttribute('aria-label', t('cal.prev'));
    this.next.setAttribute('aria-label', t('cal.next'));
    this.prev.innerHTML = '<span aria-hidden="true">‹</span>';
    this.next.innerHTML = '<span aria-hidden="true">›</span>';
    this.prev.disabled = month <= this.o.min.slice(0, 7) + '-01';
    this.next.disabled = month >= this.o.max.slice(0, 7) + '-01';
    this.table.setAttribute('aria-busy', st.booking ? 'false' : 'true');
    const fd = firstDay();
    const dow = (s) => ymdDate(s).getUTCDay() || 7;
    const lead = (dow(month) - fd + 7) % 7;
    const head = h('tr');
    const days = Array.from({ length: 7 }, (_, i) => addDays(month, i - lead));
    // Short names that would not fit a 320 px grid ("Ceturtd.") fall back to the narrow form.
    const style = days.some((d) => weekday(d, 'short').length > 4) ? 'narrow' : 'short';
    for (const d of days) head.append(h('th', { scope: 'col', abbr: weekday(d, 'long') }, weekday(d, style)));
    const body = h('tbody');
    const end = monthEnd(month);
    const focus = this.focusDate();
    let day = addDays(month, -lead);
    for (let r = 0; r < 6; r++) {
      const tr = h('tr');
      for (let c = 0; c < 7; c++, day = addDays(day, 1)) {
        if (day < month || day > end) { tr.append(h('td', { class: 'out' })); continue; }
        tr.append(this.cell(day, focus));
      }
      body.append(tr);
    }
    this.table.replaceChildren(h('thead', {}, head), body);
  }

  status(d) {
    const { booking, working, today } = this.st;
    if (d < today || d < this.o.min || d > this.o.max) return 'past';
    if (!booking) return 'loading';
    if (booking.has(d)) return 'free';
    return working && working.has(d) ? 'full' : 'off';
  }

  cell(d, focus) {
    const s = this.status(d);
    const sel = d === this.st.selected;
    const b = h('button', {
      type: 'button', 'data-date': d, class: `day ${s}`, tabindex: d === focus ? '0' : '-1',
      'aria-label': `${dateLong(d)}${s === 'loading' ? '' : `, ${t(`cal.${s}`)}`}`,
    }, h('span', { 'aria-hidden': 'true' }, dayNum(d)));
    if (s !== 'free') b.setAttribute('aria-disabled', 'true');
    if (d === this.st.today) b.setAttribute('aria-current', 'date');
    return h('td', { 'aria-selected': sel ? 'true' : 'false' }, b);
  }

  focusDate() {
    const { month, focus, selected } = this.st;
    const end = monthEnd(month);
    const inM = (d) => d && d >= month && d <= end;
    if (inM(focus)) return focus;
    if (inM(selected)) return selected;
    const free = this.st.booking && [...this.st.booking].sort().find(inM);
    return free || (inM(this.st.today) ? this.st.today : month);
  }

  btn(d) { return this.table.querySelector(`button[data-date="${d}"]`); }

  setFocus(d, move) {
    if (d < this.o.min) d = this.o.min;
    if (d > this.o.max) d = this.o.max;
    const { month } = this.st;
    if (d < month || d > monthEnd(month)) { this.o.onMonth(d.slice(0, 7) + '-01', d); return; }
    this.st.focus = d;
    this.table.querySelectorAll('button[tabindex="0"]').forEach((b) => b.setAttribute('tabindex', '-1'));
    const b = this.btn(d);
    if (b) { b.setAttribute('tabindex', '0'); if (move) b.focus(); }
  }

  page(n) {
    const m = addMonths(this.st.month, n);
    this.o.onMonth(m, null);
  }

  key(e) {
    const b = e.target.closest('button[data-date]');
    if (!b) return;
    const d = b.dataset.date;
    const fd = firstDay();
    const col = ((ymdDate(d).getUTCDay() || 7) - fd + 7) % 7;
    const sameDay = (m) => { // same day-of-month in another month, clamped to its length
      const target = addMonths(d, m);
      const last = monthEnd(target);
      const want = target.slice(0, 8) + d.slice(8);
      return want > last ? last : want;
    };
    const moves = {
      ArrowRight: () => addDays(d, 1), ArrowLeft: () => addDays(d, -1),
      ArrowDown: () => addDays(d, 7), ArrowUp: () => addDays(d, -7),
      Home: () => addDays(d, -col), End: () => addDays(d, 6 - col),
      PageUp: () => sameDay(e.shiftKey ? -12 : -1), PageDown: () => sameDay(e.shiftKey ? 12 : 1),
    };
    const f = moves[e.key];
    if (!f) return;
    e.preventDefault();
    this.setFocus(f(), true);
  }
}
