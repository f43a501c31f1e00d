"""container.py: the layer's per-container state in one place, and the one reset."""

from __future__ import annotations

import pytest
from booking_gateway import budget, container, dynamo, masking
from booking_gateway.settings import get_settings


def test_a_slot_is_built_once_per_container_and_reset_forgets_every_slot(monkeypatch):
    first = get_settings()
    session = dynamo.session()
    limiter = budget._local()
    masking.register_secret("secret-value-1")
    assert get_settings() is first and dynamo.session() is session and budget._local() is limiter
    monkeypatch.setenv("UPSTREAM_PER_SECOND", "2")
    assert get_settings().upstream_per_second == 4  # read once, as Lambda keeps it

    container.reset()

    assert get_settings() is not first and get_settings().upstream_per_second == 2
    assert dynamo.session() is not session and budget._local() is not limiter
    assert masking.mask_text("x secret-value-1 y") == "x secret-value-1 y"  # learned values forgotten


def test_only_declared_slots_hold_state():
    with pytest.raises(KeyError, match="not a container slot"):
        container.get("somewhere.else", dict)
    with pytest.raises(KeyError, match="not container slots"):
        container.reset("somewhere.else")


def test_one_slot_can_be_forgotten_alone():
    settings, limiter = get_settings(), budget._local()
    container.reset("budget.local")
    assert budget._local() is not limiter and get_settings() is settings


def test_the_partner_tokens_provider_is_the_containers(monkeypatch):
    from booking_gateway import partner_token

    built = []

    class Provider:
        def get(self, name, **kwargs):
            return {"token": f"token-of-{name}"}

    monkeypatch.setattr(partner_token, "_provider", lambda: built.append(1) or Provider())
    assert partner_token.get_partner_token() == "token-of-unit/partner"
    partner_token.get_partner_token()
    container.reset()
    partner_token.get_partner_token()
    assert len(built) == 2  # one provider (client and cache) per container
