"""Compose the stages: read → structure → segment → terms → translate → score → write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from vi2en import terms
from vi2en.document import Block, Document, Segment, TermHit
from vi2en.glossary import Glossary
from vi2en.memory import Memory
from vi2en.read import DEFAULT_LIMITS, Limits, read_article
from vi2en.score import score_segment, signature, summarize
from vi2en.segment import segment_block
from vi2en.structure import article_date, structure

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".docx"}


def build_document(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read, structure and segment an article: a document with empty English."""
    article = read_article(path, limits)
    blocks = structure(article)
    for block in blocks:
        if block.translated:
            block.segments = segment_block(block)
    return Document(source_path=article.path, source_sha256=article.sha256, blocks=blocks, date=article_date(blocks))


def document_from_lines(lines: list[str], source_path: str) -> Document:
    """One segment per line, unsplit: for line-aligned test sets, whose alignment must be kept."""
    blocks = [Block(id=f"p{i}", kind="paragraph", text=line, segments=[Segment(id=f"p{i}.s1", vi=line)]) for i, line in enumerate(lines, start=1)]
    return Document(source_path=source_path, source_sha256="", blocks=blocks)


def translate_document(doc: Document, translator, glossary: Glossary, progress: Callable[[int], None] | None = None, memory: Memory | None = None, entities=None) -> Document:
    """Translate every segment; one whose sentence an editor already approved keeps that English
    exactly as approved (origin "tm"), its terms checked but never rewritten.

    With `entities` (vi2en.entities.Entities), names, places, numbers, dates and bodies found by
    rule go through the same enforcement as the glossary's terms.
    """
    segments = doc.segments
    approved = memory.exact([s.vi for s in segments]) if memory else {}
    for_model = [s for s in segments if s.vi not in approved]
    year = int(doc.date[:4]) if doc.date else None
    # source lines and bylines are rendered whole by rule ("Theo TTXVN" → "Source: VNA"), not by the model
    credits = {s.vi: entities.credit_line(s.vi) for b in doc.blocks if b.kind in ("source", "byline") for s in b.segments} if entities else {}

    def find(vi: str):
        hits = glossary.find(vi, doc.date)
        if entities is None:
            return hits
        found = [TermHit(e.vi, e.en, e.kind, "entities", e.start, e.end, rule=e.rule) for e in entities.find(vi, year=year)]
        if credits.get(vi):
            found.append(TermHit(vi, credits[vi], "line", "entities", 0, len(vi), rule="line:credit"))
        return terms.merge(hits, found)

    if progress and len(for_model) < len(segments):
        progress(len(segments) - len(for_model))
    enforced = terms.enforce([s.vi for s in for_model], find, translator, progress)
    for segment, result in zip(for_model, enforced):
        segment.en, segment.terms, segment.pieces = result.en, result.hits, result.hypothesis.pieces
        if result.rule:  # the house style itself wrote it: nothing for an estimate to doubt
            segment.origin, segment.score, segment.flags, segment.signals = "rule", 100.0, [], {"rule": result.rule}
            continue
        segment.score, segment.flags, segment.signals = score_segment(segment.vi, segment.en, result.hypothesis.mean_logprob, result.hits)
    for segment in segments:
        if segment.vi in approved:  # a person approved this English: no model ran, nothing to estimate
            segment.en, segment.terms, segment.origin = approved[segment.vi], find(segment.vi), "tm"
            terms.check(segment.en, segment.terms)
            segment.score, segment.flags, segment.signals = 100.0, [], {}
    doc.model = translator.describe()
    doc.glossary = {"version": glossary.version, "entries": len(glossary.entries)}
    doc.created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    doc.summary = summarize([(s.score, s.flags) for s in segments])
    doc.scorer = signature()
    return doc


def colliding_stems(inputs: list[str]) -> list[tuple[str, str]]:
    """Inputs that would write the same outputs (same.txt and same.html both give same.json)."""
    first: dict[str, str] = {}
    pairs = []
    for path in inputs:
        stem = "stdin" if path == "-" else Path(path).stem
        if stem in first:
            pairs.append((first[stem], path))
        first.setdefault(stem, path)
    return pairs


def expand_inputs(inputs: list[str]) -> list[str]:
    """Files as given; folders expand to the articles inside them. Missing paths stay, to be reported."""
    import glob

    paths: list[str] = []
    for item in inputs:
        if item == "-":
            paths.append(item)
        elif Path(item).is_dir():
            paths += sorted(str(p) for p in Path(item).iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES and p.is_file())
        elif any(c in item for c in "*?[") and not Path(item).exists():
            paths += sorted(glob.glob(item)) or [item]
        else:
            paths.append(item)
    return paths
