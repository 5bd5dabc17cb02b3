"""The aligned document: plain data classes and their canonical JSON form.

Every output (HTML, TMX, XLIFF, the published site) is rendered from this JSON, so it is
versioned and must round-trip exactly.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "vi2en.aligned/1"


class DocumentError(Exception):
    """A document file that cannot be used; the message names the file and the problem."""


@dataclass
class TermHit:
    """A glossary term or an entity found in a segment's source, and whether its English is in the output."""

    vi: str  # the source text matched
    en: str  # the rendering that must appear in the English
    kind: str  # the entry's kind: title, body, place, person, ...
    entry: str  # where the rendering comes from: the glossary's `file:line`, or "entities"
    start: int  # character offsets of `vi` in the segment's source
    end: int
    via: list[str] = field(default_factory=list)  # for patterns: the entries that filled its slots
    placeholder: str = ""  # `<tN>` when the term was masked for the model
    found: bool = False  # the rendering is in the final English (terms.present)
    fix: str = ""  # how it got there when the model did not write it: case, variant, forced, placeholder repaired
    rule: str = ""  # for entities (names, places, numbers, dates, bodies): the rule that rendered it

    @property
    def is_entity(self) -> bool:
        return bool(self.rule)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: optional fields only when set, in the order vi2en.aligned/1 has them."""
        out: dict[str, Any] = {"vi": self.vi, "en": self.en, "kind": self.kind, "entry": self.entry}
        if self.via:
            out["via"] = self.via
        out |= {"start": self.start, "end": self.end}
        if self.placeholder:
            out["placeholder"] = self.placeholder
        out["found"] = self.found
        if self.fix:
            out["fix"] = self.fix
        if self.rule:
            out["rule"] = self.rule
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TermHit":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Segment:
    id: str  # stable: "<block id>.s<n>", e.g. "p3.s2"
    vi: str
    en: str = ""
    score: float | None = None
    flags: list[str] = field(default_factory=list)
    signals: dict[str, Any] = field(default_factory=dict)
    terms: list[TermHit] = field(default_factory=list)  # glossary hits
    origin: str = "mt"  # "mt" (model), "tm" (reused from the translation memory), "rule" (a source line or byline rendered by rule)
    pieces: list[str] = field(default_factory=list)  # clause pieces when a sentence exceeds the model's limit


@dataclass
class Block:
    id: str  # "t1" title, "p3" paragraph, ...
    kind: str  # title, heading, dateline, byline, lead, paragraph, caption, quote, list_item, source, boilerplate
    text: str
    segments: list[Segment] = field(default_factory=list)

    @property
    def translated(self) -> bool:
        return self.kind != "boilerplate"


@dataclass
class Document:
    source_path: str
    source_sha256: str
    blocks: list[Block]
    date: str | None = None  # ISO date of the article when it has one
    model: dict[str, Any] = field(default_factory=dict)  # name, path, backend, licence, notice
    glossary: dict[str, Any] = field(default_factory=dict)  # version, entries
    created: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    scorer: str = ""  # the quality score's signature (score.signature): how every score was made
    schema: str = SCHEMA

    @property
    def segments(self) -> list[Segment]:
        return [s for b in self.blocks for s in b.segments]

    @property
    def title(self) -> str:
        return next((b.text for b in self.blocks if b.kind == "title"), Path(self.source_path).stem)

    @property
    def stem(self) -> str:
        return "stdin" if self.source_path == "<stdin>" else Path(self.source_path).stem

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for block, raw in zip(self.blocks, data["blocks"]):
            for segment, seg in zip(block.segments, raw["segments"]):
                seg["terms"] = [hit.to_dict() for hit in segment.terms]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        blocks = [
            Block(**{**b, "segments": [Segment(**{**s, "terms": [TermHit.from_dict(h) for h in s.get("terms", [])]}) for s in b.get("segments", [])]})
            for b in data["blocks"]
        ]
        return cls(**{**data, "blocks": blocks})


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing: a crash mid-write never leaves a half-written output."""
    tmp = stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


NAME_MAX = 255  # bytes in one file name, on every file system an output folder sits on
_TEMP_NAME_BYTES = 200  # mkstemp adds 8 characters, and .tmp


def temp_prefix(path: Path) -> str:
    """`.NAME.` for the temporary files of `path`, cut short so that where NAME fits (a
    244-character article name) its temporary file fits too."""
    name = path.name.encode("utf-8", "surrogateescape")[:_TEMP_NAME_BYTES].decode("utf-8", "surrogateescape")
    return f".{name}."


def stage(path: Path, data: str | bytes) -> Path:
    """The data, on disk beside `path` in a temporary file (`.NAME.*.tmp`), for a rename into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dumps(doc: Document) -> str:
    return json.dumps(doc.to_dict(), ensure_ascii=False, indent=2) + "\n"


def save(doc: Document, path: Path) -> None:
    write_atomic(path, dumps(doc))


def load(path: Path) -> Document:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DocumentError(f"{path}: not a vi2en JSON document ({e})") from None
    schema = data.get("schema", "") if isinstance(data, dict) else ""
    if not schema.startswith("vi2en.aligned/"):
        raise DocumentError(f"{path}: not a vi2en aligned document (schema {schema!r})")
    if schema != SCHEMA:
        raise DocumentError(f"{path}: schema {schema} is not supported by this version (expects {SCHEMA}); upgrade vi2en")
    try:
        return Document.from_dict(data)
    except (KeyError, TypeError) as e:
        raise DocumentError(f"{path}: malformed document ({e})") from None
