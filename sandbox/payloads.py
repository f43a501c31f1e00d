"""Objects shaped like Altegio's payloads: field names (`seance_*`), offsets in datetimes, `[]` for
empty objects where Altegio's PHP serialiser produces one."""

from __future__ import annotations

import zlib
from datetime import date, datetime

from .entities import Activity, Bookform, Category, Location, Record, Service, StaffMember, World

NO_AVATAR = "images/no-master.svg"


def iso(dt: datetime) -> str:
    """Slot datetimes: '2026-09-21T10:00:00-05:00'."""
    return dt.isoformat(timespec="seconds")


def iso_compact(dt: datetime) -> str:
    """Record datetimes come with a colon-less offset: '2026-10-24T17:30:00-0500'."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S%z")


def tz_hours(loc: Location, at: datetime) -> str:
    """`company.timezone` is a string of hours, e.g. "-5" or "2"."""
    hours = at.astimezone(loc.tz).utcoffset().total_seconds() / 3600
    return str(int(hours)) if hours.is_integer() else str(hours)


def by_month(dates: list[date]) -> dict[str, list[int]] | list:
    grouped: dict[str, list[int]] = {}
    for d in dates:
        grouped.setdefault(str(d.month), []).append(d.day)
    return grouped or []


def slot(loc: Location, start_ts: float, length: int) -> dict:
    start = datetime.fromtimestamp(start_ts, loc.tz)
    return {"time": f"{start:%H:%M}", "seance_length": length, "sum_length": length, "datetime": iso(start)}


def avatar(base_url: str, staff_id: int | None = None) -> str:
    return f"{base_url}images/avatar/{staff_id}.svg" if staff_id else base_url + NO_AVATAR


def service(s: Service) -> dict:
    return {
        "id": s.id,
        "title": s.title,
        "category_id": s.category_id,
        "price_min": s.price_min,
        "price_max": s.price_max,
        "discount": 0,
        "comment": s.comment,
        "weight": s.weight,
        "active": 1,
        "gender": 0,
        "image": "",
        "prepaid": "forbidden",
        "seance_length": s.length,
        "abonement_restriction": 0,
        "prepaid_settings": [],
        "is_composite": False,
        "is_chain": False,
        "images": [],
        "composite_details": None,
    }


def category(c: Category) -> dict:
    return {"id": c.id, "title": c.title, "gender": 0, "api_id": "0", "weight": c.weight}


def event(a: Activity, world: World, records_count: int, base_url: str) -> dict:
    """A group event in book_services' `events[]` (Altegio documents no shape; this is its activity
    object as the records API names it, plus `datetime` with the offset as slots carry it)."""
    loc, s, m = world.locations[a.location_id], world.services[a.service_id], world.staff[a.staff_id]
    return {
        "id": a.id,
        "title": a.title,
        "company_id": loc.id,
        "service_id": s.id,
        "staff_id": m.id,
        "date": f"{a.start:%Y-%m-%d %H:%M:%S}",
        "datetime": iso(a.start),
        "length": a.length,
        "capacity": a.capacity,
        "records_count": records_count,
        "service": {"id": s.id, "title": s.title, "price_min": s.price_min, "price_max": s.price_max},
        "staff": {
            "id": m.id,
            "name": m.name,
            "specialization": m.specialization,
            "avatar": avatar(base_url, m.id),
        },
    }


def position(m: StaffMember) -> dict | list:
    return {"id": m.position[0], "title": m.position[1]} if m.position else []


def staff_member(m: StaffMember, base_url: str, seance_date: date | None, schedule_till: date) -> dict:
    out = {
        "id": m.id,
        "api_id": None,
        "user_id": None,
        "name": m.name,
        "specialization": m.specialization,
        "position": position(m),
        "position_id": m.position[0] if m.position else 0,
        "bookable": seance_date is not None,
        "weight": m.weight,
        "show_rating": 1,
        "rating": m.rating,
        "votes_count": m.votes_count,
        "comments_count": m.comments_count,
        "avatar": avatar(base_url, m.id),
        "avatar_big": avatar(base_url, m.id),
        "information": m.information,
        "seances": [],
        "schedule_till": schedule_till.isoformat(),
        "fired": 0,
        "status": 0,
        "hidden": 0,
        "prepaid": "forbidden",
        "image_group": [],
        "has_access_timetable": False,
    }
    if seance_date is not None:
        out["seance_date"] = seance_date.isoformat()
    return out


def company(loc: Location, at: datetime) -> dict:
    return {
        "id": loc.id,
        "title": loc.title,
        "country_id": loc.country_id,
        "country": loc.country,
        "city_id": loc.city_id,
        "city": loc.city,
        "phone": loc.phone,
        "phones": [loc.phone],
        "timezone": tz_hours(loc, at),
        "timezone_name": loc.tz_name,
        "address": loc.address,
        "coordinate_lat": loc.lat,
        "coordinate_lon": loc.lon,
        "allow_delete_record": loc.allow_delete_record,
        "allow_change_record": loc.allow_change_record,
        "site": loc.site,
        "currency_short_title": loc.currency,
        "allow_change_record_delay_step": 0,
        "allow_delete_record_delay_step": 0,
    }


def _record_staff(m: StaffMember, base_url: str) -> dict:
    return {
        "id": m.id,
        "name": m.name,
        "specialization": m.specialization,
        "position": position(m),
        "show_rating": 1,
        "rating": m.rating,
        "votes_count": m.votes_count,
        "avatar": avatar(base_url, m.id),
        "comments_count": m.comments_count,
    }


def record(r: Record, world: World, base_url: str) -> dict:
    loc = world.locations[r.location_id]
    services = [world.services[i] for i in r.service_ids]
    return {
        "id": r.id,
        "services": [
            {
                "id": s.id,
                "title": s.title,
                "cost": s.price_min,
                "price_min": s.price_min,
                "price_max": s.price_max,
                "discount": 0,
                "amount": 1,
                "seance_length": s.length,
            }
            for s in services
        ],
        "company": company(loc, r.start),
        "staff": _record_staff(world.staff[r.staff_id], base_url),
        "clients_count": r.clients_count,
        "date": f"{r.start:%Y-%m-%d %H:%M:%S}",
        "datetime": iso_compact(r.start),
        "create_date": iso_compact(r.created or r.start),
        "comment": r.comment,
        "deleted": r.deleted,
        "attendance": r.attendance,
        "length": r.length,
        "notify_by_sms": r.notify_by_sms,
        "notify_by_email": r.notify_by_email,
        "master_requested": r.master_requested,
        "online": r.online,
        "api_id": r.api_id,
        "last_change_date": iso_compact(r.changed or r.start),
        "prepaid": False,
        "prepaid_confirmed": False,
        "activity_id": r.activity_id,
        "custom_fields": r.custom_fields or [],
    }


def client_id(phone: str) -> int:
    """The sandbox keeps no client cards: a stable id from the phone's digits stands in (0: no phone)."""
    digits = "".join(c for c in phone if c.isdigit())
    return zlib.crc32(digits.encode()) % 100_000_000 if digits else 0


