"""Every string of the page in every locale it ships (en-US, lv-LV, de-DE), the embed script's too."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
LOCALES = ("en-US", "lv-LV", "de-DE")


def _shape(value):
    return "plural" if isinstance(value, dict) else "text"


def test_every_key_in_every_locale_with_its_placeholders():
    strings = {loc: json.loads((WEB / "i18n" / f"{loc}.json").read_text(encoding="utf-8")) for loc in LOCALES}
    keys = set(strings["en-US"])
    for loc in LOCALES:
        assert set(strings[loc]) == keys, (loc, set(strings[loc]) ^ keys)
        for key in keys:
            value, base = strings[loc][key], strings["en-US"][key]
            assert _shape(value) == _shape(base), (loc, key)
            text, base_text = (v.get("other", "") if isinstance(v, dict) else v for v in (value, base))
            assert text.strip(), (loc, key)
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", base_text)), (loc, key)
    assert {k for k in keys if k.startswith("consent.")} >= {"consent.title", "consent.text", "consent.yes"}


def test_the_embed_script_speaks_the_same_locales():
    src = (WEB / "embed.js").read_text(encoding="utf-8")
    table = re.search(r"const STR = \{(.*?)\n  \};", src, re.S).group(1)
    rows = dict(re.findall(r"'(\w\w-\w\w)': \{(.*?)\}", table))
    assert set(rows) == set(LOCALES)
    for loc, row in rows.items():
        assert sorted(re.findall(r"(\w+): '[^']+'", row)) == ["book", "close", "title"], loc
