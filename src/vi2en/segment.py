"""Split block text into sentences.

A boundary is sentence-final punctuation (with any closing quotes or brackets) followed by
space and something that can start a sentence, unless the word before the dot is an
abbreviation, an initial, or part of a number, date or document code.
"""

from __future__ import annotations

import re

from vi2en.document import Block, Segment

# Blocks that are one unit whatever their punctuation.
UNSPLIT_KINDS = {"title", "dateline", "caption", "source", "byline", "boilerplate"}

ABBREVIATIONS = {
    a.casefold()
    for a in """TP Tp TS ThS GS PGS BS CN KS NXB Q P TT ĐH Th St Mr Mrs Ms Dr Prof Jr Sr Co Ltd Inc Corp vs etc
    No Nr Tel Fax tr ng Vol Ed Eds Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mt Ft Gen Col Lt Sgt Capt
    Rev Hon Gov Sen Rep St. Ste e.g i.e U.S U.K""".split()
}
CLOSERS = "\"'”’»)]}"
OPENERS = "\"'“‘«([{"
_BOUNDARY = re.compile(r"(?:\.\.\.|…|[.!?])+[" + re.escape(CLOSERS) + r"]*(?=\s+)")
_STARTER = re.compile(r"\s+([" + re.escape(OPENERS) + r"]*[-–—•*]?\s*[\w\d])", re.UNICODE)


def split_sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    sentences, start = [], 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        after = _STARTER.match(text, end)
        if not after or not _can_start(after.group(1)):
            continue
        if not _is_sentence_end(text, m.start(), m.group(0)):
            continue
        sentences.append(text[start:end].strip())
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _can_start(token: str) -> bool:
    letter = token.lstrip(OPENERS + "-–—•* ")
    return bool(letter) and (letter[0].isupper() or letter[0].isdigit())


def _is_sentence_end(text: str, punct_start: int, punct: str) -> bool:
    if not punct.startswith("."):
        return True  # ! ? … end sentences
    if punct.startswith("..."):
        return True
    word = re.search(r"(\S+)$", text[:punct_start])
    if not word:
        return False
    token = word.group(1).lstrip(OPENERS)
    last = token.split(".")[-1]
    if last.casefold() in ABBREVIATIONS or token.casefold() in ABBREVIATIONS:
        return False
    if re.fullmatch(r"[A-ZĐ]", last):  # an initial: John F. Kennedy, Q. 1
        return False
    if re.fullmatch(r"(?:[A-ZĐ][a-zđ]?\.)+[A-ZĐ][a-zđ]?", token):  # PGS.TS, T.Ư
        return False
    return True


def segment_block(block: Block) -> list[Segment]:
    if block.kind in UNSPLIT_KINDS:
        pieces = [" ".join(block.text.split())]
    else:
        pieces = split_sentences(block.text)
    return [Segment(id=f"{block.id}.s{i}", vi=s) for i, s in enumerate(pieces, start=1)]
