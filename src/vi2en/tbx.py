"""TBX (ISO 30042) import and export of the glossary, the exchange format CAT tools read.

Written as TBX-Basic in the TBX v3 (2019) DCA style. One conceptEntry per glossary entry:
the domain file is the subject field, the English term carries the source; the columns TBX-Basic
has no data category for (kind, slot, validity) travel as `<note>`s of the form `vi2en-kind:
title`, so a CAT tool shows them and an import gives back exactly what was exported. Reading
also accepts the older TBX v2 (`martif`, termEntry/langSet/tig) that many tools still export.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from vi2en.glossary import COLUMNS, GlossaryError

NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NOTE_PREFIX = "vi2en-"
NOTE_COLUMNS = ["kind", "slot", "valid_from", "valid_until"]  # no TBX-Basic data category for these


def render_tbx(rows: list[dict[str, str]]) -> bytes:
    """rows: dicts with `domain` and the glossary columns (see glossary_edit.export_rows)."""
    E = lambda tag, *children, **attrs: _element(tag, children, attrs)  # noqa: E731
    root = etree.Element(f"{{{NS}}}tbx", nsmap={None: NS}, attrib={"type": "TBX-Basic", "style": "dca", XML_LANG: "vi"})
    header = E("tbxHeader", E("fileDesc", E("sourceDesc", E("p", text="vi2en terminology glossary (GPL-3.0-or-later)"))))
    body = E("body")
    for n, row in enumerate(rows, start=1):
        concept = E("conceptEntry", id=f"c{n}")
        concept.append(E("descrip", type="subjectField", text=row["domain"]))
        if row.get("note"):
            concept.append(E("note", text=row["note"]))
        for column in NOTE_COLUMNS:
            if row.get(column):
                concept.append(E("note", text=f"{NOTE_PREFIX}{column}: {row[column]}"))
        vi = E("langSec", E("termSec", E("term", text=row["vi"])))
        vi.set(XML_LANG, "vi")
        en_term = E("termSec", E("term", text=row["en"]))
        if row.get("source"):
            en_term.append(E("admin", type="source", text=row["source"]))
        en = E("langSec", en_term)
        en.set(XML_LANG, "en")
        concept.extend([vi, en])
        body.append(concept)
    root.extend([header, E("text", body)])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _element(tag: str, children, attrs: dict) -> etree._Element:
    text = attrs.pop("text", None)
    el = etree.Element(f"{{{NS}}}{tag}", attrib=attrs)
    el.text = text
    el.extend(children)
    return el


def parse_tbx(path: Path, data: bytes) -> list[dict[str, str]]:
    """Rows (domain + glossary columns) from a TBX v3 or v2 file; not XML, or no terms: one error with the line."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        raise GlossaryError(f"{path}:{e.lineno or 1}: not a TBX file (XML error: {e.msg})") from None
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
