"""The message catalogues (pwa/i18n/*.json): one flat, translator-editable file per language.
ja, en and やさしい日本語 are complete for every message the app has, with the same placeholders."""

from __future__ import annotations

import json
import re

from tests.pwa.site import ROOT

I18N = ROOT / "pwa" / "i18n"
COMPLETE = ["ja", "en", "ja-easy"]


def _catalogue(code: str) -> dict[str, str]:
    return dict(json.loads((I18N / f"{code}.json").read_text(encoding="utf-8")))


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_every_catalogue_is_flat_text_with_its_own_name() -> None:
    for path in I18N.glob("*.json"):
        messages = json.loads(path.read_text(encoding="utf-8"))
        assert all(isinstance(v, str) for v in messages.values()), path.name
        assert messages["meta.name"] and messages["meta.lang"], path.name


def test_english_and_easy_japanese_have_every_japanese_message_with_the_same_placeholders() -> None:
    japanese = _catalogue("ja")
    for code in COMPLETE[1:]:
        other = _catalogue(code)
        # An empty Japanese message is an optional line (e.g. an explanation under a button).
        missing = sorted(k for k, v in japanese.items() if v and k not in other)
        assert missing == [], f"{code} lacks {missing}"
        assert sorted(set(other) - set(japanese)) == [], f"{code} has keys Japanese lacks"
        differ = {k: (v, other[k]) for k, v in japanese.items()
                  if k in other and _placeholders(v) != _placeholders(other[k])}
        assert differ == {}, code


def test_every_message_the_code_names_is_in_the_japanese_catalogue() -> None:
    japanese = _catalogue("ja")
    named: set[str] = set()
    for path in (ROOT / "pwa").rglob("*.js"):
        if "vendor" not in path.parts and "i18n" not in path.parts:
            named |= set(re.findall(r"\bt\('([\w.]+)'", path.read_text(encoding="utf-8")))
    assert named and sorted(named - set(japanese)) == []
