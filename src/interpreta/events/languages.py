"""Language tags of interpretation channels and their names."""

from __future__ import annotations

import re

NAMES: dict[str, str] = {
    "ar": "العربية (Arabic)",
    "bg": "Български (Bulgarian)",
    "cs": "Čeština (Czech)",
    "da": "Dansk (Danish)",
    "de": "Deutsch (German)",
    "el": "Ελληνικά (Greek)",
    "en": "English",
    "es": "Español (Spanish)",
    "et": "Eesti (Estonian)",
    "fi": "Suomi (Finnish)",
    "fr": "Français (French)",
    "ga": "Gaeilge (Irish)",
    "he": "עברית (Hebrew)",
    "hi": "हिन्दी (Hindi)",
    "hr": "Hrvatski (Croatian)",
    "hu": "Magyar (Hungarian)",
    "it": "Italiano (Italian)",
    "ja": "日本語 (Japanese)",
    "ko": "한국어 (Korean)",
    "lt": "Lietuvių (Lithuanian)",
    "lv": "Latviešu (Latvian)",
    "mt": "Malti (Maltese)",
    "nl": "Nederlands (Dutch)",
    "no": "Norsk (Norwegian)",
    "pl": "Polski (Polish)",
    "pt": "Português (Portuguese)",
    "ro": "Română (Romanian)",
    "ru": "Русский (Russian)",
    "sk": "Slovenčina (Slovak)",
    "sl": "Slovenščina (Slovenian)",
    "sv": "Svenska (Swedish)",
    "tr": "Türkçe (Turkish)",
    "uk": "Українська (Ukrainian)",
    "zh": "中文 (Chinese)",
    "ase": "American Sign Language",
    "bfi": "British Sign Language",
    "ils": "International Sign",
}
"""Names of common languages, in the language itself and in English."""

_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def is_valid_tag(tag: str) -> bool:
    """Whether `tag` looks like a BCP 47 language tag ('en', 'pt-BR', 'zh-Hant')."""
    return bool(_TAG.match(tag))


def base_of(tag: str) -> str:
    """The primary language of `tag` ('pt' for 'pt-BR'), lower case."""
    return tag.split("-")[0].lower()


def name_of(tag: str) -> str:
    """The display name of `tag`, falling back to its primary language, then the tag."""
    return NAMES.get(tag) or NAMES.get(tag.split("-")[0], tag)
