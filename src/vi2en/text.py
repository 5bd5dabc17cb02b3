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
# Control characters (a NUL from a broken export, C1 codes from a mis-decoded page, an escape
# pasted from a terminal) and the code points XML cannot hold: no text, and every XML writer
# (HTML, TMX, XLIFF, TBX) would fail on them. Tab, line feed and carriage return are kept.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def drop_controls(text: str) -> str:
    """The text without characters that are no text (see `_NOT_TEXT`)."""
    return _NOT_TEXT.sub("", text)


def has_controls(text: str) -> bool:
    return _NOT_TEXT.search(text) is not None


def one_line(text: str) -> str:
    """Text as one printable line for a message: line breaks (lxml's messages hold some) become
    a space, other control characters (a header's form feed) are shown escaped."""
    joined = re.sub(r"\s*[\r\n]+\s*", " ", text).rstrip()  # a list's indent stays
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in joined)


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
