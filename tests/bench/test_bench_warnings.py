"""The bench keeps no stack logs: its JSON names each warning, and for an exception its type and frame."""

import json
import logging

from aws_lambda_powertools import Logger

from bench.contenders import _warning


def _logged(capsys) -> dict:
    logger = Logger(service="bench-test", level=logging.WARNING)
    try:
        {}["missing"]
    except KeyError:
        logger.exception("unexpected error")
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_an_exception_is_named_with_its_innermost_frame(capsys):
    key = _warning(_logged(capsys))
    assert key.startswith("unexpected error [KeyError at test_bench_warnings.py:")
    assert key.endswith(" _logged]")


def test_a_plain_warning_is_its_message_cut_to_80_characters():
    assert _warning({"message": "budget table unavailable"}) == "budget table unavailable"
    assert _warning({"message": "x" * 200}) == "x" * 80
