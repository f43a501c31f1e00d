"""The sandbox's world: locations, services, team members, events, forms, users and records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from zoneinfo import ZoneInfo

Window = tuple[time, time]


@dataclass(frozen=True)
class Location:
    id: int
    title: str
    tz_name: str
    country_id: int
    country: str
    city_id: int
    city: str
    address: str
    phone: str
    lat: float
    lon: float
    site: str
    currency: str
    grid_minutes: int  # slot starts fall on this grid
    horizon_days: int  # how far ahead online booking is open
    default_length: int  # seconds; slot length when no service is chosen
    privacy_policy: str | None = None
    allow_delete_record: bool = True
    allow_change_record: bool = True

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)


@dataclass(frozen=True)
class Category:
    id: int
    location_id: int
    title: str
    weight: int


@dataclass(frozen=True)
class Service:
    id: int
    location_id: int
    category_id: int
    title: str
    length: int  # seconds
    price_min: float
    price_max: float
    weight: int
    comment: str = ""
    active: bool = True  # False: removed from online booking (book_check/book_record answer 438)
    group_only: bool = False  # booked through a group event only


@dataclass(frozen=True)
class StaffMember:
    id: int
    location_id: int
    name: str
    specialization: str
    position: tuple[int, str] | None
    rating: float
    votes_count: int
    comments_count: int
    weight: int
    information: str
    service_ids: frozenset[int]
    weekly: dict[int, tuple[Window, ...]]  # weekday (Mon=0) -> working windows; breaks are the gaps
    days_off: frozenset[date] = frozenset()

    def windows_on(self, day: date) -> tuple[Window, ...]:
        return () if day in self.days_off else self.weekly.get(day.weekday(), ())


@dataclass(frozen=True)
class Activity:
    """A group event: it occupies its team member and has a number of seats."""

    id: int
    location_id: int
    staff_id: int
    service_id: int
    title: str
    start: datetime
    length: int
    capacity: int


@dataclass(frozen=True)
class Bookform:
    id: int
    location_id: int
    lang: str
    langs: tuple[str, ...]
    phone_confirmation: bool
    show_privacy_policy: bool
    multiple_services: bool = False  # the visitor may book several services in one visit
    # the business's analytics ids, as the bookform names them ("" / None: not set)
    google_analytics_id: str = ""
    facebook_pixel_id: str = ""
    metrika_counter_id: int | None = None


@dataclass
class User:
    id: int
    name: str
    phone: str
    email: str
    login: str
    password: str | None


@dataclass
class Record:
    id: int
    hash: str
    location_id: int
    staff_id: int
    service_ids: tuple[int, ...]
    start: datetime  # aware, in the location's zone
    length: int
    client_name: str
    client_phone: str
    client_email: str = ""
    comment: str = ""
    master_requested: bool = True
    online: bool = True
    api_id: str = ""
    notify_by_sms: int = 0
    notify_by_email: int = 0
    custom_fields: dict = field(default_factory=dict)
    created: datetime | None = None
    changed: datetime | None = None
    deleted: bool = False
    attendance: int = 0
    activity_id: int = 0
    clients_count: int = 1
    review_token: str | None = None
    review_submitted: bool = False

    @property
    def start_ts(self) -> float:
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        return self.start.timestamp() + self.length


@dataclass
class World:
    """Everything the demo seeds. Records, users and codes change at run time (see state.py)."""

    locations: dict[int, Location]
    categories: dict[int, Category]
    services: dict[int, Service]
    staff: dict[int, StaffMember]
    activities: dict[int, Activity]
    bookforms: dict[int, Bookform]
    users: dict[int, User]
    records: list[Record]
    blacklist: frozenset[str]  # phone digits

    def phone_confirmation(self, location_id: int) -> bool:
        """A location asks for the SMS code when its booking form does."""
        return any(f.phone_confirmation for f in self.bookforms.values() if f.location_id == location_id)
