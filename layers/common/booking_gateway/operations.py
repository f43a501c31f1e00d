"""What each read operation may be cached for (read_path.py serves by it, warmer.py refreshes by it).
Nothing with personal data, tokens or writes is cached.

fresh: seconds an entry is served without asking Altegio (the warmer refreshes what visitors read lately
shortly before this runs out); keep: seconds it may still be served stale when Altegio fails or the budget
is spent; availability: made stale at once by a booking, reschedule or cancel at its location
(availability generations, cache.py), whether the gateway made it or Altegio's webhooks reported it
(webhooks.py, functions/webhook_altegio); slots: the answer lists bookable times, so a copy from before
such a change is served only patched without what the change took (holds.py: as fresh as it was when
the change only took time, else as an aged copy), never as it was: when the patch is not known it is
asked again, or refused if Altegio cannot be asked. The other availability answers (services, team
members, days) are coarse hints that book_times re-checks: after a change they are refreshed when the
budget allows and stand in meanwhile; dates and team members, after changes that only took time, are
patched from the cached lists of times instead when that is exact (hints_patch.py).
Fresh times stay short for what no webhook reports: a change while the webhook was down or not yet
delivered, or a location whose webhook is not registered, is seen only on refresh.
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
