"""The translation memory: optimistic saves, history, all-or-nothing, reuse, and bad database files."""

from __future__ import annotations

import sqlite3

import pytest

from vi2en.document import Block, Document, Segment, TermHit
from vi2en.memory import Change, Memory, TMError


def make_doc(sha: str = "a" * 64, name: str = "article", sentences=("Một câu.", "Hai câu.")) -> Document:
    segments = [Segment(f"p1.s{i}", vi, en=f"draft {i}") for i, vi in enumerate(sentences, 1)]
    return Document(source_path=f"{name}.txt", source_sha256=sha, blocks=[Block("p1", "paragraph", " ".join(sentences), segments)])


def test_save_then_conflict_keeps_first_and_reports_both(tmp_path):
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    doc = make_doc()
    assert memory.save(doc, [Change("p1.s1", "Một câu.", "One sentence.", False, 0, draft="draft 1")], "lan") == []
    # a second editor who also started from the machine draft (version 0)
    conflicts = memory.save(doc, [Change("p1.s1", "Một câu.", "A sentence.", True, 0)], "minh")
    assert [(c.yours.en, c.theirs.en, c.theirs.editor, c.theirs.version) for c in conflicts] == [("A sentence.", "One sentence.", "lan", 1)]
    entry = memory.state(doc).entries["p1.s1"]
    assert (entry.en, entry.approved, entry.version, entry.editor) == ("One sentence.", False, 1, "lan")
    # once the second editor has seen version 1, their save goes through, and history keeps every value
    assert memory.save(doc, [Change("p1.s1", "Một câu.", "A sentence.", True, 1)], "minh") == []
    history = memory.history(doc, "p1.s1")
    assert [(h["previous_en"], h["en"], h["editor"], h["version"]) for h in history] == [
        ("draft 1", "One sentence.", "lan", 1), ("One sentence.", "A sentence.", "minh", 2)]


def test_a_batch_with_one_conflict_changes_nothing(tmp_path):
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    doc = make_doc()
    memory.save(doc, [Change("p1.s2", "Hai câu.", "Two.", False, 0)], "lan")
    batch = [Change("p1.s1", "Một câu.", "One.", True, 0), Change("p1.s2", "Hai câu.", "Two sentences.", True, 0)]
    assert [c.yours.segment_id for c in memory.save(doc, batch, "minh")] == ["p1.s2"]
    assert set(memory.state(doc).entries) == {"p1.s2"}
    assert not memory.state(doc).approved(doc)


def test_edits_survive_reopening_and_merge_over_the_draft(tmp_path):
    path = tmp_path / "tm.sqlite"
    doc = make_doc()
    Memory(path, create=True).save(doc, [Change("p1.s1", "Một câu.", "One sentence.", True, 0)], "lan")
    merged, state = Memory(path).merged(doc)
    assert [s.en for s in merged.segments] == ["One sentence.", "draft 2"]
    assert [s.en for s in doc.segments] == ["draft 1", "draft 2"]  # the draft object is left as it was
    assert state.editors == ["lan"] and not state.approved(doc)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_edit_for_a_changed_source_sentence_is_not_applied(tmp_path):
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    memory.save(make_doc(), [Change("p1.s1", "Một câu.", "One sentence.", True, 0)], "lan")
    changed = make_doc(sentences=("Một câu khác.", "Hai câu."))
    merged, state = memory.merged(changed)
    assert merged.segments[0].en == "draft 1" and not state.is_approved("p1.s1", "Một câu khác.")


def test_exact_reuse_needs_approval_and_ignores_spelling_variants(tmp_path):
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    doc = make_doc(sentences=("Bí thư Tỉnh ủy phát biểu.", "Hai câu."))
    memory.save(doc, [Change("p1.s1", "Bí thư Tỉnh ủy phát biểu.", "The Provincial Party Secretary spoke.", True, 0),
                      Change("p1.s2", "Hai câu.", "Two sentences.", False, 0)], "lan")
    found = memory.exact(["bí  thư tỉnh uỷ phát biểu.", "Hai câu.", "Ba câu."])
    assert found == {"bí  thư tỉnh uỷ phát biểu.": "The Provincial Party Secretary spoke."}


def test_fuzzy_suggestions_from_other_articles_only_above_threshold(tmp_path):
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    first = make_doc(sentences=("Hội nghị tổng kết công tác năm 2023 của Tỉnh ủy Nghệ An.", "Trời mưa."))
    memory.save(first, [Change("p1.s1", first.segments[0].vi, "The conference reviewing 2023.", True, 0)], "lan")
    second = make_doc("b" * 64, "second", ("Hội nghị tổng kết công tác năm 2024 của Tỉnh ủy Nghệ An.", "Trời nắng đẹp."))
    suggestions = memory.suggestions(second)
    assert list(suggestions) == ["p1.s1"]
    assert suggestions["p1.s1"][0].en == "The conference reviewing 2023." and 90 <= suggestions["p1.s1"][0].similarity < 100
    assert memory.suggestions(first) == {}  # a segment is not its own suggestion


def test_corrupt_database_is_named_and_left_untouched(tmp_path):
    path = tmp_path / "tm.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(TMError, match=f"{path}: translation memory unreadable"):
        Memory(path, create=True)
    assert path.read_bytes() == before


