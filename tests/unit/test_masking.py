"""masking.py: keys, values and patterns; the Powertools formatter and the stdlib filter."""

import io
import json
import logging

from aws_lambda_powertools import Logger
from booking_gateway import masking
from booking_gateway.masking import MaskingFilter, MaskingFormatter, mask_text, mask_value, redact

PHONE, NAME, EMAIL = "+37120000001", "Ilze Bērziņa", "ilze.berzina@example.com"
TOKEN, HASH = "8e88338d3149f7d8a281af25", "6ec9d28663ca828dd5f4b3b2e4b06ce6"


def test_mask_value_keeps_only_edges():
    assert mask_value(PHONE) == "+3********01"
    assert mask_value("abc") == "***"
    assert mask_value(PHONE, keep=0) == "***"


def test_redact_by_key_nested():
    out = redact(
        {
            "phone": PHONE,
            "fullname": NAME,
            "email": EMAIL,
            "code": "123456",
            "password": "pw-secret",
            "user_token": TOKEN,
            "record_hash": HASH,
            "Authorization": f"Bearer partner, User {TOKEN}",
            "appointments": [{"id": 1, "staff_id": 0, "datetime": "2026-09-21T10:00:00+03:00"}],
            "meta": {"errors": [{"code": 433, "message": "taken"}]},
            "x-api-key": "k" * 30,
            "nested": {"login": "demo@sandbox.test", "new_password": "p" * 10},
        }
    )
    text = json.dumps(out, ensure_ascii=False)
    for secret in (
        PHONE,
        NAME,
        EMAIL,
        "123456",
        "pw-secret",
        TOKEN,
        HASH,
        "k" * 30,
        "demo@sandbox.test",
        "p" * 10,
    ):
        assert secret not in text
    assert out["meta"]["errors"][0]["code"] == 433  # Altegio's error codes stay readable
    assert out["appointments"][0]["datetime"] == "2026-09-21T10:00:00+03:00"


def test_patterns_in_free_text():
    text = mask_text(
        f"GET /api/v1/book_record/101/3000001/{HASH} and DELETE /api/v1/user/records/3000001/{HASH} "
        f"/master_record_review/review-101 Authorization: Bearer sandbox-partner-token, User {TOKEN} "
        f'phone={PHONE.replace("+", "%2B")}&company_id=101 body {{"phone": "{PHONE}", "fullname": "{NAME}", '
        f'"code": "123456"}} mail {EMAIL} tel +1 (315) 555-0175 bare 13155550175 '
        f"at 2026-09-21T10:00:00+03:00 record 3000001 location 101"
    )
    for secret in (
        HASH,
        "review-101",
        "sandbox-partner-token",
        TOKEN,
        PHONE,
        NAME,
        "123456",
        EMAIL,
        "555-0175",
        "13155550175",
        "2B37120000001",
    ):
        assert secret not in text, secret
    for kept in ("2026-09-21T10:00:00+03:00", "record 3000001", "location 101", "company_id=101"):
        assert kept in text


def test_registered_secrets_are_masked_anywhere():
    masking.register_secret("partner-XYZ-token")
    assert "partner-XYZ-token" not in mask_text("token=partner-XYZ-token; again partner-XYZ-token.")
    masking.register_secret("abcd")  # too short to be masked safely: ignored
    assert mask_text("abcd") == "abcd"


def test_powertools_formatter_masks_every_line():
    masking.register_personal({"fullname": NAME, "appointments": [{"id": 1}], "code": "654321"})
    stream = io.StringIO()
    log = Logger(
        service="wr-masking",
        logger_formatter=MaskingFormatter(),
        logger_handler=logging.StreamHandler(stream),
    )
    log.append_keys(phone=PHONE)
    log.info(
        f"booking for {NAME} <{EMAIL}> with User {TOKEN}",
        extra={"body": {"fullname": NAME, "code": "654321"}},
    )
    try:
        raise ValueError(f"upstream said no to {PHONE}")
    except ValueError:
        log.exception("failed")
    out = stream.getvalue()
    for secret in (PHONE, EMAIL, TOKEN, "654321", NAME):
        assert secret not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["service"] == "wr-masking" and lines[0]["level"] == "INFO"
    assert "exception" in lines[1]


def test_stdlib_filter_masks_message_args_extras_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s %(phone)s %(exc_text)s"))
    masking.install_filter([handler])
    masking.install_filter([handler])  # once only
    assert sum(isinstance(f, MaskingFilter) for f in handler.filters) == 1
    log = logging.getLogger("wr-masking-std")
    log.propagate = False
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"hash {HASH}")
        except RuntimeError:
            log.error("user %s cancelled", TOKEN, extra={"phone": PHONE}, exc_info=True)
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert TOKEN not in out and PHONE not in out and HASH not in out
    assert "cancelled" in out


def test_keys_inside_an_escaped_json_string_are_masked():
    # botocore's "Response body:" line: the bytes' repr, so the inner quotes are printed as \\"
    line = r"""b'{"Name": "x", "SecretString": "{\\"token\\": \\"partner-secret-1\\", \\"n\\": 1}"}'"""
    masked = mask_text(line)
    assert "partner-secret-1" not in masked
    assert masked.endswith(r"""\\"***\\", \\"n\\": 1}"}'""")  # only the secret's value goes
    single = mask_text('{"SecretString": "{\\"partner_token\\": \\"partner-secret-2\\"}"}')
    assert "partner-secret-2" not in single, single
