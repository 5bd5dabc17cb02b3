"""The published page tells readers how much of the English a machine wrote and a person let stand."""

from __future__ import annotations

from vi2en import document
from vi2en.document import Block, Document, Segment
from vi2en.memory import Change, Memory
from vi2en.publish import build_site


def test_the_page_says_how_many_sentences_were_approved_unchanged_from_the_machine(tmp_path):
    out = tmp_path / "out"
    segments = [Segment("p1.s1", "Một.", "One."), Segment("p1.s2", "Hai.", "Two."), Segment("p1.s3", "Ba.", "Three."),
                Segment("p1.s4", "Bốn.", "Four.", origin="tm")]  # the memory's, a person's: not the machine's
    doc = Document("art.txt", "a" * 64, [Block("p1", "paragraph", "…", segments)])
    document.save(doc, out / "art.json")
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    memory.save(doc, [Change("p1.s1", "Một.", "One.", True, 0), Change("p1.s2", "Hai.", "Number two.", True, 0),
                      Change("p1.s3", "Ba.", "Three.", True, 0), Change("p1.s4", "Bốn.", "Four.", True, 0)], "lan")
    assert memory.state(doc).approved_unchanged(doc) == 2
    articles, _ = build_site(out, tmp_path / "site", memory)
    assert articles[0].unchanged == 2
    page = (tmp_path / "site" / "art.html").read_text(encoding="utf-8")
    assert "2 of 4 sentences were approved unchanged from the machine translation." in page
    # an edit, even back to the machine's words after another version, is still the machine's English: counted
    memory.save(doc, [Change("p1.s2", "Hai.", "Two.", True, 1)], "lan")
    assert memory.state(doc).approved_unchanged(doc) == 3
    memory.save(doc, [Change(s, vi, en, True, 1) for s, vi, en in [("p1.s1", "Một.", "The first."), ("p1.s3", "Ba.", "The third.")]], "lan")
    memory.save(doc, [Change("p1.s2", "Hai.", "The second.", True, 2)], "lan")
    build_site(out, tmp_path / "site", memory)
    assert "approved unchanged" not in (tmp_path / "site" / "art.html").read_text(encoding="utf-8")
