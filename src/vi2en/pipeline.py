"""Compose the stages: read → structure → segment → terms → translate → score → write."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from vi2en import document, terms
from vi2en.backends.families import ModelError
from vi2en.document import Block, Document, DocumentError, Segment, TermHit
from vi2en.glossary import Glossary
from vi2en.memory import Memory, TMError
from vi2en.quality import QualityResources
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


def translate_document(doc: Document, translator, glossary: Glossary, progress: Callable[[int], None] | None = None, memory: Memory | None = None, entities=None, quality: QualityResources | None = None) -> Document:
    """Translate every segment; one whose sentence an editor already approved keeps that English
    exactly as approved (origin "tm"), its terms checked but never rewritten.

    With `entities` (vi2en.entities.Entities), names, places, numbers, dates and bodies found by
    rule go through the same enforcement as the glossary's terms. `quality` is what the score
    reads: by default the model's own weights, or the project's.
    """
    return translate_documents([doc], translator, glossary, progress, memory=memory, entities=entities, quality=quality)[0]


def translate_documents(docs: list[Document], translator, glossary: Glossary, progress: Callable[[int], None] | None = None, memory: Memory | None = None, entities=None, quality: QualityResources | None = None) -> list[Document]:
    """`translate_document` for several documents at once: their segments go through the model
    and every round of term enforcement together, in full batches, each with its own date's terms."""
    # an endpoint or a test's stand-in has no model folder: the project's default weights then
    folder = getattr(translator, "folder", None)
    quality = quality or QualityResources.for_model(folder.path if folder else None)
    plans = [_Plan.of(doc, glossary, memory, entities) for doc in docs]
    for_model = [(plan, s) for plan in plans for s in plan.for_model]
    reused = sum(len(plan.doc.segments) for plan in plans) - len(for_model)
    if progress and reused:
        progress(reused)
    enforced = terms.enforce_hits([s.vi for _, s in for_model], [plan.find(s.vi) for plan, s in for_model], translator, progress)
    for (plan, segment), result in zip(for_model, enforced):
        segment.en, segment.terms, segment.pieces = result.en, result.hits, result.hypothesis.pieces
        if result.rule:  # the house style itself wrote it: nothing for an estimate to doubt
            segment.origin, segment.score, segment.flags, segment.signals = "rule", 100.0, [], {"rule": result.rule}
            continue
        segment.score, segment.flags, segment.signals = score_segment(segment.vi, segment.en, result.hypothesis, result.hits, quality)
    for plan in plans:
        doc = plan.doc
        for segment in doc.segments:
            if segment.vi in plan.approved:  # a person approved this English: no model ran, nothing to estimate
                segment.en, segment.terms, segment.origin = plan.approved[segment.vi], plan.find(segment.vi), "tm"
                terms.check(segment.en, segment.terms)
                segment.score, segment.flags, segment.signals = 100.0, [], {}
        doc.model = translator.describe()
        doc.glossary = {"version": glossary.version, "entries": len(glossary.entries)}
        doc.created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        doc.summary = summarize([(s.score, s.flags) for s in doc.segments])
        doc.scorer = signature(quality)
    return docs


@dataclass
class _Plan:
    """One document's part of `translate_documents`: sentences approved in the memory, the
    segments for the model, and how its terms are found (glossary on its date, entities)."""

    doc: Document
    approved: dict[str, str]
    for_model: list[Segment]
    find: Callable[[str], list[TermHit]]

    @classmethod
    def of(cls, doc: Document, glossary: Glossary, memory: Memory | None, entities) -> _Plan:
        approved = memory.exact([s.vi for s in doc.segments]) if memory else {}
        year = int(doc.date[:4]) if doc.date else None
        # source lines and bylines are rendered whole by rule ("Theo TTXVN" → "Source: VNA"), not by the model
        credits = {s.vi: entities.credit_line(s.vi) for b in doc.blocks if b.kind in ("source", "byline") for s in b.segments} if entities else {}

        def find(vi: str) -> list[TermHit]:
            hits = glossary.find(vi, doc.date)
            if entities is None:
                return hits
            found = [TermHit(e.vi, e.en, e.kind, "entities", e.start, e.end, rule=e.rule) for e in entities.find(vi, year=year)]
            if credits.get(vi):
                found.append(TermHit(vi, credits[vi], "line", "entities", 0, len(vi), rule="line:credit"))
            return terms.merge(hits, found)

        return cls(doc, approved, [s for s in doc.segments if s.vi not in approved], find)


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
    except Exception as e:
        return _failed(path, e)


