"""TMX 1.4b: one translation unit per sentence pair, for CAT tools' translation memories.

A CAT tool takes a TMX unit for a person's translation: OmegaT fills segments from the TMX files
in a project's `tm/auto/`, and shows any other as a match. So every unit says what it is, in a
`<prop type="x-vi2en-status">`: `approved` (a person approved it: `creationid`/`creationdate` are
who first saved it and when, `changeid`/`changedate` who approved it and when, from the
translation memory), `edited` (a person's English, not approved) or `machine` (the model's draft:
`creationid` names the model, and there is no `changeid`, since no person changed it). Drafts
belong in OmegaT's `tm/mt/`, never in `tm/auto/`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from lxml import etree
from translate.storage import tmx

from vi2en.document import Document
from vi2en.memory import Memory

STATUS_PROP = "x-vi2en-status"
STATUSES = ("approved", "edited", "machine")


@dataclass
class Pair:
    vi: str
    en: str
    tuid: str
    status: str  # one of STATUSES
    note: str = ""
    creationid: str = ""
    creationdate: str = ""  # ISO 8601, as the memory and the documents keep time
    changeid: str = ""
    changedate: str = ""


def tmx_date(iso: str) -> str:
    """TMX's own date form, YYYYMMDDThhmmssZ in UTC (an ISO time without a zone is taken as UTC)."""
    when = dt.datetime.fromisoformat(iso)
    when = when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)
    return when.strftime("%Y%m%dT%H%M%SZ")


def machine_id(doc: Document) -> str:
    return f"MT:{doc.model.get('name') or 'unknown model'}"


def render_tmx(doc: Document) -> bytes:
    """The article's pairs as translated: the model's drafts, and sentences the memory gave (approved earlier)."""
    return render_pairs(
        Pair(s.vi, s.en, f"{doc.stem}:{s.id}", "approved" if s.origin == "tm" else "machine",
             f"score {s.score}; flags: {', '.join(s.flags) or 'none'}",
             creationid="translation memory" if s.origin == "tm" else machine_id(doc), creationdate=doc.created)
        for s in doc.segments if s.en
    )


def approved_pairs(memory: Memory) -> list[Pair]:
    """The memory's approved pairs, with who made and who approved each English and when."""
    first = memory.first_saves()
    pairs = []
    for p in memory.approved_pairs():
        creator, created = first.get((p["doc"], p["segment_id"]), (p["editor"], p["updated"]))
        pairs.append(Pair(p["vi"], p["en"], f"{p['doc_name']}:{p['segment_id']}", "approved",
                          creationid=creator, creationdate=created, changeid=p["editor"], changedate=p["updated"]))
    return pairs


def draft_pairs(docs: list[Document], memory: Memory) -> list[Pair]:
    """The documents' sentences nobody approved: an editor's English (`edited`) or the model's (`machine`)."""
    first = memory.first_saves()
    pairs = []
    for doc in docs:
        merged, state = memory.merged(doc)
        for s in merged.segments:
            if not s.en or state.is_approved(s.id, s.vi):
                continue
            entry = state.entries.get(s.id)
            if entry and entry.vi == s.vi:
                creator, created = first.get((doc.source_sha256, s.id), (entry.editor, entry.updated))
                pairs.append(Pair(s.vi, s.en, f"{doc.stem}:{s.id}", "edited", creationid=creator, creationdate=created))
            else:
                pairs.append(Pair(s.vi, s.en, f"{doc.stem}:{s.id}", "machine", creationid=machine_id(doc), creationdate=doc.created))
    return pairs


def render_pairs(pairs: Iterable[Pair]) -> bytes:
    store = tmx.tmxfile(sourcelanguage="vi", targetlanguage="en")
    for pair in pairs:
        store.addtranslation(pair.vi, "vi", pair.en, "en")
        unit = store.units[-1].xmlelement
        unit.set("tuid", pair.tuid)
        for name in ("creationid", "creationdate", "changeid", "changedate"):
            value = getattr(pair, name)
            if value:
                unit.set(name, tmx_date(value) if name.endswith("date") else value)
        # the DTD puts notes and props before the variants
        prop = etree.Element("prop", type=STATUS_PROP)
        prop.text = pair.status
        unit.insert(0, prop)
        if pair.note:
            note = etree.Element("note")
            note.text = pair.note
            unit.insert(0, note)
    return bytes(store)
