"""operations.py: what each read may be cached for (DESIGN.md §3)."""

from __future__ import annotations

from booking_gateway.operations import POLICIES

READS = {
    "bookform",
    "i18n",
    "privacy_policy",
    "book_services",
    "book_staff",
    "book_staff_seances",
    "book_dates",
    "book_times",
}


def test_only_the_reads_without_personal_data_are_cached():
    assert set(POLICIES) == READS


def test_every_entry_is_kept_at_least_as_long_as_it_is_fresh():
    assert all(0 < p.fresh <= p.keep for p in POLICIES.values())


def test_lists_of_times_are_availability_and_fresh_for_seconds_only():
    slots = {op for op, p in POLICIES.items() if p.slots}
    assert slots == {"book_times", "book_staff_seances"}
    assert all(POLICIES[op].availability and POLICIES[op].fresh <= 30 for op in slots)
    assert all(p.fresh <= 60 for p in POLICIES.values() if p.availability)
    assert not any(POLICIES[op].availability for op in ("bookform", "i18n", "privacy_policy"))
