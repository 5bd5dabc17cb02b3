"""The glossary at run time: matching, slots, validity dates, enforcement on model output."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from vi2en.glossary import Glossary, GlossaryError, measure_terms, read_term_set

TERMS = Path(__file__).parent / "data" / "terms.tsv"


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


def renderings(g: Glossary, vi: str, date: str | None = "2024-01-17") -> list[str]:
    return [h["en"] for h in g.find(vi, date)]


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
    found = {h["en"] for line in seed_article.read_text(encoding="utf-8").splitlines() for h in glossary.find(line, "2024-01-17")}
    assert {"Truong Thi Mai", "Le Minh Hung", "Hoang Nghia Hieu", "Nguyen Phu Trong", "Politburo member", "Chief of the Party Central Committee's Office"} <= found


# ---------------------------------------------------------------- enforcement


def masked(g: Glossary, vi: str) -> list[dict]:
    """Hits as prepare makes them for a tokenizer that keeps <tN> whole."""
    _, hits = g.prepare(vi, "2024-01-17")
    for n, h in enumerate(hits):
        h["placeholder"] = f"<t{n}>"
    return hits


@pytest.mark.parametrize(
    "output, want",
    [
        ("<t0> met <t1>.", "The Permanent Member of the Party Central Committee's Secretariat met the Politburo."),
        ("<t0> met the <t1>.", "The Permanent Member of the Party Central Committee's Secretariat met the Politburo."),
        ("The <t0> met the the <t1> .", "The Permanent Member of the Party Central Committee's Secretariat met the Politburo."),
        ("< t0 > met the <t1>.", "The Permanent Member of the Party Central Committee's Secretariat met the Politburo."),
        ("<t1> 's view was heard by <t0>.", "The Politburo's view was heard by Permanent Member of the Party Central Committee's Secretariat."),
    ],
)
def test_placeholders_are_restored_with_grammar_around_them(glossary, output, want):
    hits = masked(glossary, "Thường trực Ban Bí thư làm việc với Bộ Chính trị.")
    en, flags = glossary.restore(output, hits)
    assert en == want
    assert flags == [] and all(h["found"] for h in hits)


def test_a_title_before_a_name_takes_no_article(glossary):
    hits = masked(glossary, "Thường trực Ban Bí thư Trương Thị Mai phát biểu.")
    en, flags = glossary.restore("<t0> <t1> spoke.", hits)
    assert en == "Permanent Member of the Party Central Committee's Secretariat Truong Thi Mai spoke."
    assert flags == []


def test_a_lower_case_title_opening_the_sentence_is_capitalised_and_counts_as_found(glossary):
    hits = masked(glossary, "Ủy viên Trung ương Đảng Nguyễn Văn Bình phát biểu.")
    en, flags = glossary.restore("<t0> Nguyen Van Binh spoke.", hits)
    assert en == "Member of the Party Central Committee Nguyen Van Binh spoke."
    assert flags == [] and hits[0]["found"]


def test_model_variants_are_repaired_and_absent_terms_flagged_by_name(glossary):
    _, hits = glossary.prepare("Trưởng Ban Tổ chức Trung ương và Bộ Chính trị", "2024-01-17")
    en, flags = glossary.restore("The head of the Party Central Committee's Organization Commission spoke.", hits)
    assert en == "The Head of the Party Central Committee's Organisation Commission spoke."
    assert hits[0]["found"] and hits[0]["fix"] == "variant"
    assert flags == ["term-missing"]
    assert [h["vi"] for h in hits if not h["found"]] == ["Bộ Chính trị"]


def test_invented_placeholders_are_dropped(glossary):
    en, flags = glossary.restore("The meeting ended <t7>.", [])
    assert (en, flags) == ("The meeting ended.", [])


def test_any_model_that_copies_gets_every_term_either_way(glossary, tiny_model, tmp_path):
    """Masked (tokenizer keeps <tN>) or inline (it does not): a model that copies its input renders every term."""
    import sentencepiece as spm
    from transformers import AutoTokenizer

    from vi2en.marian import write_tokenizer_files

    with_placeholders = AutoTokenizer.from_pretrained(tiny_model)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(r["vi"] for r in read_term_set(TERMS)), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "plain"), vocab_size=300, model_type="unigram", eos_id=0, unk_id=1, bos_id=-1, pad_id=-1, minloglevel=2)
    write_tokenizer_files(tmp_path / "plain.model", tmp_path / "plain")
    without = AutoTokenizer.from_pretrained(tmp_path / "plain")
    assert glossary.keeps_placeholders(with_placeholders) and not glossary.keeps_placeholders(without)

    sentences = [(r["date"], r["vi"]) for r in read_term_set(TERMS)]
    copy_model = lambda texts: list(texts)  # noqa: E731
    for tokenizer, marker in ((with_placeholders, "<t0>"), (without, "Secretary of the")):
        model_input, _ = glossary.prepare("Bí thư Tỉnh ủy Nghệ An phát biểu.", "2024-01-17", tokenizer)
        assert model_input.startswith(marker)
        report = measure_terms(glossary, copy_model, sentences, tokenizer)
        assert report.terms > 200 and report.accuracy == 1.0 and not report.misses


def test_a_model_that_drops_terms_is_flagged_for_every_one(glossary):
    sentences = [(r["date"], r["vi"]) for r in read_term_set(TERMS)][:40]
    report = measure_terms(glossary, lambda texts: ["It was said." for _ in texts], sentences)
    assert report.terms > 20 and report.rendered == 0
    assert report.rendered_or_flagged == 1.0 and all(m["flagged"] for m in report.misses)


def test_translated_article_lists_hits_with_their_entries(tiny_model, seed_article, tmp_path):
    from vi2en.cli import main

    # the seed article's title, dateline and one paragraph: enough terms, a third of the time
    lines = [line for line in seed_article.read_text(encoding="utf-8").splitlines() if line.strip()]
    article = tmp_path / "short.txt"
    article.write_text("\n\n".join(lines[:3]) + "\n", encoding="utf-8")
    assert main(["translate", str(article), "--out", str(tmp_path), "--model", str(tiny_model), "--max-length", "8", "--quiet"]) == 0
    data = json.loads((tmp_path / "short.json").read_text(encoding="utf-8"))
    assert data["date"] == "2024-01-17"
    segments = [s for b in data["blocks"] for s in b["segments"]]
    hits = [h for s in segments for h in s["terms"]]
    assert any(h["vi"] == "Thường trực Ban Bí thư" and h["entry"].startswith("central-party.tsv:") for h in hits)
    assert any(h["vi"] == "Trưởng Ban Tổ chức Trung ương" and h["via"] for h in hits)
    for s in segments:
        missing = [h["vi"] for h in s["terms"] if not h["found"]]
        assert ("term-missing" in s["flags"]) == bool(missing)
        assert s["signals"].get("terms_missing", []) == missing
        assert "<t" not in s["en"]
    page = (tmp_path / "short.html").read_text(encoding="utf-8")
    assert '<mark class="term">Thường trực Ban Bí thư</mark>' in page


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
    code = script.main(["--model", str(tiny_model), "--max-length", "8", "--beam", "1", str(subset), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert code == 0 and report["rendered_or_flagged"] == 1.0
    assert report["terms"] == sum(len(r["terms"].split(" | ")) for r in read_term_set(subset) if r["terms"])
    assert "(placeholders <tN>)" in out and f"terms in the sources:  {report['terms']}" in out
    # a random model renders no term; every one is a listed, flagged miss
    assert report["rendered"] + len(report["misses"]) == report["terms"] and all(m["flagged"] for m in report["misses"])


def test_pipeline_retries_inline_when_the_model_drops_placeholders(glossary, tiny_model):
    """A model that loses every <tN> gets the sentence again with the terms' English inline."""
    import re

    from transformers import AutoTokenizer

    from vi2en.pipeline import document_from_lines, translate_document
    from vi2en.translate import Hypothesis

    class DropsPlaceholders:  # copies its input except placeholders, as a model that never learnt them
        tokenizer = AutoTokenizer.from_pretrained(tiny_model)
        model_max_tokens = 512
        inputs: list[str] = []

        def count_tokens(self, text):
            return len(text.split())

        def translate(self, texts, progress=None):
            self.inputs += texts
            return [Hypothesis(re.sub(r"<t\d>", "", t), [-0.1]) for t in texts]

        def describe(self):
            return {"name": "drops-placeholders"}

    model = DropsPlaceholders()
    doc = document_from_lines(["Bí thư Tỉnh ủy Nghệ An phát biểu."], "x.txt")
    doc.date = "2024-01-17"
    translate_document(doc, model, glossary)
    segment = doc.segments[0]
    assert model.inputs[0].startswith("<t0>") and model.inputs[1].startswith("Secretary of the Nghe An")
    assert "Secretary of the Nghe An Provincial Party Committee" in segment.en
    assert "term-missing" not in segment.flags and all(h["found"] for h in segment.terms)


