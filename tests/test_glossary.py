"""The glossary at run time: matching, slots, validity dates, enforcement on model output."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from vi2en.glossary import Glossary, GlossaryError
from vi2en.terms import read_term_set

TERMS = Path(__file__).parent / "data" / "terms.tsv"


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


def renderings(g: Glossary, vi: str, date: str | None = "2024-01-17") -> list[str]:
    return [h.en for h in g.find(vi, date)]


def write(folder: Path, name: str, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("vi\ten\tkind\tslot\tnote\tsource\tvalid_from\tvalid_until\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def row(vi, en, kind="title", slot="", vf="", vu=""):
    return "\t".join([vi, en, kind, slot, "", "test", vf, vu])


def test_composed_titles_and_document_references(glossary):
    assert renderings(glossary, "Bí thư Tỉnh ủy Nghệ An chủ trì.") == ["Secretary of the Nghe An Provincial Party Committee"]
    assert renderings(glossary, "theo Nghị quyết số 21-NQ/TW của Hội nghị Trung ương 5 khoá XIII;") == [
        "Resolution No. 21-NQ/TW of the fifth plenum of the 13th Party Central Committee"
    ]
    assert renderings(glossary, "Quy định số 96-QĐ/TW ngày 02/02/2023 của Bộ Chính trị") == ["Regulation No. 96-QD/TW dated February 2, 2023 of the Politburo"]
    assert renderings(glossary, "Trưởng Ban Tổ chức Tỉnh ủy Hà Tĩnh") == ["Head of the Organisation Commission of the Ha Tinh Provincial Party Committee"]
    assert renderings(glossary, "Ban Chấp hành Trung ương Đảng khoá XIV") == ["14th Party Central Committee"]


def test_matching_ignores_tone_placement_normal_form_and_first_letter_case(glossary):
    want = ["Standing Board of the Provincial Party Committee"]
    assert renderings(glossary, "Ban Thường vụ Tỉnh uỷ họp.") == want
    assert renderings(glossary, "Ban Thường vụ Tỉnh ủy họp.") == want
    assert renderings(glossary, unicodedata.normalize("NFD", "Ban Thường vụ Tỉnh ủy họp.")) == want
    assert renderings(glossary, "ban Thường vụ tỉnh ủy họp.") == want
    assert renderings(glossary, "THƯỜNG TRỰC BAN BÍ THƯ GIAO BAN") == ["Permanent Member of the Party Central Committee's Secretariat"]


def test_case_after_the_first_letter_and_word_boundaries_count(glossary):
    # "hòa bình" is "peace"; only the capitalised name is the place
    assert renderings(glossary, "vì hòa bình và phát triển") == []
    assert renderings(glossary, "tỉnh Hòa Bình") == ["Hoa Binh province"]
    assert renderings(glossary, "ĐạiNghệ Anh") == []  # never inside a word
    assert renderings(glossary, "Bí thư Tỉnh ủy, Thành ủy trực thuộc Trung ương") == ["Secretaries of the Party Committees of provinces and centrally-run cities"]


def test_entries_follow_the_article_date(glossary):
    before, after = "2025-06-01", "2025-08-01"
    assert renderings(glossary, "Chủ tịch UBND tỉnh Hà Giang", before) == ["Chairman of the Ha Giang Provincial People's Committee"]
    # Hà Giang merged into Tuyên Quang on 2025-07-01: no longer a province to compose with
    assert renderings(glossary, "Chủ tịch UBND tỉnh Hà Giang", after) == ["Chairman of the Provincial People's Committee"]
    assert renderings(glossary, "Ban Tuyên giáo Trung ương", "2024-05-01") == ["Party Central Committee's Commission for Information and Education"]
    assert renderings(glossary, "Ban Tuyên giáo và Dân vận Trung ương", after) == ["Party Central Committee's Commission for Information, Education and Mass Mobilisation"]
    assert renderings(glossary, "Bộ Tài nguyên và Môi trường", after) == []
    assert renderings(glossary, "Bộ Nông nghiệp và Môi trường", after) == ["Ministry of Agriculture and Environment"]
    # an undated text gets what is in force now
    assert renderings(glossary, "Huyện ủy", None) == []


def test_glossary_covers_all_provincial_units(glossary):
    provinces_2024 = {e.vi for e in glossary.classes["province"] if e.valid_on("2024-01-01")}
    cities = {e.vi for e in glossary.classes["city"] if e.kind == "place"}
    provinces_2026 = {e.vi for e in glossary.classes["province"] if e.valid_on("2026-01-01")}
    spellings = {"Bà Rịa-Vũng Tàu", "Thừa Thiên - Huế", "Đăk Lăk", "Đăk Nông"}
    assert len(provinces_2024 - spellings) == 58
    assert len(provinces_2026 - spellings) == 28
    assert {"Hà Nội", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế"} <= cities


def test_term_set_is_large_and_the_glossary_finds_every_expected_term(glossary):
    rows = read_term_set(TERMS)
    assert len(rows) >= 150
    for r in rows:
        expected = [t for t in r["terms"].split(" | ") if t]
        assert renderings(glossary, r["vi"], r["date"]) == expected, r["vi"]


def test_seed_article_titles_people_and_documents_are_covered(glossary, seed_article):
    from vi2en.glossary_edit import suggest

    left = suggest({seed_article.name: seed_article.read_text(encoding="utf-8")}, glossary, "2024-01-17")
    assert [s.text for s in left if s.kind in ("person", "document", "abbreviation")] == []
    found = {h.en for line in seed_article.read_text(encoding="utf-8").splitlines() for h in glossary.find(line, "2024-01-17")}
    assert {"Truong Thi Mai", "Le Minh Hung", "Hoang Nghia Hieu", "Nguyen Phu Trong", "Politburo member", "Chief of the Party Central Committee's Office"} <= found


# ---------------------------------------------------------------- bad glossary files


def test_load_names_file_and_line_of_a_bad_row(tmp_path):
    write(tmp_path, "a.tsv", [row("Tỉnh ủy", "Provincial Party Committee", "body"), "only\ttwo"])
    with pytest.raises(GlossaryError, match=r"a\.tsv:3: 2 fields, the header has 8"):
        Glossary.load(tmp_path)


def test_empty_target_is_an_error(tmp_path):
    write(tmp_path, "a.tsv", [row("Tỉnh ủy", "", "body")])
    with pytest.raises(GlossaryError, match=r"a\.tsv:2: empty en field"):
        Glossary.load(tmp_path)


def test_cycle_of_slot_patterns_is_an_error_with_file_and_line(tmp_path):
    write(tmp_path, "a.tsv", [row("Ban {y}", "Board of {y}", "body", slot="x"), row("Hội {x}", "Council of {x}", "body", slot="y")])
    with pytest.raises(GlossaryError, match=r"a\.tsv:\d: cycle of slot patterns: a\.tsv:\d \(.*\) uses \{.\} → a\.tsv:\d"):
        Glossary.load(tmp_path)


def test_slot_nobody_fills_is_an_error(tmp_path):
    write(tmp_path, "a.tsv", [row("Bí thư {nowhere}", "Secretary of {nowhere}")])
    with pytest.raises(GlossaryError, match=r"a\.tsv:2: slot \{nowhere\} is filled by no entry"):
        Glossary.load(tmp_path)


def test_term_accuracy_script_reports_and_lists_misses(tiny_model, tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("term_accuracy", Path(__file__).parents[1] / "scripts" / "term_accuracy.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    subset = tmp_path / "terms.tsv"
    subset.write_text("".join(TERMS.read_text(encoding="utf-8").splitlines(keepends=True)[:4]), encoding="utf-8")
    code = script.main(["--model", str(tiny_model), "--max-length", "8", "--beam", "1", "--no-entities", str(subset), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert code == 0 and report["rendered_or_flagged"] == 1.0
    assert report["terms"] == sum(len(r["terms"].split(" | ")) for r in read_term_set(subset) if r["terms"])
    assert "(placeholders <tN>)" in out and f"terms in the sources:  {report['terms']}" in out
    # a random model renders no term; every one is a listed, flagged miss
    assert report["rendered"] + len(report["misses"]) == report["terms"] and all(m["flagged"] for m in report["misses"])
