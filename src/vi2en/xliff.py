"""XLIFF export and import, so a translator can review a document in a CAT tool.

Two versions: XLIFF 1.2 (`xliff12.py`), the one CAT tools read (OmegaT 3.6 loads no segment
of an XLIFF 2 file), and XLIFF 2.1 (here). Each is a `Dialect` in `dialects()`; the review
status of a segment (machine draft, edited, approved) becomes the version's own state.
The `<file original>` names the document and its source hash, and each unit carries the review
version it was exported at, so an import can tell a stale file from a current one. Import
checks everything first and applies all or nothing; a file never changes an approved sentence
without that version, and the import names the approved sentences it changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lxml import etree

from vi2en import document
from vi2en.document import Document, Segment
from vi2en.memory import ArticleState, Change, Entry, Memory
from vi2en.text import drop_controls, one_line

NS = "urn:oasis:names:tc:xliff:document:2.0"  # XLIFF 2.1 keeps the 2.0 namespace
VI2EN_NS = "urn:vi2en:xliff"
VERSION_ATTR = f"{{{VI2EN_NS}}}version"
STATES_21 = {"machine": "translated", "edited": "reviewed", "approved": "final"}  # review status → XLIFF 2.1 state
KNOWN_STATES_21 = {"initial", "translated", "reviewed", "final"}


class XliffError(Exception):
    """An XLIFF file that cannot be imported; `problems` lists every one found."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: not imported, {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n  " + "\n  ".join(problems))


def original(doc: Document) -> str:
    return f"{doc.stem}.json#sha256={doc.source_sha256}"


def review_status(entry: Entry | None, vi: str) -> str:
    """machine (the model's draft), edited or approved; an entry for another source sentence does not count."""
    if entry is None or entry.vi != vi:
        return "machine"
    return "approved" if entry.approved else "edited"


def notes(segment: Segment) -> list[tuple[str, str]]:
    """(category, text) of the notes a translator sees beside a unit: the score's flags and the glossary terms."""
    found = []
    if segment.flags:
        found.append(("vi2en-flags", f"score {segment.score}; flags: {', '.join(segment.flags)}"))
    if segment.terms:
        found.append(("vi2en-terms", "terms: " + "; ".join(f"{t.vi} = {t.en}" for t in segment.terms)))
    return [(category, drop_controls(text)) for category, text in found]


def export_units(doc: Document, memory: Memory | None) -> list[tuple[Segment, str, int]]:
    """(segment with the editors' English, review status, review version) for every segment."""
    merged, state = memory.merged(doc) if memory else (doc, ArticleState())
    units = []
    for segment in merged.segments:
        entry = state.entries.get(segment.id)
        units.append((segment, review_status(entry, segment.vi), entry.version if entry else 0))
    return units


def render_xliff(doc: Document, memory: Memory | None = None, copy_source: bool = False) -> bytes:
    """XLIFF 2.1. (`copy_source` is for XLIFF 1.2 and OmegaT; XLIFF 2 tools translate the source.)"""
    root = etree.Element(f"{{{NS}}}xliff", nsmap={None: NS, "vi2en": VI2EN_NS}, version="2.1", srcLang="vi", trgLang="en")
    file = etree.SubElement(root, f"{{{NS}}}file", id="f1", original=original(doc))
    for segment, status, version in export_units(doc, memory):
        unit = etree.SubElement(file, f"{{{NS}}}unit", {"id": segment.id, VERSION_ATTR: str(version)})
        found = notes(segment)
        if found:
            container = etree.SubElement(unit, f"{{{NS}}}notes")
            for category, text in found:
                etree.SubElement(container, f"{{{NS}}}note", category=category).text = text
        seg = etree.SubElement(unit, f"{{{NS}}}segment", state=STATES_21[status])
        # an editor's pasted control character is no text and XML cannot hold it: left out, so
        # the export never fails; the import then records the edit without it
        etree.SubElement(seg, f"{{{NS}}}source").text = drop_controls(segment.vi)
        etree.SubElement(seg, f"{{{NS}}}target").text = drop_controls(segment.en)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass
class Unit:
    id: str
    source: str
    target: str | None
    state: str
    version: str | None  # the review version it was exported at; None: not a vi2en export's unit
    approved: bool = False
    problem: str = ""  # what the dialect found wrong with the unit's structure or state


@dataclass(frozen=True)
class Dialect:
    """One XLIFF version: how a document is written, and how a file's units are read back."""

    version: str
    namespace: str
    render: Callable[..., bytes]  # (doc, memory, copy_source) → the file
    read_units: Callable[[etree._Element], list[Unit]]  # the single <file> element → its units


def _units_21(file: etree._Element) -> list[Unit]:
    units = []
    for unit in file.iter(f"{{{NS}}}unit"):
        segments = unit.findall(f"{{{NS}}}segment")
        seg = segments[0] if len(segments) == 1 else None
        source = seg.find(f"{{{NS}}}source") if seg is not None else None
        target = seg.find(f"{{{NS}}}target") if seg is not None else None
        state = seg.get("state", "initial") if seg is not None else ""
        units.append(Unit(
            id=unit.get("id", ""),
            source="".join(source.itertext()) if source is not None else "",
            target="".join(target.itertext()) if target is not None else None,
            state=state,
            version=unit.get(VERSION_ATTR),
            approved=state == STATES_21["approved"],
            problem="" if state in KNOWN_STATES_21 else f"one <segment> with a state of {', '.join(sorted(KNOWN_STATES_21))} expected, found {state!r}",
        ))
    return units


