"""The hostile-input corpus: for every operation, requests that must be refused with a clear 4xx before
anything reaches Altegio or the cache.

Each operation has a valid shape (SHAPES); `cases(op)` mutates one thing at a time:
- path parameters: traversal, encoded and double-encoded slashes, backslashes, NUL, CR/LF, huge,
  negative, fractional, hexadecimal and non-ASCII digits, over-long tokens, unicode and control characters;
- query: unknown parameters (cache busting), repeated single-valued parameters, 21 and 10 000
  `service_ids[]`, bad ids in it, invalid and impossible dates, reversed and over-long date ranges;
- body: wrong content types, malformed JSON, JSON that is not an object, NaN, deeply nested JSON,
  bodies over the gateway's limit and over API Gateway's, invalid UTF-8, lone surrogates, control
  characters and non-ASCII digits in fields;
- headers: CR/LF and non-ASCII in Authorization and Idempotency-Key, two user tokens, an over-long
  token, Accept that is not JSON.

`via` says how a case is sent: "http" through the local API Gateway's socket; "inproc" straight into
its request handler (devstack.apigw.Gateway) for what an HTTP client refuses to put on the wire
(CR/LF in a header) or what API Gateway's front door refuses before the function (a 150 KB URL):
defence in depth, the function's own answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

USER = "User 8e88338d3149f7d8a281af25"
HASH = "6ec9d28663ca828dd5f4b3b2e4b06ce6"
SLOT = "2026-12-01T10:00:00-05:00"
GATEWAY_LIMIT = 16 * 1024  # booking_gateway.write_models.MAX_BODY_BYTES
FRONT_DOOR_LIMIT = 10 * 1024 * 1024  # API Gateway's payload limit (devstack.httpd.MAX_BODY)


@dataclass(frozen=True)
class Shape:
    method: str
    template: str  # under /api/v1, with {param}s
    params: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # param -> id | date | lang | token
    query: str = ""
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def path(self, **override: str) -> str:
        values = {**self.params, **override}
        out = self.template
        for name, value in values.items():
            out = out.replace("{" + name + "}", value)
        return out


@dataclass
class Case:
    op: str
    what: str
    method: str
    path: str  # under /api/v1, already percent-encoded, query included
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    via: str = "http"
    expect: tuple[int, ...] = ()  # specific statuses, or any 4xx when empty

    def __str__(self) -> str:
        return f"{self.op}: {self.what}"


CACHED = {
    "bookform",
    "i18n",
    "privacy_policy",
    "book_services",
    "book_staff",
    "book_staff_seances",
    "book_dates",
    "book_times",
}


def shapes(tomorrow: str) -> dict[str, Shape]:
    booking = {
        "phone": "+19175550101",
        "fullname": "Alex Morgan",
        "email": "alex@example.com",
        "appointments": [{"id": 1, "services": [20011], "staff_id": 2021, "datetime": SLOT}],
    }
    user = {"Authorization": USER}
    return {
        "bookform": Shape("GET", "bookform/{id}", {"id": "2"}, {"id": "id"}),
        "i18n": Shape("GET", "i18n/{lang_code}", {"lang_code": "en-US"}, {"lang_code": "lang"}),
        "privacy_policy": Shape(
            "GET", "privacy_policy/{location_id}", {"location_id": "101"}, {"location_id": "id"}
        ),
        "book_services": Shape(
            "GET", "book_services/{location_id}", {"location_id": "202"}, {"location_id": "id"}
        ),
        "book_staff": Shape(
            "GET",
            "book_staff/{location_id}",
            {"location_id": "202"},
            {"location_id": "id"},
            "service_ids[]=20011",
        ),
        "book_staff_seances": Shape(
            "GET",
            "book_staff_seances/{location_id}/{team_member_id}",
            {"location_id": "202", "team_member_id": "2021"},
            {"location_id": "id", "team_member_id": "id"},
            "service_ids[]=20011",
        ),
        "book_dates": Shape(
            "GET",
            "book_dates/{location_id}",
            {"location_id": "202"},
            {"location_id": "id"},
            "service_ids[]=20011",
        ),
        "book_times": Shape(
            "GET",
            "book_times/{location_id}/{team_member_id}/{date}",
            {"location_id": "202", "team_member_id": "0", "date": tomorrow},
            {"location_id": "id", "team_member_id": "id", "date": "date"},
            "service_ids[]=20011",
        ),
        "book_record_get": Shape(
            "GET",
            "book_record/{location_id}/{record_id}/{record_hash}",
            {"location_id": "101", "record_id": "3000001", "record_hash": HASH},
            {"location_id": "id", "record_id": "id", "record_hash": "token"},
        ),
        "user_records_get": Shape(
            "GET",
            "user/records/{record_id}/{record_hash}",
            {"record_id": "3000001", "record_hash": HASH},
            {"record_id": "id", "record_hash": "token"},
        ),
        "booking_user_data": Shape("GET", "booking/user/data", headers=user),
        "master_record_review_get": Shape(
            "GET",
            "master_record_review/{record_token}",
            {"record_token": "review-202"},
            {"record_token": "token"},
        ),
        "book_code": Shape(
            "POST",
            "book_code/{location_id}",
            {"location_id": "101"},
            {"location_id": "id"},
            body={"phone": "+37120000001"},
        ),
        "book_check": Shape(
            "POST",
            "book_check/{location_id}",
            {"location_id": "202"},
            {"location_id": "id"},
            body={"appointments": booking["appointments"]},
        ),
        "book_record": Shape(
            "POST",
            "book_record/{location_id}",
            {"location_id": "202"},
            {"location_id": "id"},
            body=booking,
            headers={"Idempotency-Key": "hostile-corpus-key"},
        ),
        "book_record_put": Shape(
            "PUT",
            "book_record/{location_id}/{record_id}",
            {"location_id": "202", "record_id": "3000001"},
            {"location_id": "id", "record_id": "id"},
            body={"datetime": SLOT},
            headers=user,
        ),
        "activity_book": Shape(
            "POST",
            "activity/{location_id}/{event_id}/book",
            {"location_id": "202", "event_id": "7201"},
            {"location_id": "id", "event_id": "id"},
            body={"fullname": "Alex Morgan", "phone": "+19175550102", "email": "alex@example.com"},
        ),
        "user_auth": Shape("POST", "user/auth", body={"phone": "+37120000001", "code": "123456"}),
        "booking_auth": Shape("POST", "booking/auth", body={"login": "demo", "password": "sandbox-pass"}),
        "booking_user_put": Shape("PUT", "booking/user", body={"name": "Demo Visitor"}, headers=user),
        "booking_user_password": Shape(
            "PUT",
            "booking/user/password",
            body={"old_password": "a-secret", "new_password": "b-secret"},
            headers=user,
        ),
        "booking_user_phone_confirmation": Shape(
            "GET",
            "booking/user/phone_confirmation",
            query="company_id=101&phone=%2B37120000002",
            headers=user,
        ),
        "master_record_review_post": Shape(
            "POST",
            "master_record_review/{record_token}",
            {"record_token": "review-202"},
            {"record_token": "token"},
            body={"rating": 5, "text": "Great"},
        ),
        "user_records_delete": Shape(
            "DELETE",
            "user/records/{record_id}/{record_hash}",
            {"record_id": "3000001", "record_hash": HASH},
            {"record_id": "id", "record_hash": "token"},
        ),
    }


# -- path parameters ------------------------------------------------------------------------------------
def _enc(text: str) -> str:
    return quote(text, safe="")


TRAVERSAL = {
    "dot-dot": "..",
    "encoded traversal to the sandbox admin": _enc("../../../__admin/reset"),
    "encoded dot-dot-slash": "%2e%2e%2f%2e%2e%2f__admin",
    "encoded slash": "1%2F2",
    "double-encoded slash": "1%252F2",
    "backslash traversal": _enc("..\\..\\__admin"),
    "NUL": "1%00",
    "CR/LF": "1%0d%0aX-Injected:%201",
    "query smuggling": _enc("1?admin=1#"),
}
BAD_IDS = {
    "huge id (2^63)": str(2**63),
    "huge id (10^30)": "1" + "0" * 30,
    "negative id": "-1",
    "exponent id": "1e3",
    "hex id": "0x65",
    "id with spaces": "%20101%20",
    "Arabic-Indic digits": _enc("١٠١"),
    "full-width digits": _enc("１０１"),
    "emoji": _enc("🙂"),
}
BAD_DATES = {
    "impossible date": "2026-02-30",
    "month 13": "2026-13-01",
    "day zero": "2026-12-00",
    "year zero": "0000-01-01",
    "short form": "2026-1-1",
    "datetime": "2026-12-01T10:00",
    "words": "tomorrow",
    "non-ASCII digits": _enc("٢٠٢٦-١٢-٠١"),
}
BAD_TOKENS = {
    "too long": "a" * 200,
    "unicode": _enc("héllo-wörld"),
    "right-to-left override": _enc("abc\u202edef"),
    "space": "abc%20def",
    "quote": _enc('abc"def'),
}
BAD_LANGS = {
    "unicode": _enc("ĕn-US"),
    "control": "en-US%00",
    "too long": "en-US-" + "x" * 100,
    "script injection": _enc("<script>"),
}


def _path_cases(op: str, shape: Shape) -> list[Case]:
    out = []
    query = f"?{shape.query}" if shape.query else ""
    body = json.dumps(shape.body).encode() if shape.body is not None else None
    for name, kind in shape.kinds.items():
        variants = dict(TRAVERSAL)
        variants.update({"id": BAD_IDS, "date": BAD_DATES, "token": BAD_TOKENS, "lang": BAD_LANGS}[kind])
        if kind == "id" and name == "location_id":
            variants["location zero"] = "0"
        for what, value in variants.items():
            out.append(
                Case(
                    op,
                    f"{name}: {what}",
                    shape.method,
                    shape.path(**{name: value}) + query,
                    _json_headers(shape),
                    body,
                )
            )
    return out


def _json_headers(shape: Shape) -> dict[str, str]:
    headers = dict(shape.headers)
    if shape.body is not None:
        headers["Content-Type"] = "application/json"
    return headers


# -- query ------------------------------------------------------------------------------------------------
def _query_cases(op: str, shape: Shape) -> list[Case]:
    if shape.method != "GET":
        return []
    base = shape.path()
    q = shape.query
    sep = "&" if q else ""
    cases = []
    if op in CACHED:  # unknown parameters would make new cache keys
        cases += [
            ("unknown parameter (cache busting)", f"{q}{sep}cachebuster=1", "http"),
            ("unknown parameter with a traversal", f"{q}{sep}{_enc('../x')}=1", "http"),
        ]
    if "service_ids[]" in q:
        ids = "&".join("service_ids[]=20011" for _ in range(10_000))
        many = "&".join(f"service_ids[]={20000 + i}" for i in range(21))
        cases += [
            ("10 000 service_ids[] (through the front door: 414)", ids, "http"),
            ("10 000 service_ids[] (the function itself)", ids, "inproc"),
            ("21 service_ids[]", many, "http"),
            ("negative service id", "service_ids[]=-5", "http"),
            ("zero service id", "service_ids[]=0", "http"),
            ("huge service id", "service_ids[]=99999999999999999999", "http"),
            ("service id not a number", "service_ids[]=abc", "http"),
            ("service id with traversal", "service_ids[]=" + _enc("../1"), "http"),
            ("service id in full-width digits", "service_ids[]=" + _enc("２００１１"), "http"),
            ("service id with NUL", "service_ids[]=20011%00", "http"),
        ]
    if op in ("book_services", "book_staff", "book_staff_seances"):
        cases += [
            ("impossible datetime", f"{q}{sep}datetime=2026-02-30T10:00:00", "http"),
            ("datetime that is not one", f"{q}{sep}datetime=not-a-date", "http"),
            ("datetime with CR/LF", f"{q}{sep}datetime=2026-12-01%0d%0aX:1", "http"),
        ]
    if op in ("book_services", "book_dates"):
        cases += [
            ("staff_id twice", f"{q}{sep}staff_id=1&staff_id=2", "http"),
            ("negative staff_id", f"{q}{sep}staff_id=-1", "http"),
        ]
    if op == "book_dates":
        cases += [
            ("impossible date", f"{q}&date=2026-02-30", "http"),
            ("date_from without date_to", f"{q}&date_from=2026-12-01", "http"),
            ("reversed range", f"{q}&date_from=2026-12-10&date_to=2026-12-01", "http"),
            ("range of ten years", f"{q}&date_from=2026-01-01&date_to=2036-01-01", "http"),
            ("date in words", f"{q}&date=today", "http"),
        ]
    if op == "booking_user_phone_confirmation":
        cases += [
            ("phone with CR/LF", "company_id=101&phone=%2B3712000%0d%0aX:1", "http"),
            (
                "phone in full-width digits",
                "company_id=101&phone=" + _enc("＋３７１２００００００２"),
                "http",
            ),
            ("phone with letters", "company_id=101&phone=%2B3712000abcd", "http"),
            ("location not a number", "company_id=abc&phone=%2B37120000002", "http"),
            ("huge location", "company_id=99999999999999999999&phone=%2B37120000002", "http"),
        ]
    return [
        Case(op, f"query: {what}", "GET", f"{base}?{query}", dict(shape.headers), None, via)
        for what, query, via in cases
    ]


# -- body -------------------------------------------------------------------------------------------------
def _nested(depth: int) -> bytes:
    return b'{"appointments": ' + b"[" * depth + b"]" * depth + b"}"


def _body_cases(op: str, shape: Shape) -> list[Case]:
    if shape.body is None:
        return []
    path = shape.path()
    valid = json.dumps(shape.body).encode()
    hdrs = dict(shape.headers)

    def case(
        what: str, body: bytes | None, content_type: str | None = "application/json", via="http", expect=()
    ):
        headers = dict(hdrs)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return Case(op, f"body: {what}", shape.method, path, headers, body, via, expect)

    padded = dict(shape.body)
    padded["comment"] = "x" * (GATEWAY_LIMIT + 1)
    out = [
        case("text/plain", valid, "text/plain", expect=(415,)),
        case(
            "form-encoded",
            b"phone=%2B37120000001&code=123456",
            "application/x-www-form-urlencoded",
            expect=(415,),
        ),
        case(
            "multipart",
            b'--b\r\nContent-Disposition: form-data; name="phone"\r\n\r\n1\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            expect=(415,),
        ),
        case("XML", b"<booking><phone>+37120000001</phone></booking>", "application/xml", expect=(415,)),
        case("truncated JSON", valid[: len(valid) // 2]),
        case("single quotes", valid.replace(b'"', b"'")),
        case("trailing comma", valid[:-1] + b",}"),
        case("two documents", valid + valid),
        case("JSON array", b"[" + valid + b"]"),
        case("JSON string", b'"hello"'),
        case("JSON null", b"null"),
        case("JSON number", b"12345"),
        case(
            "NaN",
            b'{"rating": NaN, "phone": NaN, "appointments": NaN, "datetime": NaN, "name": NaN, "login": NaN}',
        ),
        case("empty", b""),
        case("whitespace only", b"   \n\t "),
        case("invalid UTF-8", b'{"phone": "\xff\xfe\xfd"}'),
        case("UTF-16", json.dumps(shape.body).encode("utf-16"), "application/json; charset=utf-16"),
        case("nested 900 deep", _nested(900)),
        case("nested 5 000 deep", _nested(5_000)),
        case("nested 100 000 deep (over the limit)", _nested(100_000), expect=(413,)),
        case(f"over the gateway's {GATEWAY_LIMIT} bytes", json.dumps(padded).encode(), expect=(413,)),
        case("1 MB", b'{"comment": "' + b"x" * 1_000_000 + b'"}', expect=(413,)),
        case(
            "over API Gateway's 10 MB",
            b'{"comment": "' + b"x" * (FRONT_DOOR_LIMIT + 10) + b'"}',
            expect=(413,),
        ),
    ]
    for key, value in shape.body.items():
        if not isinstance(value, str) or key in ("password", "old_password", "new_password"):
            continue
        for what, bad in (
            ("NUL", value[:3] + "\u0000" + value[3:]),
            ("escape sequence", "\u001b[2J\u001b[31m" + value),
            ("lone surrogate", None),
            ("backspace", value + "\u0008\u0008"),
        ):
            raw = json.dumps({**shape.body, key: bad}).encode() if bad is not None else None
            if raw is None:  # json.dumps would refuse it: written by hand, as a hostile client would
                raw = json.dumps({**shape.body, key: "@@@"}).encode().replace(b'"@@@"', b'"\\ud800x"')
            out.append(case(f"{key} with {what}", raw))
        if key == "phone":
            for what, bad in (
                ("full-width digits", "＋１９１７５５５０１０１"),
                ("Arabic-Indic digits", "+١٩١٧٥٥٥٠١٠١"),
                ("CR/LF", "+1917555\r\n0101"),
            ):
                out.append(case(f"phone with {what}", json.dumps({**shape.body, "phone": bad}).encode()))
        if key == "email":
            out.append(
                case(
                    "email with CR/LF header injection",
                    json.dumps({**shape.body, "email": "a@b.co\r\nBcc: x@y.z"}).encode(),
                )
            )
    if "appointments" in shape.body:
        bad_times = {
            "impossible datetime": "2026-02-30T10:00:00-05:00",
            "hour 25": "2026-12-01T25:00:00-05:00",
            "no offset": "2026-12-01T10:00:00",
            "words": "next tuesday",
        }
        for what, when in bad_times.items():
            appts = [{**shape.body["appointments"][0], "datetime": when}]
            out.append(
                case(f"appointment {what}", json.dumps({**shape.body, "appointments": appts}).encode())
            )
        many = [{**shape.body["appointments"][0], "id": i} for i in range(1, 1001)]
        out.append(case("1 000 appointments", json.dumps({**shape.body, "appointments": many}).encode()))
        services = [{**shape.body["appointments"][0], "services": list(range(1, 10_001))}]
        out.append(case("10 000 services", json.dumps({**shape.body, "appointments": services}).encode()))
    if "datetime" in shape.body:
        for what, when in (("impossible datetime", "2026-02-30T10:00:00-05:00"), ("words", "soon")):
            out.append(case(f"datetime {what}", json.dumps({**shape.body, "datetime": when}).encode()))
    return out


# -- headers ----------------------------------------------------------------------------------------------
def _header_cases(op: str, shape: Shape) -> list[Case]:
    path = shape.path() + (f"?{shape.query}" if shape.query else "")
    body = json.dumps(shape.body).encode() if shape.body is not None else None
    base = _json_headers(shape)
    out = [
        Case(
            op,
            "headers: Accept text/html",
            shape.method,
            path,
            {**base, "Accept": "text/html"},
            body,
            expect=(406,),
        )
    ]
    if "Authorization" in shape.headers:
        for what, value, via in (
            ("Authorization with CR/LF", f"{USER}\r\nX-Injected: 1", "inproc"),
            ("Authorization with two user tokens", f"{USER}, User 0123456789abcdef", "http"),
            ("Authorization with a 600-character token", "User " + "a" * 600, "http"),
            ("Authorization with non-ASCII", "User 8e88338d3149f7d8a281aé", "inproc"),
            ("Authorization with a NUL", f"{USER}\u0000x", "inproc"),
            ("Authorization that is only 'User'", "User", "http"),
            ("Authorization that is only 'User ,'", "User ,", "http"),
        ):
            out.append(
                Case(
                    op,
                    f"headers: {what}",
                    shape.method,
                    path,
                    {**base, "Authorization": value},
                    body,
                    via,
                    (401,),
                )
            )
    if "Idempotency-Key" in shape.headers:
        for what, value, via in (
            ("Idempotency-Key with CR/LF", "key\r\nX-Injected: 1", "inproc"),
            ("Idempotency-Key with a space", "two words", "http"),
            ("Idempotency-Key of 300 characters", "k" * 300, "http"),
            ("Idempotency-Key non-ASCII", "clé-1", "inproc"),
            ("Idempotency-Key with a NUL", "key\u0000", "inproc"),
        ):
            out.append(
                Case(
                    op,
                    f"headers: {what}",
                    shape.method,
                    path,
                    {**base, "Idempotency-Key": value},
                    body,
                    via,
                    (400,),
                )
            )
    return out


def cases(op: str, tomorrow: str) -> list[Case]:
    shape = shapes(tomorrow)[op]
    return (
        _path_cases(op, shape) + _query_cases(op, shape) + _body_cases(op, shape) + _header_cases(op, shape)
    )
