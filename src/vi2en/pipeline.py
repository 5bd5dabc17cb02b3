"""Compose the stages: read → structure → segment → terms → translate → score → write."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vi2en import document, terms
from vi2en.backends.families import ModelError
from vi2en.document import Block, Document, DocumentError, Segment, TermHit
from vi2en.glossary import Glossary
from vi2en.memory import Memory, TMError
from vi2en.read import DEFAULT_LIMITS, Limits, ReadError, read_article
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


@dataclass
class Outcome:
    """What became of one article: translated (`doc`, `outputs`), skipped because its outputs are
    current (`skipped`, `doc` as saved), or failed (`error`, one line naming the file)."""

    path: str
    doc: Document | None = None
    outputs: list[Path] = field(default_factory=list)
    skipped: bool = False
    error: str = ""


def translate_article(path: str, out_dir: Path, translator, glossary: Glossary, *, limits: Limits = DEFAULT_LIMITS, memory: Memory | None = None, entities=None,
                      progress: Callable[[Document], AbstractContextManager[Callable[[int], None]]] | None = None, skip_current: bool = False) -> Outcome:
    """One article start to finish, as `vi2en translate` runs it on one machine or on a cluster:
    read, translate, write every output or none. A problem with this article comes back as the
    outcome's `error`, so a batch goes on; a broken model (ModelError) is raised, since every
    article would fail the same way.

    `progress(doc)`, once the article is segmented, gives the per-segment callback. With
    `skip_current`, an article whose saved JSON was made from the same source bytes, model and
    glossary version is not translated again: a stopped backfill picks up where it stopped.
    """
    from vi2en.writers import write_outputs  # the renderers' imports are not needed to segment

    try:
        doc = build_document(path, limits)
        if skip_current and (saved := current_output(doc, Path(out_dir), translator, glossary)):
            return Outcome(path, saved, skipped=True)
        with (progress(doc) if progress else nullcontext()) as update:
            translate_document(doc, translator, glossary, update, memory=memory, entities=entities)
        return Outcome(path, doc, write_outputs(doc, Path(out_dir)))
    except ModelError:
        raise
    except (ReadError, DocumentError, TMError, OSError) as e:
        return Outcome(path, error=str(e))
    except Exception as e:  # one bad article never stops the batch
        return Outcome(path, error=f"{path}: could not be translated ({type(e).__name__}: {e}); the other articles go on")


def current_output(doc: Document, out_dir: Path, translator, glossary: Glossary) -> Document | None:
    """The saved document in `out_dir` when it was made from this source (SHA-256), by this model
    (as `describe()` reports it) and glossary version; None when missing, unreadable or stale."""
    path = out_dir / f"{doc.stem}.json"
    if not path.is_file():
        return None
    try:
        saved = document.load(path)
    except DocumentError:  # translated again, which replaces it
        return None
    same = saved.source_sha256 == doc.source_sha256 and saved.model == translator.describe() and saved.glossary.get("version") == glossary.version
    return saved if same else None


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
