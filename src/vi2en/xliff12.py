"""XLIFF 1.2, the version CAT tools read (OmegaT, memoQ, Trados, Okapi), written with lxml and
valid against the OASIS XLIFF 1.2 strict schema.

One `<trans-unit id=segment-id>` per segment. The review status becomes the target's `state`:
a machine draft is `new` with `state-qualifier="mt-suggestion"`, an edit not yet approved is
`translated`, an approved sentence is `signed-off` with the unit's `approved="yes"`. Reading
back, `approved="yes"`, `signed-off` and `final` count as approved. The review version rides
in the unit's `extradata` (`vi2en:version=3`): the strict schema has no room for attributes of
other namespaces that it does not know, and tools keep `extradata` as they found it.

OmegaT 3.x translates what is in a 1.2 file's `<target>` (a unit without one is not loaded, and
a draft in it would be taken for the text to translate); with `copy_source` the target holds a
copy of the Vietnamese, as OmegaT and Okapi expect, and the drafts reach OmegaT through a TMX
(`vi2en tm export --include-drafts`). The import treats a target equal to its source as not
translated.
"""

from __future__ import annotations

from lxml import etree

from vi2en.document import Document
from vi2en.memory import Memory
from vi2en.text import drop_controls
from vi2en.xliff import Dialect, Unit, export_units, notes, original

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
VERSION_PREFIX = "vi2en:version="
STATES = {"machine": "new", "edited": "translated", "approved": "signed-off"}  # review status → target state
APPROVED_STATES = {"signed-off", "final"}
# the XLIFF 1.2 state values; `x-` names are the standard's own extension point
KNOWN_STATES = {
    "final", "needs-adaptation", "needs-l10n", "needs-review-adaptation", "needs-review-l10n",
    "needs-review-translation", "needs-translation", "new", "signed-off", "translated",
}


def render_xliff12(doc: Document, memory: Memory | None = None, copy_source: bool = False) -> bytes:
    E = lambda tag, **attrs: etree.Element(f"{{{NS}}}{tag}", attrs)  # noqa: E731
    root = etree.Element(f"{{{NS}}}xliff", nsmap={None: NS}, version="1.2")
    file = etree.SubElement(root, f"{{{NS}}}file", {
        "original": original(doc), "source-language": "vi", "target-language": "en", "datatype": "plaintext", "tool-id": "vi2en",
    })
    header = etree.SubElement(file, f"{{{NS}}}header")
    header.append(E("tool", **{"tool-id": "vi2en", "tool-name": "vi2en"}))
    body = etree.SubElement(file, f"{{{NS}}}body")
    for segment, status, version in export_units(doc, memory):
        unit = etree.SubElement(body, f"{{{NS}}}trans-unit", {"id": segment.id, "extradata": f"{VERSION_PREFIX}{version}", XML_SPACE: "preserve"})
        if status == "approved":
            unit.set("approved", "yes")
        source = drop_controls(segment.vi)
        etree.SubElement(unit, f"{{{NS}}}source").text = source
        target = etree.SubElement(unit, f"{{{NS}}}target", state=STATES[status])
        if status == "machine" and not copy_source:
            target.set("state-qualifier", "mt-suggestion")
        target.text = source if copy_source else drop_controls(segment.en)
        for category, text in notes(segment):
            etree.SubElement(unit, f"{{{NS}}}note", {"from": category}).text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _units_12(file: etree._Element) -> list[Unit]:
    units = []
    for unit in file.iter(f"{{{NS}}}trans-unit"):
        source, target = unit.find(f"{{{NS}}}source"), unit.find(f"{{{NS}}}target")
        state = target.get("state", "") if target is not None else ""
        extradata = unit.get("extradata", "")
        known = not state or state in KNOWN_STATES or state.startswith("x-")
        units.append(Unit(
            id=unit.get("id", ""),
            source="".join(source.itertext()) if source is not None else "",
            target="".join(target.itertext()) if target is not None else None,
            state=state,
            version=extradata[len(VERSION_PREFIX) :] if extradata.startswith(VERSION_PREFIX) else None,
            approved=unit.get("approved") == "yes" or state in APPROVED_STATES,
            problem="" if known else f"target state {state!r} is not an XLIFF 1.2 state ({', '.join(sorted(KNOWN_STATES))} or x-…)",
        ))
    return units


XLIFF12 = Dialect("1.2", NS, render_xliff12, _units_12)
