"""Sandbox Altegio: a stateful fake of Altegio's Online Booking API (all 24 operations) for tests,
the local stack and the benchmark.

    from sandbox import Sandbox, SandboxConfig
    with Sandbox(SandboxConfig(rate_limit=False)) as sb:   # 127.0.0.1, free port
        api = sb.api_base                                  # http://127.0.0.1:<port>/api/v1

    python -m sandbox --host 127.0.0.1 --port 8081 [--seed 1] [--no-rate-limit] ...

Headers: `Accept: application/vnd.api.v2+json` (or vnd.yclients.v2+json) and
`Authorization: Bearer sandbox-partner-token[, User <user token>]`; anything else gets 401.

Demo data (fixed ids; days off and existing appointments come from the seed; dates relative to today):
- Location 101 "Studio Riga" (Europe/Riga, EUR, 15-minute grid): bookform 1, SMS confirmation on,
  privacy policy. Services 10011 Women's haircut 60 min, 10012 Men's haircut 30, 10013 Hair colouring
  120, 10021 Manicure 45, 10022 Pedicure 60; 10099 is removed from online booking (438).
  Team: 1011 Anna (Mon-Fri), 1012 Jānis (Tue-Sat), 1013 Līga (Mon, Wed-Sat), 1014 Marta (Sun-Thu).
  Group event 7101 (in 3 days, 8 seats).
- Location 202 "Studio New York" (America/New_York, USD, 30-minute grid): bookform 2, no SMS
  confirmation, no privacy policy. Services 20011 Swedish massage 60 min, 20012 Deep tissue 90,
  20021 Facial 45, 20022 Express facial 30; 20099 removed (438).
  Team: 2021 James (Mon-Fri), 2022 Maria (Tue-Sat), 2023 Olivia (Sat-Mon, Wed), 2024 Peter (Wed-Sun).
  Group event 7201 (in 4 days, 6 seats).
- Each team member has a lunch break, one day off in 2-20 days; each location closes for a holiday
  in 8-14 days and is fully booked on one day in 2-7 days; 0-3 appointments per member a day for two weeks.
- Every day of the week someone provides each of 10011, 10012, 10021, 20011, 20021 and 20022, and no day
  off falls on today or tomorrow, so tomorrow is always bookable in both locations.
- SMS code "123456" (`sms_code`; None or `--sms-code random` = random, logged). A code counts only
  after POST book_code for that phone. Blacklisted phone (434): +10000000000.
- Online-booking account for POST booking/auth: login "demo" (or demo@sandbox.test or +37120000001),
  password "sandbox-pass". Review tokens for master_record_review: "review-101", "review-202".

Admin (no auth, never rate-limited): GET /__admin/health, GET /__admin/ledger[?since=<seq>] (requests,
appointments, record changes), GET|POST /__admin/config, POST /__admin/reset [{"config": true}],
GET /__admin/sms?phone=<phone>, GET|POST /__admin/clock, GET|POST /__admin/webhooks,
GET /__admin/webhooks/log[?since=<seq>], and the front desk: POST /__admin/front_desk/{location_id},
GET|PUT|DELETE /__admin/front_desk/{location_id}/{record_id} (frontdesk.py).

Webhooks (webhooks.py): every record change on any path (online booking, reschedule, cancel, group event,
front desk) is POSTed to the location's hooks_settings URLs as Altegio does, {company_id, resource:
"record", resource_id, status, data: the record}, by a background worker, with retries and knobs for
delay, duplicates, order and pause. Set the URLs with `--webhook-url URL` / $SANDBOX_WEBHOOK_URLS,
POST /__admin/webhooks {"urls": [...]}, SandboxConfig(webhook_urls=[...]), or per location with
GET|POST /api/v1/hooks_settings/{company_id} and `Authorization: Bearer sandbox-partner-token, User
sandbox-admin-user-token` (the administrator's user token).

Clock (clock.py): real time, or pinned (`--now`, SandboxConfig(now=...)) and moving on from there, or
frozen. POST /__admin/clock {"now": "2027-03-28T01:30:00+02:00", "frozen": false} pins it and rebuilds the
demo around that instant (a jump to another day; "rebuild": false keeps the world, the ledger is always
kept); {"advance_s": 90} lets time pass without rebuilding (codes expire, times go by, rate-limit and
fault windows move on); {"frozen": true} stops it where it is. POST /__admin/reset {"config": true} puts
the start-up clock back.
"""

from .config import FaultRule, SandboxConfig
from .server import Sandbox

__all__ = ["FaultRule", "Sandbox", "SandboxConfig"]
