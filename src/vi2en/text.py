"""Unicode helpers shared by every stage.

Vietnamese has two accepted tone-mark placements (`ủy`/`uỷ`, `hóa`/`hoá`) and text arrives
in NFC or NFD. Output keeps what the writer typed; `match_key` makes the variants equal for
matching (glossary, translation memory, caches).
"""

from __future__ import annotations

import re
import unicodedata

# The five Vietnamese tone marks as combining characters (huyền, sắc, hỏi, ngã, nặng).
TONE_MARKS = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
_WORD = re.compile(r"\w+", re.UNICODE)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _tone_key(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in TONE_MARKS]
    base = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", base) + "".join(tones)


def match_key(text: str, *, fold_case: bool = True) -> str:
    """A key equal for spellings that differ only in NFC/NFD, tone-mark placement, spacing or case.

    Each word's tone mark moves to the word's end, so `Tỉnh ủy` and `Tỉnh uỷ` get one key.
    """
    text = " ".join(nfc(text).split())
    if fold_case:
        text = text.casefold()
    return _WORD.sub(lambda m: _tone_key(m.group(0)), text)


def has_vietnamese_letters(text: str) -> bool:
    """True when text holds letters only Vietnamese uses (đ, ơ, ư, tone-marked vowels)."""
    for c in unicodedata.normalize("NFD", text):
        if c in TONE_MARKS or c in "\u031b\u0306" or c in "đĐ":
            return True
    return False
