"""TMX 1.4b: one translation unit per sentence pair, for CAT tools' translation memories."""

from __future__ import annotations

from typing import Iterable, NamedTuple

from translate.storage import tmx

from vi2en.document import Document


class Pair(NamedTuple):
    vi: str
    en: str
    tuid: str
    note: str


def render_tmx(doc: Document) -> bytes:
    return render_pairs(
        Pair(s.vi, s.en, f"{doc.stem}:{s.id}", f"score {s.score}; flags: {', '.join(s.flags) or 'none'}") for s in doc.segments if s.en
    )


def render_pairs(pairs: Iterable[Pair]) -> bytes:
    store = tmx.tmxfile(sourcelanguage="vi", targetlanguage="en")
    for pair in pairs:
        store.addtranslation(pair.vi, "vi", pair.en, "en")
        unit = store.units[-1]
        unit.xmlelement.set("tuid", pair.tuid)
        unit.addnote(pair.note, origin="translator")
    return bytes(store)
