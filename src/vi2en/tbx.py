"""TBX (ISO 30042) import and export of the glossary, the exchange format CAT tools read.

Two dialects of TBX-Basic, one layout: TBX v3 (2019) in the DCA style (`tbx`, conceptEntry,
langSec, termSec), and TBX 2 (`martif`, termEntry, langSet, tig), the one OmegaT, memoQ, Trados
and translate-toolkit read. One entry per glossary entry: the domain file is the subject field,
the English term carries the source; the columns TBX-Basic has no data category for (kind, slot,
validity) travel as `<note>`s of the form `vi2en-kind: title`, so a CAT tool shows them and an
import gives back exactly what was exported. An entry past its end date, when exported at all,
is marked `supersededTerm-admn-sts`, TBX-Basic's administrative status for a replaced term.
Reading accepts both dialects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from vi2en.glossary import COLUMNS, GlossaryError
from vi2en.text import one_line

NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NOTE_PREFIX = "vi2en-"
NOTE_COLUMNS = ["kind", "slot", "valid_from", "valid_until"]  # no TBX-Basic data category for these
SUPERSEDED = "supersededTerm-admn-sts"


@dataclass(frozen=True)
class Dialect:
    """The element names of one TBX version (the layout is the same)."""

    namespace: str | None
    root: str
    header: str
    entry: str
    language: str
    term: str
    root_attrs: tuple[tuple[str, str], ...]


V3 = Dialect(NS, "tbx", "tbxHeader", "conceptEntry", "langSec", "termSec", (("type", "TBX-Basic"), ("style", "dca")))
V2 = Dialect(None, "martif", "martifHeader", "termEntry", "langSet", "tig", (("type", "TBX-Basic"),))


def render_tbx(rows: list[dict[str, str]]) -> bytes:
    """TBX v3. rows: dicts with `domain` and the glossary columns (see glossary_edit.export_rows),
    and `expired` set for an entry past its end date."""
    return _render(V3, rows)


def render_tbx_basic(rows: list[dict[str, str]]) -> bytes:
    """TBX 2 (`martif`), TBX-Basic as CAT tools read it; rows as for `render_tbx`."""
    return _render(V2, rows)


def _render(dialect: Dialect, rows: list[dict[str, str]]) -> bytes:
    def E(tag, *children, **attrs):
        text = attrs.pop("text", None)
        el = etree.Element(f"{{{dialect.namespace}}}{tag}" if dialect.namespace else tag, attrib=attrs)
        el.text = text
        el.extend(children)
        return el

    root = E(dialect.root, **dict(dialect.root_attrs))
    root.set(XML_LANG, "vi")
    header = E(dialect.header, E("fileDesc", E("sourceDesc", E("p", text="vi2en terminology glossary (GPL-3.0-or-later)"))))
    if dialect is V2:  # TBX 2 names its data categories in the header: TBX-Basic's own XCS
        header.append(E("encodingDesc", E("p", type="XCSURI", text="TBXBasicXCSV02.xcs")))
    body = E("body")
    for n, row in enumerate(rows, start=1):
        concept = E(dialect.entry, id=f"c{n}")
        concept.append(E("descrip", type="subjectField", text=row["domain"]))
        if row.get("note"):
            concept.append(E("note", text=row["note"]))
        for column in NOTE_COLUMNS:
            if row.get(column):
                concept.append(E("note", text=f"{NOTE_PREFIX}{column}: {row[column]}"))
        for lang in ("vi", "en"):
            term = E(dialect.term, E("term", text=row[lang]))
            if row.get("expired"):
                term.append(E("termNote", type="administrativeStatus", text=SUPERSEDED))
            if lang == "en" and row.get("source"):
                term.append(E("admin", type="source", text=row["source"]))
            language = E(dialect.language, term)
            language.set(XML_LANG, lang)
            concept.append(language)
        body.append(concept)
    root.extend([header, E("text", body)])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def parse_tbx(path: Path, data: bytes) -> list[dict[str, str]]:
    """Rows (domain + glossary columns) from a TBX v3 or v2 file; not XML, or no terms: one error with the line."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        raise GlossaryError(f"{path}:{e.lineno or 1}: not a TBX file (XML error: {one_line(e.msg)})") from None
    if _local(root.tag) not in ("tbx", "martif"):
        raise GlossaryError(f"{path}:{root.sourceline}: not a TBX file (root element <{_local(root.tag)}>)")
    rows = []
    for concept in root.iter():
        if _local(concept.tag) not in ("conceptEntry", "termEntry"):
            continue
        row = {c: "" for c in ["domain"] + COLUMNS}
        for child in concept:
            name, text = _local(child.tag), (child.text or "").strip()
            if name == "descrip" and child.get("type") == "subjectField":
                row["domain"] = text
            elif name == "note" and text.startswith(NOTE_PREFIX) and text[len(NOTE_PREFIX) :].split(":")[0] in NOTE_COLUMNS:
                column, colon, value = text[len(NOTE_PREFIX) :].partition(":")
                if not colon:
                    raise GlossaryError(f"{path}:{child.sourceline}: note {text!r} has no value ({NOTE_PREFIX}COLUMN: VALUE)")
                row[column] = value.strip()
            elif name == "note":
                row["note"] = "; ".join(filter(None, [row["note"], text]))
            elif name in ("langSec", "langSet"):
                lang = (child.get(XML_LANG) or "").split("-")[0].lower()
                if lang in ("vi", "en") and not row[lang]:
                    _read_language(child, lang, row)
        if not row["vi"] or not row["en"]:
            raise GlossaryError(f"{path}:{concept.sourceline}: entry without both a Vietnamese and an English term")
        rows.append({**row, "line": str(concept.sourceline)})
    if not rows:
        raise GlossaryError(f"{path}:{root.sourceline}: no entries (conceptEntry or termEntry) in this TBX file")
    return rows


def _read_language(lang_sec, lang: str, row: dict[str, str]) -> None:
    """The first term of the language (a preferred term first in TBX order); the English one's source."""
    for el in lang_sec.iter():
        name = _local(el.tag)
        if name == "term" and not row[lang]:
            row[lang] = (el.text or "").strip()
        elif name == "admin" and el.get("type") == "source" and lang == "en" and not row["source"]:
            row["source"] = (el.text or "").strip()


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""
