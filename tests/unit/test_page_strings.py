"""The page's strings: every key in every locale (en-US, lv-LV, de-DE), for the first load and for the
screens loaded on demand (i18n/more/), plural forms complete, and every key the modules name exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
LOCALES = ("en-US", "lv-LV", "de-DE")
SETS = {"first load": WEB / "i18n", "on demand": WEB / "i18n" / "more"}


def strings(folder: Path, locale: str) -> dict:
    return json.loads((folder / f"{locale}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SETS)
def test_every_locale_has_every_key(name):
    keys = {loc: set(strings(SETS[name], loc)) for loc in LOCALES}
    for loc in LOCALES[1:]:
        assert keys[loc] == keys["en-US"], (loc, keys[loc] ^ keys["en-US"])


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_forms_have_other_and_placeholders_match(locale):
    for folder in SETS.values():
        en, mine = strings(folder, "en-US"), strings(folder, locale)
        for key, value in mine.items():
            forms = value if isinstance(value, dict) else {"other": value}
            assert "other" in forms, (locale, key)
            base = en[key]["other"] if isinstance(en[key], dict) else en[key]
            want = set(re.findall(r"\{(\w+)\}", base)) - {"n", "count"}
            for text in forms.values():
                assert want <= set(re.findall(r"\{(\w+)\}", text)), (locale, key, text)


def test_every_key_the_modules_name_exists():
    known = set(strings(SETS["first load"], "en-US")) | set(strings(SETS["on demand"], "en-US"))
    named = set()
    for js in WEB.glob("*.js"):
        code = "\n".join(
            ln for ln in js.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("//")
        )
        named |= set(re.findall(r"\bt\('([\w.]+)'", code))
    # keys built at run time: t(`step.${n}`), t(`cal.${s}`), t(`err.${code}`), t(`slots.${part}`)
    assert named - known == set()


def test_the_consent_prompt_is_in_the_first_load_strings():
    for locale in LOCALES:
        keys = set(strings(SETS["first load"], locale))
        assert {"consent.title", "consent.text", "consent.yes"} <= keys, locale


def test_the_embed_script_speaks_the_same_locales():
    src = (WEB / "embed.js").read_text(encoding="utf-8")
    table = re.search(r"const STR = \{(.*?)\n  \};", src, re.S).group(1)
    rows = dict(re.findall(r"'(\w\w-\w\w)': \{(.*?)\}", table))
    assert set(rows) == set(LOCALES)
    for loc, row in rows.items():
        assert sorted(re.findall(r"(\w+): '[^']+'", row)) == ["book", "close", "title"], loc