def hook_record(r: Record, world: World) -> dict:
    """A record as Altegio's records API reads it (B2B `GET /record/{company_id}/{record_id}`): what a
    webhook carries in `data`. The team member is named by `staff_id` and `staff` (no avatar links)."""
    member = world.staff[r.staff_id]
    return {
        "id": r.id,
        "company_id": r.location_id,
        "staff_id": r.staff_id,
        "services": [
            {
                "id": s.id,
                "title": s.title,
                "cost": s.price_min,
                "manual_cost": s.price_min,
                "cost_per_unit": s.price_min,
                "discount": 0,
                "first_cost": s.price_min,
                "amount": 1,
            }
            for s in (world.services[i] for i in r.service_ids)
        ],
        "staff": {"id": member.id, "name": member.name, "specialization": member.specialization},
        "client": {
            "id": client_id(r.client_phone),
            "name": r.client_name,
            "phone": r.client_phone,
            "email": r.client_email,
        },
        "clients_count": r.clients_count,
        "date": f"{r.start:%Y-%m-%d %H:%M:%S}",
        "datetime": iso(r.start),
        "create_date": iso_compact(r.created or r.start),
        "comment": r.comment,
        "online": r.online,
        "visit_attendance": r.attendance,
        "attendance": r.attendance,
        "confirmed": 1,
        "seance_length": r.length,
        "length": r.length,
        "master_request": int(r.master_requested),
        "api_id": r.api_id,
        "deleted": r.deleted,
        "activity_id": r.activity_id,
        "last_change_date": iso_compact(r.changed or r.start),
        "custom_fields": r.custom_fields or [],
    }