def test_other_sqlite_files_and_missing_ones_are_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)")
    with pytest.raises(TMError, match="not a vi2en translation memory"):
        Memory(other)
    with pytest.raises(TMError, match="no translation memory there"):
        Memory(tmp_path / "missing.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()


def test_translate_reuses_only_approved_sentences(translated_seed, tiny_model, seed_article, tmp_path):
    from vi2en import document
    from vi2en.cli import main

    draft = document.load(translated_seed)
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    first, second = draft.segments[0], draft.segments[1]
    memory.save(draft, [Change(first.id, first.vi, "Approved title.", True, 0), Change(second.id, second.vi, "Edited only.", False, 0)], "lan")
    out = tmp_path / "out"
    assert main(["translate", str(seed_article), "--out", str(out), "--model", str(tiny_model), "--max-length", "8", "--quiet", "--tm", str(memory.path)]) == 0
    again = document.load(out / translated_seed.name)
    assert [(s.origin, s.en) for s in again.segments[:2]] == [("tm", "Approved title."), ("mt", second.en)]
    # the rest is the model's, but the source line, which a rule renders ("Theo nghean.gov.vn" → "Source: nghean.gov.vn")
    assert [s.origin for s in again.segments[2:]] == ["rule" if s.vi.startswith("Theo ") else "mt" for s in again.segments[2:]]
    assert [s.en for s in again.segments if s.origin == "rule"] == ["Source: nghean.gov.vn"]
    assert again.segments[0].score == 100.0 and again.segments[0].flags == []


def test_translate_with_a_corrupt_memory_fails_before_writing(seed_article, tiny_model, tmp_path, capsys):
    from vi2en.cli import main

    bad = tmp_path / "tm.sqlite"
    bad.write_bytes(b"garbage" * 200)
    code = main(["translate", str(seed_article), "--out", str(tmp_path / "out"), "--model", str(tiny_model), "--quiet", "--tm", str(bad)])
    assert code == 2 and f"{bad}: translation memory unreadable" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_merged_rechecks_glossary_terms_against_the_editors_english(tmp_path):
    """By the one presence rule of the terms stage: exactly as the glossary gives it."""
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    doc = make_doc(sentences=("Ban Bí thư họp.", "Hai câu.", "Ba câu."))
    for segment in doc.segments:
        segment.terms = [TermHit("Ban Bí thư", "Secretariat", "body", "central-party.tsv:2", 0, 10)]
    edits = [Change("p1.s1", "Ban Bí thư họp.", "The Secretariat met.", False, 0), Change("p1.s2", "Hai câu.", "The secretariat met.", False, 0)]
    memory.save(doc, edits, "lan")
    merged, _ = memory.merged(doc)
    assert [s.terms[0].found for s in merged.segments] == [True, False, False]


def test_an_approved_sentence_comes_back_byte_identical(tiny_model, tmp_path):
    """Regression: reused English went through the glossary's repair, which turned an editor's
    "Ca Mau Provincial Political School" into "Ca Mau province Political School" and still
    showed it approved with score 100."""
    from vi2en.backends import open_translator
    from vi2en.glossary import Glossary
    from vi2en.pipeline import document_from_lines, translate_document

    vi = "Trường Chính trị tỉnh Cà Mau khai giảng lớp bồi dưỡng."
    approved = "Ca Mau Provincial Political School opened a training course."
    glossary = Glossary.load()
    assert [h.en for h in glossary.find(vi, "2024-03-01")] == ["Ca Mau province"]  # a term the editor wrote otherwise
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    memory.save(make_doc(sentences=(vi,)), [Change("p1.s1", vi, approved, True, 0)], "lan")
    doc = document_from_lines([vi, "Hai câu."], "other.txt")
    doc.date = "2024-03-01"
    translate_document(doc, open_translator(tiny_model, beam_size=1, max_length=6), glossary, memory=memory)
    reused = doc.segments[0]
    assert reused.en.encode() == approved.encode() and reused.origin == "tm" and reused.score == 100.0
    assert [(h.vi, h.found) for h in reused.terms] == [("tỉnh Cà Mau", False)] and reused.flags == []
    assert doc.segments[1].origin == "mt"


def test_a_version_1_memory_gains_accounts_and_comments_and_keeps_its_edits(tmp_path):
    path = tmp_path / "old.sqlite"
    memory = Memory(path, create=True)
    memory.save(make_doc(), [Change("p1.s1", "Một câu.", "One sentence.", True, 0)], "lan")
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE users; DROP TABLE comments; PRAGMA user_version = 1;")  # as vi2en wrote it before accounts
    db.close()
    upgraded = Memory(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    assert upgraded.state(make_doc()).entries["p1.s1"].en == "One sentence."
    upgraded.add_user("lan", "reviewer", "a long password")
    assert [(u.name, u.role, u.can_approve) for u in upgraded.users()] == [("lan", "reviewer", True)]


def test_concordance_folds_vietnamese_capitals_that_sqlite_would_not(tmp_path):
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    doc = make_doc(sentences=("Đồng chí Bí thư Tỉnh ủy phát biểu.", "Trời mưa."))
    memory.save(doc, [Change("p1.s1", doc.segments[0].vi, "The Provincial Party Secretary spoke.", True, 0),
                      Change("p1.s2", "Trời mưa.", "It rains.", False, 0)], "lan")
    assert [p["segment_id"] for p in memory.concordance("ĐỒNG CHÍ BÍ THƯ")] == ["p1.s1"]
    assert [p["segment_id"] for p in memory.concordance("rains")] == ["p1.s2"]
    assert memory.concordance("%") == [] and memory.concordance("_") == []
