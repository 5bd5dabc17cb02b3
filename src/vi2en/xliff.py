"""XLIFF 2.1 export and import, so a translator can review a document in a CAT tool.

One `<unit id=segment-id>` per segment with `<source>`/`<target>`; the segment's `state` is
`translated` (machine draft), `reviewed` (edited, not approved) or `final` (approved). The
`<file original>` names the document and its source hash, and each unit carries the review
version it was exported at (`vi2en:version`), so an import can tell a stale file from a
current one. Import checks everything first and applies all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from vi2en import document
from vi2en.document import Document
from vi2en.memory import ArticleState, Change, Memory
from vi2en.text import drop_controls

NS = "urn:oasis:names:tc:xliff:document:2.0"  # XLIFF 2.1 keeps the 2.0 namespace
VI2EN_NS = "urn:vi2en:xliff"
VERSION_ATTR = f"{{{VI2EN_NS}}}version"
APPROVED_STATES = {"final"}
STATES = {"initial", "translated", "reviewed", "final"}


class XliffError(Exception):
    """An XLIFF file that cannot be imported; `problems` lists every one found."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: not imported, {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n  " + "\n  ".join(problems))


def original(doc: Document) -> str:
    return f"{doc.stem}.json#sha256={doc.source_sha256}"


def render_xliff(doc: Document, memory: Memory | None = None) -> bytes:
    merged, state = memory.merged(doc) if memory else (doc, ArticleState())
    root = etree.Element(f"{{{NS}}}xliff", nsmap={None: NS, "vi2en": VI2EN_NS}, version="2.1", srcLang="vi", trgLang="en")
    file = etree.SubElement(root, f"{{{NS}}}file", id="f1", original=original(doc))
    for segment in merged.segments:
        entry = state.entries.get(segment.id)
        unit = etree.SubElement(file, f"{{{NS}}}unit", {"id": segment.id, VERSION_ATTR: str(entry.version if entry else 0)})
        if segment.flags:
            note = etree.SubElement(etree.SubElement(unit, f"{{{NS}}}notes"), f"{{{NS}}}note", category="vi2en-flags")
            note.text = f"score {segment.score}; flags: {', '.join(segment.flags)}"
        seg = etree.SubElement(unit, f"{{{NS}}}segment", state=_state(entry, segment.vi))
        # an editor's pasted control character is no text and XML cannot hold it: left out, so
        # the export never fails; the import then records the edit without it
        etree.SubElement(seg, f"{{{NS}}}source").text = drop_controls(segment.vi)
        etree.SubElement(seg, f"{{{NS}}}target").text = drop_controls(segment.en)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _state(entry, vi: str) -> str:
    if entry is None or entry.vi != vi:
        return "translated"
    return "final" if entry.approved else "reviewed"


@dataclass
class Unit:
    id: str
    source: str
    target: str | None
    state: str
    version: str | None


def parse(path: Path) -> tuple[str, list[Unit]]:
    """The file's `original` and its units; raises XliffError when it is not XLIFF 2 at all."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except OSError as e:
        raise XliffError(path, [f"cannot read ({e})"]) from None
    except etree.XMLSyntaxError as e:
        raise XliffError(path, [f"not well-formed XML ({e})"]) from None
    if root.tag != f"{{{NS}}}xliff" or not str(root.get("version", "")).startswith("2."):
        raise XliffError(path, [f"not an XLIFF 2 file (root {root.tag}, version {root.get('version')})"])
    files = root.findall(f"{{{NS}}}file")
    if len(files) != 1:
        raise XliffError(path, [f"{len(files)} <file> elements; a vi2en export has exactly one"])
    units = []
    for unit in files[0].iter(f"{{{NS}}}unit"):
        segments = unit.findall(f"{{{NS}}}segment")
        seg = segments[0] if len(segments) == 1 else None
        source = seg.find(f"{{{NS}}}source") if seg is not None else None
        target = seg.find(f"{{{NS}}}target") if seg is not None else None
        units.append(Unit(
            id=unit.get("id", ""),
            source="".join(source.itertext()) if source is not None else "",
            target="".join(target.itertext()) if target is not None else None,
            state=seg.get("state", "initial") if seg is not None else "",
            version=unit.get(VERSION_ATTR),
        ))
    return files[0].get("original", ""), units


def read_changes(path: Path, file_original: str, units: list[Unit], doc: Document, memory: Memory) -> list[Change]:
    """The changes the parsed file makes to the document's review, after checking every unit against it."""
    merged, state = memory.merged(doc)
    segments = {s.id: s for s in merged.segments}
    problems = []
    if file_original != original(doc):
        problems.append(f"belongs to {file_original or 'an unnamed document'}, not to {original(doc)}")
    seen = set()
    changes = []
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
        if unit.state not in STATES:
            problems.append(f"unit {unit.id}: one <segment> with a state of {', '.join(sorted(STATES))} expected, found {unit.state!r}")
        entry = state.entries.get(unit.id)
        current = entry.version if entry else 0
        if unit.version is not None and unit.version != str(current):
            problems.append(f"unit {unit.id}: changed in review since this file was exported (version {unit.version}, now {current})")
        approved = unit.state in APPROVED_STATES
        if unit.target is not None and (unit.target != segment.en or approved != state.is_approved(unit.id, segment.vi)):
            changes.append(Change(unit.id, segment.vi, unit.target, approved, current, draft=segment.en))
    problems += [f"segment {sid}: missing from the file" for sid in segments if sid not in seen]
    if problems:
        raise XliffError(path, problems)
    return changes


def import_xliff(path: Path, out_dir: Path, memory: Memory, editor: str) -> tuple[Document, int]:
    """Apply an XLIFF file to the review of `out_dir/<stem>.json` in one transaction; returns the number of segments changed."""
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
    changes = read_changes(path, file_original, units, doc, memory)
    conflicts = memory.save(doc, changes, editor, via=f"xliff:{Path(path).name}")
    if conflicts:
        raise XliffError(path, [f"unit {c.yours.segment_id}: changed in review while importing" for c in conflicts])
    return doc, len(changes)