def _failed(path: str, error: Exception) -> Outcome:
    """One article's problem as its outcome: one line naming the file; one bad article never stops the batch."""
    if isinstance(error, (ReadError, DocumentError, TMError, OSError)):
        return Outcome(path, error=str(error))
    return Outcome(path, error=f"{path}: could not be translated ({type(error).__name__}: {error}); the other articles go on")


BATCH_SEGMENTS = 512  # segments of consecutive articles translated together: full batches, bounded memory


def translate_articles(paths: list[str], out_dir: Path, translator, glossary: Glossary, *, limits: Limits = DEFAULT_LIMITS, memory: Memory | None = None, entities=None,
                       progress: Callable[[int], None] | None = None, read: Callable[[Document], None] | None = None,
                       skip_current: bool = False, batch_segments: int = BATCH_SEGMENTS) -> Iterator[Outcome]:
    """`translate_article` for a folder, with the model loaded once: the segments of consecutive
    articles, about `batch_segments` at a time, go through the model and every round of term
    enforcement together, so the model works on full batches. The next group is read, and the
    last one written, while the model works (CTranslate2 leaves Python's lock while it runs);
    at most three groups are held, whatever the folder's size. Outcomes come in input order.

    `read(doc)` is told of each article once it is segmented, `progress(n)` of segments done.
    A text model reads each article's sentences as each other's context, so it gets one
    article at a time.
    """
    from concurrent.futures import ThreadPoolExecutor

    from vi2en.writers import write_outputs

    if "text" in translator.backend.capabilities:
        batch_segments = 0
    remaining = iter(paths)

    def next_group() -> list[Outcome]:
        group, size = [], 0
        for path in remaining:
            try:
                doc = build_document(path, limits)
                saved = current_output(doc, Path(out_dir), translator, glossary) if skip_current else None
                group.append(Outcome(path, saved, skipped=True) if saved else Outcome(path, doc))
                size += 0 if saved else len(doc.segments)
                if read and not saved:
                    read(doc)
            except Exception as e:
                group.append(_failed(path, e))
            if size >= batch_segments:
                break
        return group

    def write(outcome: Outcome) -> Outcome:
        if outcome.doc is None or outcome.skipped or outcome.error:
            return outcome
        try:
            outcome.outputs = write_outputs(outcome.doc, Path(out_dir))
            return outcome
        except Exception as e:
            return _failed(outcome.path, e)

    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
        reading, writing = reader.submit(next_group), []
        while group := reading.result():
            reading = reader.submit(next_group)
            _translate_group([o for o in group if o.doc is not None and not o.skipped], translator, glossary, progress, memory, entities)
            for done in writing:  # the group before, written while this one was translated
                yield done.result()
            writing = [writer.submit(write, o) for o in group]
        for done in writing:
            yield done.result()


def _translate_group(outcomes: list[Outcome], translator, glossary: Glossary, progress, memory, entities) -> None:
    """Translate the group's documents together; when that fails, each alone, so that only the
    article at fault gets the error. A broken model (ModelError) is raised."""
    if not outcomes:
        return
    try:
        translate_documents([o.doc for o in outcomes], translator, glossary, progress, memory=memory, entities=entities)
        return
    except ModelError:
        raise
    except Exception:
        pass
    for outcome in outcomes:
        try:
            translate_document(outcome.doc, translator, glossary, memory=memory, entities=entities)
        except ModelError:
            raise
        except Exception as e:
            outcome.doc, outcome.error = None, _failed(outcome.path, e).error


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
