"""Compose the stages: read → structure → segment → glossary → translate → score → write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vi2en import document, html, tmx
from vi2en.document import Block, Document, Segment
from vi2en.glossary import Glossary
from vi2en.memory import Memory
from vi2en.read import read_article
from vi2en.score import score_segment, summarize
from vi2en.segment import clause_pieces, segment_block
from vi2en.structure import article_date, structure
from vi2en.translate import Hypothesis, Translator

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".docx"}


@dataclass
class Outcome:
    source: str
    outputs: list[Path] = field(default_factory=list)
    error: str | None = None
    document: Document | None = None


def build_document(path: str | Path) -> Document:
    """Read, structure and segment an article: a document with empty English."""
    article = read_article(path)
    blocks = structure(article)
    for block in blocks:
        if block.translated:
            block.segments = segment_block(block)
    return Document(source_path=article.path, source_sha256=article.sha256, blocks=blocks, date=article_date(blocks))


def document_from_lines(lines: list[str], source_path: str) -> Document:
    """One segment per line, unsplit: for line-aligned test sets, whose alignment must be kept."""
    blocks = [Block(id=f"p{i}", kind="paragraph", text=line, segments=[Segment(id=f"p{i}.s1", vi=line)]) for i, line in enumerate(lines, start=1)]
    return Document(source_path=source_path, source_sha256="", blocks=blocks)


def translate_document(doc: Document, translator: Translator, glossary: Glossary, progress: Callable[[int], None] | None = None, memory: Memory | None = None) -> Document:
    """Translate every segment; one whose sentence an editor already approved reuses that English (origin "tm")."""
    segments = doc.segments
    approved = memory.exact([s.vi for s in segments]) if memory else {}
    prepared = [glossary.prepare(s.vi, doc.date, translator.tokenizer) for s in segments]
    for_model = [i for i, s in enumerate(segments) if s.vi not in approved]
    hypotheses = dict(zip(for_model, _translate_in_pieces(translator, [segments[i] for i in for_model], [prepared[i][0] for i in for_model], progress)))
    if progress and len(for_model) < len(segments):
        progress(len(segments) - len(for_model))
    restored = {i: glossary.restore(hypotheses[i].text, prepared[i][1]) for i in hypotheses}
    _retry_missing_terms(doc, translator, glossary, prepared, hypotheses, restored)
    scored = []
    for i, (segment, (_, hits)) in enumerate(zip(segments, prepared)):
        reused = i not in hypotheses
        segment.en, term_flags = glossary.restore(approved[segment.vi], hits) if reused else restored[i]
        segment.terms = hits
        if reused:  # a person approved this English: no model ran, so there is nothing to estimate
            segment.origin, segment.score, segment.flags, segment.signals = "tm", 100.0, [], {}
        else:
            segment.score, segment.flags, segment.signals = score_segment(
                segment.vi, segment.en, hypotheses[i].mean_logprob, term_flags=term_flags,
                allowed_vietnamese=[h["en"] for h in hits],
            )
            if "term-missing" in term_flags:
                segment.signals["terms_missing"] = [h["vi"] for h in hits if not h["found"]]
        scored.append((segment.score, segment.flags))
    doc.model = translator.describe()
    doc.glossary = {"version": glossary.version, "entries": len(glossary.entries)}
    doc.created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    doc.summary = summarize(scored)
    return doc


def _retry_missing_terms(doc: Document, translator: Translator, glossary: Glossary, prepared: list, hypotheses: dict, restored: dict) -> None:
    """A model that dropped a term gets two more tries, each kept only if it renders more terms.

    First the sentence again with the terms' English inline; then, for what is still missing,
    the term forced into the model's output where the model finds it most likely
    (`Translator.force`; the hit is marked `fix: forced`). What is still missing stays flagged.
    """
    segments = doc.segments

    def missing(i: int) -> list[dict]:
        return [h for h in prepared[i][1] if not h["found"]]

    def keep_if_better(i: int, attempt: tuple, hyp: Hypothesis, pieces: list[str]) -> None:
        en, flags = glossary.restore(hyp.text, attempt[1])
        if sum(h["found"] for h in attempt[1]) > sum(h["found"] for h in prepared[i][1]):
            prepared[i], hypotheses[i], restored[i] = attempt, hyp, (en, flags)
        else:
            segments[i].pieces = pieces

    retry = [i for i in restored if missing(i)]
    inline = {i: glossary.prepare(segments[i].vi, doc.date) for i in retry}
    retry = [i for i in retry if inline[i][0] != prepared[i][0]]  # already inline: nothing else to try
    first_pieces = {i: segments[i].pieces for i in retry}
    for i, hyp in zip(retry, _translate_in_pieces(translator, [segments[i] for i in retry], [inline[i][0] for i in retry], None)):
        keep_if_better(i, inline[i], hyp, first_pieces[i])

    force = [i for i in restored if missing(i)]
    if not force:
        return
    dropped = {i: {h["vi"] for h in missing(i)} for i in force}
    # every term of the segment is required, so that forcing one in does not lose another
    needs = [[h.get("placeholder", h["en"]) for h in prepared[i][1]] for i in force]
    kept_pieces = {i: segments[i].pieces for i in force}
    for i, hyp in zip(force, _translate_in_pieces(translator, [segments[i] for i in force], [prepared[i][0] for i in force], None, needs)):
        attempt = (prepared[i][0], [dict(h) for h in prepared[i][1]])
        keep_if_better(i, attempt, hyp, kept_pieces[i])
        for hit in prepared[i][1]:
            if hit["found"] and hit["vi"] in dropped[i]:
                hit["fix"] = "forced"


def _translate_in_pieces(translator: Translator, segments: list, texts: list[str], progress: Callable[[int], None] | None, required: list[list[str]] | None = None) -> list[Hypothesis]:
    """A sentence longer than the model's input is translated clause by clause, then joined.

    With `required`, each piece's output is made to hold the required strings found in that piece.
    """
    pieces = [clause_pieces(text, translator.model_max_tokens, translator.count_tokens) for text in texts]
    for segment, parts in zip(segments, pieces):
        segment.pieces = parts if len(parts) > 1 else []
    flat_pieces = [p for parts in pieces for p in parts]
    if required is None:
        flat = translator.translate(flat_pieces, _per_segment(progress, len(segments), len(flat_pieces)))
    else:
        flat = translator.force(flat_pieces, [[r for r in needs if r in p] for parts, needs in zip(pieces, required) for p in parts])
    hypotheses, start = [], 0
    for parts in pieces:
        done = flat[start : start + len(parts)]
        hypotheses.append(Hypothesis(" ".join(h.text for h in done), [lp for h in done for lp in h.token_logprobs]))
        start += len(parts)
    return hypotheses


def _per_segment(progress: Callable[[int], None] | None, segments: int, pieces: int) -> Callable[[int], None] | None:
    """Progress counted in segments while the model works through clause pieces."""
    if progress is None or segments == pieces:
        return progress
    done = reported = 0

    def update(n: int) -> None:
        nonlocal done, reported
        done += n
        progress(done * segments // pieces - reported)
        reported = done * segments // pieces

    return update


def write_outputs(doc: Document, out_dir: Path) -> list[Path]:
    """JSON first (the canonical form); HTML and TMX are rendered from it."""
    out_dir = Path(out_dir)
    paths = [out_dir / f"{doc.stem}.{ext}" for ext in ("json", "html", "tmx")]
    document.save(doc, paths[0])
    document.write_atomic(paths[1], html.render_html(doc))
    document.write_atomic(paths[2], tmx.render_tmx(doc))
    return paths


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
