"""Phone numbers as Altegio takes them: international, with or without '+', spaces and dashes allowed."""

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_VALID = re.compile(r"^\+?\d{9,15}$")


def digits(phone: str) -> str:
    """The key a phone is compared by (blacklist, SMS codes, a user's records)."""
    return re.sub(r"\D", "", phone or "")


def is_valid(phone: object) -> bool:
    return isinstance(phone, str) and bool(_VALID.match(_SEPARATORS.sub("", phone)))


def normalized(phone: str) -> str:
    return "+" + digits(phone)
