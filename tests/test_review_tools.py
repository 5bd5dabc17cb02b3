"""The editor's tools: source diffs of memory matches and concordance lines, escaped."""

from __future__ import annotations

from pathlib import Path

from vi2en.document import Block, Document, Segment
from vi2en.memory import Change, Memory
from vi2en.review.tools import Progress, concordance, source_diff


def test_source_diff_marks_what_differs_and_escapes_everything():
    diff = str(source_diff("Hội nghị năm 2024 <b>tại</b> Vinh.", "Hội nghị năm 2023 <b>tại</b> Vinh."))
    assert diff == "Hội nghị năm <del>2023</del> <ins>2024</ins> &lt;b&gt;tại&lt;/b&gt; Vinh."
    assert str(source_diff("Một hai ba.", "Một hai ba.")) == "Một hai ba."


def test_concordance_finds_both_languages_in_articles_and_memory_once(tmp_path):
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    doc = Document("art.txt", "a" * 64, [Block("p1", "paragraph", "…", [
        Segment("p1.s1", "Ban Bí thư <script>họp</script>.", "The Secretariat met."),
        Segment("p1.s2", "Trời mưa.", "It rained.")])])
    elsewhere = Document("gone.txt", "b" * 64, [Block("p1", "paragraph", "…", [Segment("p1.s1", "Ban Bí thư làm việc.", "The Secretariat worked.")])])
    memory.save(doc, [Change("p1.s1", doc.segments[0].vi, "The Secretariat met today.", True, 0)], "lan")
    memory.save(elsewhere, [Change("p1.s1", elsewhere.segments[0].vi, "The Secretariat worked.", True, 0)], "lan")
    hits = concordance("ban bí thư", memory, [(Path("art.json"), doc)])
    assert [(h.where, h.status) for h in hits] == [("art p1.s1", "approved"), ("gone p1.s1 (memory)", "approved")]
    assert str(hits[0].vi) == '<mark class="term">Ban Bí thư</mark> &lt;script&gt;họp&lt;/script&gt;.'
    assert str(hits[0].en) == "The Secretariat met today."  # the editor's English, not the draft
    assert [h.where for h in concordance("RAINED", memory, [(Path("art.json"), doc)])] == ["art p1.s2"]
    progress = Progress.of(doc, memory.state(doc))
    assert (progress.approved, progress.sentences, progress.approved_words, progress.words, progress.percent) == (1, 2, 4, 6, 67)