XLIFF21 = Dialect("2.1", NS, render_xliff, _units_21)


def dialects() -> dict[str, Dialect]:
    """The XLIFF versions vi2en writes and reads, by version; the first is the default for CAT tools."""
    from vi2en.xliff12 import XLIFF12  # it builds on this module's shared parts

    return {d.version: d for d in (XLIFF12, XLIFF21)}


def parse(path: Path) -> tuple[str, list[Unit]]:
    """The file's `original` and its units; raises XliffError when it is no XLIFF vi2en reads."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except OSError as e:
        raise XliffError(path, [f"cannot read ({e})"]) from None
    except etree.XMLSyntaxError as e:
        raise XliffError(path, [f"not well-formed XML ({one_line(str(e))})"]) from None
    version = str(root.get("version", ""))
    dialect = next((d for d in dialects().values() if root.tag == f"{{{d.namespace}}}xliff" and version.split(".")[0] == d.version.split(".")[0]), None)
    if dialect is None:
        raise XliffError(path, [f"not an XLIFF 1.2 or 2 file (root {root.tag}, version {root.get('version')})"])
    files = root.findall(f"{{{dialect.namespace}}}file")
    if len(files) != 1:
        raise XliffError(path, [f"{len(files)} <file> elements; a vi2en export has exactly one"])
    return files[0].get("original", ""), dialect.read_units(files[0])


@dataclass
class Imported:
    doc: Document
    changes: list[Change]
    approved_changed: list[str] = field(default_factory=list)  # ids of approved sentences the file changed


def read_changes(path: Path, file_original: str, units: list[Unit], doc: Document, memory: Memory) -> Imported:
    """The changes the parsed file makes to the document's review, after checking every unit against it."""
    merged, state = memory.merged(doc)
    segments = {s.id: s for s in merged.segments}
    problems = []
    if file_original != original(doc):
        problems.append(f"belongs to {file_original or 'an unnamed document'}, not to {original(doc)}")
    seen = set()
    result = Imported(doc, [])
    for unit in units:
        segment = segments.get(unit.id)
        if unit.id in seen:
            problems.append(f"unit {unit.id}: appears twice")
            continue
        seen.add(unit.id)
        if segment is None:
            problems.append(f"unit {unit.id or '(no id)'}: no such segment in {doc.stem}")
            continue
        if unit.source != drop_controls(segment.vi):
            problems.append(f"unit {unit.id}: source differs from the document ({unit.source[:60]!r} ≠ {segment.vi[:60]!r})")
        if unit.target is None:
            problems.append(f"unit {unit.id}: no <target>")
        if unit.problem:
            problems.append(f"unit {unit.id}: {unit.problem}")
        entry = state.entries.get(unit.id)
        current = entry.version if entry else 0
        if unit.version is not None and unit.version != str(current):
            problems.append(f"unit {unit.id}: changed in review since this file was exported (version {unit.version}, now {current})")
        # a target that is the source copied is what a CAT tool leaves in a segment nobody translated
        if unit.target is None or unit.target == unit.source:
            continue
        was_approved = state.is_approved(unit.id, segment.vi)
        if unit.target == segment.en and unit.approved == was_approved:
            continue
        if unit.version is None and (unit.approved or was_approved):
            what = "marked approved" if unit.approved else "changes a sentence approved in review"
            problems.append(f"unit {unit.id}: {what} but carries no review version; only a file vi2en exported can approve or change an approved sentence")
            continue
        if was_approved:
            result.approved_changed.append(unit.id)
        result.changes.append(Change(unit.id, segment.vi, unit.target, unit.approved, current, draft=segment.en))
    problems += [f"segment {sid}: missing from the file" for sid in segments if sid not in seen]
    if problems:
        raise XliffError(path, problems)
    return result


def import_xliff(path: Path, out_dir: Path, memory: Memory, editor: str) -> Imported:
    """Apply an XLIFF file (1.2 or 2) to the review of `out_dir/<stem>.json` in one transaction."""
    file_original, units = parse(path)
    stem = file_original.split("#", 1)[0].removesuffix(".json")
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise XliffError(path, [f"original {file_original!r} does not name a vi2en document"])
    try:
        doc = document.load(Path(out_dir) / f"{stem}.json")
    except document.DocumentError as e:
        raise XliffError(path, [str(e)]) from None
    except OSError as e:  # `original` names a folder, or a name too long for the file system
        raise XliffError(path, [f"original {file_original[:80]!r}: cannot read {stem[:80]}.json in {out_dir} ({e.strerror})"]) from None
    result = read_changes(path, file_original, units, doc, memory)
    conflicts = memory.save(doc, result.changes, editor, via=f"xliff:{Path(path).name}")
    if conflicts:
        raise XliffError(path, [f"unit {c.yours.segment_id}: changed in review while importing" for c in conflicts])
    return result
