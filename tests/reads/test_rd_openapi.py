"""The committed OpenAPI document is what the handlers' own models generate, and the gateway serves it."""

from __future__ import annotations

import json

from rd_kit import http

from scripts import gen_openapi


def test_committed_document_matches_a_fresh_generation():
    assert gen_openapi.OUT.read_text() == gen_openapi.render(), "run: .venv/bin/python scripts/gen_openapi.py"


def test_document_covers_every_altegio_operation_and_is_served(local_stack):
    doc = json.loads(gen_openapi.OUT.read_text())
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    assert len(operations) == 24
    served = http(local_stack.api_base, "/openapi.json", None)
    assert served.status == 200 and json.loads(served.body) == doc
