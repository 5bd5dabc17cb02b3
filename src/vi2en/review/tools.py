"""The editor's tools beside the sentence: source diffs of memory matches, concordance, word counts."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from vi2en.document import Document
from vi2en.html import highlight
from vi2en.memory import ArticleState, Memory
from vi2en.text import nfc


def source_diff(this: str, match: str) -> Markup:
    """The memory match's source against this sentence's, word by word: <del> what the match has
    and this sentence lacks, <ins> what this sentence has instead. All text escaped."""
    a, b = match.split(), this.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(Markup.escape(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Markup("<del>{}</del>").format(" ".join(a[i1:i2])))
        if j2 > j1:
            out.append(Markup("<ins>{}</ins>").format(" ".join(b[j1:j2])))
    return Markup(" ").join(out)


def words(text: str) -> int:
    return len(text.split())


@dataclass
class Progress:
    """How much of an article is done, in sentences and in source words."""

    sentences: int
    approved: int
    words: int
    approved_words: int

    @classmethod
    def of(cls, draft: Document, state: ArticleState) -> "Progress":
        done = [s for s in draft.segments if state.is_approved(s.id, s.vi)]
        return cls(len(draft.segments), len(done), sum(words(s.vi) for s in draft.segments), sum(words(s.vi) for s in done))

    @property
    def percent(self) -> int:
        return round(100 * self.approved_words / self.words) if self.words else 0


@dataclass
class Hit:
    """One concordance line: where the sentence is, its two sides highlighted, and its state."""

    where: str
    link: str  # a path of the review app, "" for memory entries of articles no longer in the folder
    vi: Markup
    en: Markup
    status: str


def concordance(query: str, memory: Memory, articles: list[tuple[Path, Document]], limit: int = 100) -> list[Hit]:
    """Sentences of every article in the folder (with the editors' English) and of the memory that
    contain `query` in either language, case-insensitive; memory entries of articles in the folder
    are shown once, from the article."""
    needle = nfc(query).casefold()
    hits, seen = [], set()
    for path, draft in articles:
        merged, state = memory.merged(draft)
        for segment in merged.segments:
            seen.add((path.stem, segment.id))
            if needle in nfc(segment.vi).casefold() or needle in nfc(segment.en).casefold():
                hits.append(Hit(f"{path.stem} {segment.id}", f"/a/{path.stem}#{segment.id}", highlight(segment.vi, [query]),
                                highlight(segment.en, [query]), state.status(segment.id, segment.vi)))
    for pair in memory.concordance(query, limit):
        if (pair["doc_name"], pair["segment_id"]) not in seen:
            hits.append(Hit(f"{pair['doc_name']} {pair['segment_id']} (memory)", "", highlight(pair["vi"], [query]),
                            highlight(pair["en"], [query]), "approved" if pair["approved"] else "edited"))
    return hits[:limit]
