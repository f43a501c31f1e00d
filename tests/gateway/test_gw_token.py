"""The partner token: rotation without redeploy after one 401, a clear 502 when refused, never leaked."""

from __future__ import annotations

import logging

from booking_gateway import observability


def test_rotation_is_picked_up_after_one_401(gateway):
    assert gateway.get("/bookform/1").status == 200  # the old token is cached in the container now
    gateway.sandbox.configure(partner_token="rotated-partner-token-0001")
    gateway.set_secret("rotated-partner-token-0001")
    answer = gateway.get("/bookform/2")
    assert answer.status == 200 and answer.headers["x-cache"] == "miss"
    assert [r["status"] for r in gateway.upstream("/bookform/2")] == [401, 200]
    assert gateway.get("/i18n/en-US").status == 200  # and it stays: no 401 on the next call
    assert [r["status"] for r in gateway.upstream("/i18n")] == [200]


def test_a_refused_token_is_a_clear_502_never_cached_never_leaked(gateway, capsys, caplog):
    # A warm container: the token was fetched (and registered for masking) at INFO. Its first fetch logs
    # the secret's body at DEBUG (botocore) unmasked: tests/unit/test_masking.py, the xfail.
    assert gateway.get("/bookform/1").status == 200
    caplog.set_level(logging.DEBUG)
    gateway.sandbox.configure(revoked_tokens=["sandbox-partner-token"])
    answer = gateway.get("/book_staff/202")
    assert answer.status == 502 and "retry-after" not in answer.headers
    assert answer.json()["meta"]["message"] == "The gateway could not authenticate with Altegio."
    assert [r["status"] for r in gateway.upstream("/book_staff")] == [401, 401]  # read again once, then stop
    assert not gateway.cache_items("c#book_staff#")
    observability.logger.info("token check", extra={"token": "sandbox-partner-token"})
    logs = capsys.readouterr().out + caplog.text
    assert "token check" in logs  # the line is there, masked
    assert "sandbox-partner-token" not in logs and "sandbox-partner-token" not in answer.body
