"""What each read operation may be cached for. Nothing with personal data, tokens or writes is cached.

fresh: seconds an entry is served without asking Altegio; keep: seconds it may still be served stale
when Altegio fails or the budget is spent; availability: invalidated at once by a booking, reschedule
or cancel there (availability generations, cache.py); slots: the answer lists bookable times, so a copy
from before a booking is never served for want of budget (only when Altegio itself fails). The other
availability answers (services, team members, days) are coarse hints that book_times re-checks.
Fresh times are short because bookings made elsewhere (phone, admin) are only seen on refresh; the
gateway's own bookings expire what they change at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CachePolicy:
    fresh: int
    keep: int
    availability: bool
    slots: bool = False


POLICIES: dict[str, CachePolicy] = {
    #                 operation        fresh   keep      availability  slots
    "bookform": CachePolicy(600, 7 * 86400, False),
    "i18n": CachePolicy(3600, 7 * 86400, False),
    "privacy_policy": CachePolicy(3600, 7 * 86400, False),
    "book_services": CachePolicy(60, 3600, True),
    "book_staff": CachePolicy(60, 3600, True),
    "book_staff_seances": CachePolicy(30, 900, True, slots=True),
    "book_dates": CachePolicy(60, 900, True),
    "book_times": CachePolicy(30, 900, True, slots=True),
}