def rescheduled(r: Record, world: World, base_url: str) -> dict:
    """PUT book_record's answer: a shorter record, and the team member's specialization is `spec`."""
    full = record(r, world, base_url)
    staff = full["staff"]
    staff["spec"] = staff.pop("specialization")
    staff.pop("position")
    keep = (
        "id",
        "company",
        "staff",
        "create_date",
        "comment",
        "deleted",
        "length",
        "notify_by_sms",
        "notify_by_email",
        "master_requested",
        "online",
        "api_id",
        "datetime",
    )
    out = {k: full[k] for k in keep}
    out["services"] = [{k: s[k] for k in ("id", "title", "cost", "discount")} for s in full["services"]]
    out["date"] = iso(r.start)
    return out


def bookform(form: Bookform, world: World) -> dict:
    loc = world.locations[form.location_id]
    titles = {"en-US": "English", "lv-LV": "Latviešu valoda", "de-DE": "Deutsch"}
    lang_ids = {"en-US": 2, "lv-LV": 4, "de-DE": 11}
    steps = [
        {"step": "service", "title": "Choose a service", "num": 1, "hidden": False, "default": 0},
        {"step": "master", "title": "Choose a team member", "num": 2, "hidden": False, "default": -1},
        {
            "step": "datetime",
            "title": "Pick a date and time",
            "num": 3,
            "hidden": False,
            "date_hidden": False,
            "time_hidden": False,
            "date_default": "",
            "time_default": 0,
        },
        {"step": "contact", "title": "Your details", "num": 4, "hidden": False, "default": 0},
        {"step": "comfirm", "title": "Confirm", "num": 5, "hidden": False, "default": 0},
    ]
    return {
        "id": form.id,
        "url": f"https://b{form.id}.sandbox.example",
        "steps": steps,
        "style": {
            "show_header": True,
            "logo": "",
            "header_background": "",
            "menu_background": "",
            "main_color": "#1F6F5C",
            "secondary_color": "#999999",
            "buttons_color": "#FFFFFF",
            "header_background_new": [],
        },
        "group_id": 0,
        "company_id": loc.id,
        "phone_confirmation": form.phone_confirmation,
        "lang": form.lang,
        "langs": [{"id": lang_ids[c], "code": c, "title": titles[c]} for c in form.langs],
        "comment_required": False,
        "google_analytics_id": form.google_analytics_id,
        "facebook_pixel_id": form.facebook_pixel_id,
        "metrika_counter_id": form.metrika_counter_id,
        "app_metrika_id": None,
        "sms_enabled": form.phone_confirmation,
        "is_show_privacy_policy": form.show_privacy_policy,
        # Not in Altegio's documented settings: the sandbox's switch for several services per visit.
        "multiple_services": form.multiple_services,
        "is_client_agreements_feature_enabled": False,
        "specialization_display_mode": 0,
        "sequence_type": "steps",
        "weekly_view_enabled": False,
        "is_online_sale_available": False,
        "legal_info": None,
    }
