"""Split block text into sentences, and over-long sentences into clause pieces.

A boundary is sentence-final punctuation (with any closing quotes or brackets) followed by
space and a word (a lower-case one only after a bare full stop or question mark: careless
typing, not a quotation's attribution, an ellipsis or an exclamation like "Yahoo!"), unless the word before the dot is an
abbreviation, an initial, a list number, or part of a number, date or document code. Every
test looks only at a few characters around the candidate, so the split is linear in the
length of the text: a 2 MB paragraph costs what 2 MB of sentences cost.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Callable

from vi2en.document import Block, Segment
from vi2en.text import has_vietnamese_letters

# Blocks that are one unit whatever their punctuation.
UNSPLIT_KINDS = {"title", "heading", "dateline", "caption", "source", "byline", "boilerplate"}

# Words written with a dot that rarely end a sentence: Vietnamese titles and place words
# (TP. Hà Nội, PGS.TS. Lê Văn A, ThS., Q. 1, P. 3, tr. 15) and the English ones news quotes
# (Mr., Dr., Roe v. Wade).
ABBREVIATIONS = {
    a.casefold()
    for a in """TP Tp TX TT TS TSKH ThS GS PGS BS BSCKI BSCKII DS NCS KTS LS HT ĐĐ CN KS NXB NSƯT NSND NGƯT NGND Th St Ste Mr Mrs Ms Dr Prof Jr Sr
    Co Ltd Inc Corp vs Nr Tel ĐT Fax tr ng Vol Ed Eds Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mt Ft Gen
    Col Lt Sgt Capt Rev Hon Gov Sen Rep Fig e.g i.e cf approx v""".split()
}
# Abbreviations only when a number follows: "No. 5", "Art. 3" (but "No. Then..." ends a sentence).
NUMBER_ABBREVIATIONS = {"no", "art", "p", "q", "k", "pp"}
# Abbreviations that often end a sentence: a boundary only when a capital follows.
CLOSING_ABBREVIATIONS = {"v.v", "vv", "etc"}
CLOSERS = "\"'”’»)]}"
OPENERS = "\"'“‘«([{"
DASHES = "-–—"
BULLETS = "•*·▪●-–—+"
_CANDIDATE = re.compile(r"[.!?…]+[" + re.escape(CLOSERS) + r"]*(?=\s)|:(?=\s)")
# The start of a list item: "1. ", "2) ", "a) ", "- ", "• " before a capital.
_LIST_ITEM = re.compile(r"(?:\d{1,2}[.)]|[a-zđ]\)|[" + re.escape(BULLETS) + r"])\s*[" + re.escape(OPENERS) + r"]*\w")
_LIST_MARKER = re.compile(r"(?:\d{1,2}|[IVXivx]{1,4}|[a-zđ])[.)]?")
_WINDOW = 80  # characters looked at around a candidate; longer "words" are never abbreviations


def split_sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    sentences, start = [], 0
    for m in _CANDIDATE.finditer(text):
        if _is_boundary(text, start, m.start(), m.end(), m.group(0)):
            sentences.append(text[start : m.end()])
            start = m.end() + 1
    if start < len(text):
        sentences.append(text[start:])
    return sentences


def ends_with_sentence_punctuation(text: str) -> bool:
    return bool(re.search(r"[.!?…][" + re.escape(CLOSERS) + r"]*\s*$", text[-_WINDOW:]))


def _is_boundary(text: str, sentence_start: int, punct_start: int, end: int, match: str) -> bool:
    following = text[end + 1 : end + 1 + _WINDOW]
    if match == ":":
        item = _LIST_ITEM.match(following)
        return bool(item) and item.group(0)[-1].isupper()  # "gồm: 1. Tăng cường…": the list starts a new segment
    punct = match.rstrip(CLOSERS)
    closed_quote = len(punct) < len(match)
    if closed_quote and following[:1] in DASHES:
        return False  # “…” – the speaker's name: the attribution stays with the quote
    first = following.lstrip(OPENERS + BULLETS + " ")[:1]
    if not first or not first.isalnum():
        return False
    capital = first.isupper() or first.isdigit()
    if not capital and (closed_quote or "…" in punct or ".." in punct or "!" in punct):
        return False  # a lower-case continuation: “…?” anh hỏi; vv... vào bữa tối; Yahoo! và Microsoft
    if text[punct_start - 1 : punct_start] in "([" and punct_start > 0:
        return False  # (…) marks words left out of a quotation
    if not re.search(r"\w", text[max(sentence_start, punct_start - _WINDOW) : punct_start]):
        return False  # nothing said yet: "… Người dân" opens with an ellipsis
    if punct != ".":
        return True  # ! ? … ... end a sentence when a capital follows; a bare ? even before lower case
    window_start = max(sentence_start, punct_start - _WINDOW)
    space = text.rfind(" ", window_start, punct_start)
    word_start = space + 1 if space >= 0 else window_start
    token = text[word_start:punct_start].lstrip(OPENERS)
    if not token:
        return True
    last = token.rsplit(".", 1)[-1].casefold()
    if token.casefold() in CLOSING_ABBREVIATIONS:
        return capital  # "…, v.v. Sau đó" ends a sentence; "v.v. và" does not
    if last in ABBREVIATIONS or token.casefold() in ABBREVIATIONS:
        return False
    if last in NUMBER_ABBREVIATIONS and first.isdigit():
        return False
    if word_start == sentence_start and _LIST_MARKER.fullmatch(token):
        return False  # "2. Đẩy mạnh…": the number of a list item, not a sentence
    if re.fullmatch(r"[A-ZĐ]", token):
        # "Nguyễn Văn H. (SN 1985…)": a name's details follow in brackets
        return capital and not following.startswith("(") and _initial_ends_sentence(text, window_start, word_start, first)
    if re.fullmatch(r"(?:[A-ZĐ][a-zđ]?\.)+[A-ZĐ][a-zđ]?", token):
        return False  # dotted abbreviations: PGS.TS, T.Ư, U.S
    return True


def _initial_ends_sentence(text: str, window_start: int, word_start: int, first: str) -> bool:
    """A lone capital before a dot: an initial inside a name (John F. Kennedy) or a letter
    ending a sentence (vitamin C. Nó…)."""
    if first.isdigit():
        return False  # Q. 1, P. 3
    before = text[window_start : max(window_start, word_start - 1)].rsplit(" ", 1)[-1].lstrip(OPENERS)
    if text[word_start] in "PQHX" and not (before[:1].isupper() and before[-1:].isalpha()):
        return False  # addresses, not names: "Lê Duẩn, P. Bến Nghé", "tại Q. Hoàn Kiếm", "về H. Nam Đàn", "X. Nghi Phong"
    if has_vietnamese_letters(before):
        return True  # a Vietnamese name ends in a one-letter given name (Nguyễn Văn A.) far more often than an initial
    return not (before[:1].isupper() or word_start == window_start)


def segment_block(block: Block) -> list[Segment]:
    if block.kind in UNSPLIT_KINDS:
        pieces = [" ".join(block.text.split())]
    else:
        pieces = split_sentences(block.text)
    return [Segment(id=f"{block.id}.s{i}", vi=s) for i, s in enumerate(pieces, start=1)]


_CLAUSE_END = re.compile(r"[,;:](?=\s)|\s[–—-](?=\s)|\s\(|\)(?=\s)")


def clause_pieces(sentence: str, max_tokens: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Pieces of a sentence that each fit the model: cut after commas, semicolons, colons and
    dashes, then between words when one clause alone is too long.

    Joined with single spaces, the pieces give back the sentence. A sentence that fits is one
    piece. Each clause is counted once, so the cost is linear in the sentence's length.
    """
    sentence = " ".join(sentence.split())
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    clauses, start = [], 0
    for m in _CLAUSE_END.finditer(sentence):
        cut = m.end() if not m.group(0).startswith(" ") else m.start()
        if cut > start:
            clauses.append(sentence[start:cut].strip())
            start = cut
    clauses.append(sentence[start:].strip())
    clauses = [c for c in clauses if c]
    pieces: list[str] = []
    current, current_tokens = "", 0
    for clause in clauses:
        tokens = count_tokens(clause)
        if tokens > max_tokens:
            if current:
                pieces.append(current)
            pieces += _word_pieces(clause, max_tokens, count_tokens)
            current, current_tokens = "", 0
        elif current and current_tokens + tokens > max_tokens:
            pieces.append(current)
            current, current_tokens = clause, tokens
        else:
            current, current_tokens = f"{current} {clause}".strip(), current_tokens + tokens
    if current:
        pieces.append(current)
    return pieces


def _word_pieces(clause: str, max_tokens: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Consecutive runs of words that fit; a run that does not fit is halved until it does."""
    words = clause.split()
    size = max(1, max_tokens)
    pieces, todo = [], deque(words[i : i + size] for i in range(0, len(words), size))
    while todo:
        run = todo.popleft()
        if len(run) > 1 and count_tokens(" ".join(run)) > max_tokens:
            half = len(run) // 2
            todo.extendleft([run[half:], run[:half]])
        else:
            pieces.append(" ".join(run))
    return pieces