def test_pipeline_forces_terms_a_model_will_not_produce(glossary, tiny_model):
    """A random model renders no term by itself, masked or inline; forcing puts every one in, and says so."""
    from vi2en.pipeline import document_from_lines, translate_document
    from vi2en.translate import Translator

    doc = document_from_lines(["Bí thư Tỉnh ủy Nghệ An phát biểu.", "Thủ tướng Chính phủ Phạm Minh Chính chủ trì phiên họp."], "x.txt")
    doc.date = "2024-09-01"
    translate_document(doc, Translator(tiny_model, beam_size=2, max_length=8), glossary)
    hits = [h for s in doc.segments for h in s.terms]
    assert [h["en"] for h in hits] == ["Secretary of the Nghe An Provincial Party Committee", "Prime Minister", "Pham Minh Chinh"]
    assert all(h["found"] and h["fix"] == "forced" for h in hits)
    for segment in doc.segments:
        assert "term-missing" not in segment.flags and "<t" not in segment.en
        assert all(h["en"] in segment.en for h in segment.terms)


def test_repairing_one_term_never_rewrites_another(glossary):
    """The missing term's closest text is another term's rendering: that text stays, and the missing one is flagged."""
    found = {"vi": "Trưởng Ban Tổ chức Trung ương", "en": "Head of the Party Central Committee's Organisation Commission", "kind": "title"}
    missing = {"vi": "Trưởng Ban Tuyên giáo Trung ương", "en": "Head of the Party Central Committee's Propaganda Commission", "kind": "title"}
    text = "The Head of the Party Central Committee's Organisation Commission spoke."
    for hits in ([missing, found], [found, missing]):
        en, flags = glossary.restore(text, [dict(h) for h in hits])
        assert (en, flags) == (text, ["term-missing"])
