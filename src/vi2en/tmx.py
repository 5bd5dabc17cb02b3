"""TMX 1.4b: one translation unit per sentence pair, for CAT tools' translation memories."""

from __future__ import annotations

from translate.storage import tmx

from vi2en.document import Document


def render_tmx(doc: Document) -> bytes:
    store = tmx.tmxfile(sourcelanguage="vi", targetlanguage="en")
    for segment in doc.segments:
        if not segment.en:
            continue
        store.addtranslation(segment.vi, "vi", segment.en, "en")
        unit = store.units[-1]
        unit.xmlelement.set("tuid", f"{doc.stem}:{segment.id}")
        unit.addnote(f"score {segment.score}; flags: {', '.join(segment.flags) or 'none'}", origin="translator")
    return bytes(store)
