"""What each read operation may be cached for. Nothing with personal data, tokens or writes is cached.

fresh: seconds an entry is served without asking Altegio; keep: seconds it may still be served stale
when Altegio fails or the budget is spent; availability: invalidated at once by a booking, reschedule
or cancel at its location (availability generation).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CachePolicy:
    fresh: int
    keep: int
    availability: bool


POLICIES: dict[str, CachePolicy] = {
    #                 operation        fresh   keep      availability
    "bookform": CachePolicy(600, 7 * 86400, False),
    "i18n": CachePolicy(3600, 7 * 86400, False),
    "privacy_policy": CachePolicy(3600, 7 * 86400, False),
    "book_services": CachePolicy(60, 3600, True),
    "book_staff": CachePolicy(60, 3600, True),
    "book_staff_seances": CachePolicy(20, 900, True),
    "book_dates": CachePolicy(30, 900, True),
    "book_times": CachePolicy(15, 900, True),
}
