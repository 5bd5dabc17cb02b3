"""Term enforcement: placeholders restored with their grammar, variants repaired, retries and
forcing, and the one presence rule every caller shares."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from vi2en import terms
from vi2en.document import TermHit
from vi2en.glossary import Glossary
from vi2en.terms import read_term_set

TERMS = Path(__file__).parent / "data" / "terms.tsv"


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


def masked(g: Glossary, vi: str) -> list[TermHit]:
    """Hits as they are masked for a tokenizer that keeps <tN> whole."""
    hits = g.find(vi, "2024-01-17")
    terms.mask(vi, hits, placeholders=True)
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
    en, flags = terms.restore(output, hits)
    assert en == want
    assert flags == [] and all(h.found for h in hits)


def test_a_title_before_a_name_takes_no_article(glossary):
    hits = masked(glossary, "Thường trực Ban Bí thư Trương Thị Mai phát biểu.")
    en, flags = terms.restore("<t0> <t1> spoke.", hits)
    assert en == "Permanent Member of the Party Central Committee's Secretariat Truong Thi Mai spoke."
    assert flags == []


def test_a_lower_case_title_opening_the_sentence_is_capitalised_and_counts_as_found(glossary):
    hits = masked(glossary, "Ủy viên Trung ương Đảng Nguyễn Văn Bình phát biểu.")
    en, flags = terms.restore("<t0> Nguyen Van Binh spoke.", hits)
    assert en == "Member of the Party Central Committee Nguyen Van Binh spoke."
    assert flags == [] and hits[0].found


def test_model_variants_are_repaired_and_absent_terms_flagged_by_name(glossary):
    hits = glossary.find("Trưởng Ban Tổ chức Trung ương và Bộ Chính trị", "2024-01-17")
    en, flags = terms.restore("The head of the Party Central Committee's Organization Commission spoke.", hits)
    assert en == "The Head of the Party Central Committee's Organisation Commission spoke."
    assert hits[0].found and hits[0].fix == "variant"
    assert flags == ["term-missing"]
    assert [h.vi for h in hits if not h.found] == ["Bộ Chính trị"]


def test_invented_placeholders_are_dropped(glossary):
    en, flags = terms.restore("The meeting ended <t7>.", [])
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
    assert terms.keeps_placeholders(with_placeholders) and not terms.keeps_placeholders(without)

    sentences = [(r["date"], r["vi"]) for r in read_term_set(TERMS)]
    copy_model = lambda texts: list(texts)  # noqa: E731
    for tokenizer, marker in ((with_placeholders, "<t0>"), (without, "Secretary of the")):
        vi = "Bí thư Tỉnh ủy Nghệ An phát biểu."
        model_input = terms.mask(vi, glossary.find(vi, "2024-01-17"), placeholders=terms.keeps_placeholders(tokenizer))
        assert model_input.startswith(marker)
        report = terms.measure_terms(glossary, copy_model, sentences, tokenizer)
        assert report.terms > 200 and report.accuracy == 1.0 and not report.misses


def test_a_model_that_drops_terms_is_flagged_for_every_one(glossary):
    sentences = [(r["date"], r["vi"]) for r in read_term_set(TERMS)][:40]
    report = terms.measure_terms(glossary, lambda texts: ["It was said." for _ in texts], sentences)
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
        for kind, flag, signal in (("glossary", "term-missing", "terms_missing"), ("entity", "entity-missing", "entities_missing")):
            missing = [h["vi"] for h in s["terms"] if not h["found"] and bool(h.get("rule")) == (kind == "entity")]
            assert (flag in s["flags"]) == bool(missing)
            assert s["signals"].get(signal, []) == missing
        assert "<t" not in s["en"]
    page = (tmp_path / "short.html").read_text(encoding="utf-8")
    assert '<mark class="term">Thường trực Ban Bí thư</mark>' in page


def test_pipeline_retries_inline_when_the_model_drops_placeholders(glossary, tiny_model):
    """A model that loses every <tN> gets the sentence again with the terms' English inline."""
    import re

    from transformers import AutoTokenizer

    from vi2en.pipeline import document_from_lines, translate_document
    from vi2en.backends import Hypothesis

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
    assert "term-missing" not in segment.flags and all(h.found for h in segment.terms)


def test_pipeline_forces_terms_a_model_will_not_produce(glossary, tiny_model):
    """A random model renders no term by itself, masked or inline; forcing puts every one in, and says so."""
    from vi2en.pipeline import document_from_lines, translate_document
    from vi2en.backends import open_translator

    doc = document_from_lines(["Bí thư Tỉnh ủy Nghệ An phát biểu.", "Thủ tướng Chính phủ Phạm Minh Chính chủ trì phiên họp."], "x.txt")
    doc.date = "2024-09-01"
    translator = open_translator(tiny_model, beam_size=2, max_length=8)
    seen: list[str] = []
    translate = translator.translate
    translator.translate = lambda texts, progress=None: seen.extend(texts) or translate(texts, progress)
    translate_document(doc, translator, glossary)
    # a backend that can force skips the inline retry: every input the model saw is the masked sentence
    assert translator.can_force and seen and all("Secretary" not in t and "Prime Minister" not in t for t in seen)
    hits = [h for s in doc.segments for h in s.terms]
    assert [h.en for h in hits] == ["Secretary of the Nghe An Provincial Party Committee", "Prime Minister", "Pham Minh Chinh"]
    assert all(h.found and h.fix == "forced" for h in hits)
    for segment in doc.segments:
        assert "term-missing" not in segment.flags and "<t" not in segment.en
        assert all(h.en in segment.en for h in segment.terms)


def test_repairing_one_term_never_rewrites_another(glossary):
    """The missing term's closest text is another term's rendering: that text stays, and the missing one is flagged."""
    found = TermHit("Trưởng Ban Tổ chức Trung ương", "Head of the Party Central Committee's Organisation Commission", "title", "", 0, 0)
    missing = TermHit("Trưởng Ban Tuyên giáo Trung ương", "Head of the Party Central Committee's Propaganda Commission", "title", "", 0, 0)
    text = "The Head of the Party Central Committee's Organisation Commission spoke."
    for hits in ([missing, found], [found, missing]):
        en, flags = terms.restore(text, [replace(h) for h in hits])
        assert (en, flags) == (text, ["term-missing"])


def test_entities_and_terms_merge_without_overlap_the_longer_first_the_glossary_on_a_tie():
    def hit(start, end, rule=""):
        return TermHit("x", f"{start}-{end}{rule}", "body", "entities" if rule else "g.tsv:2", start, end, rule=rule)

    glossary_hits = [hit(0, 10), hit(20, 25)]
    entity_hits = [hit(0, 10, "body"), hit(18, 30, "body"), hit(40, 44, "number"), hit(8, 12, "name")]
    merged = terms.merge(glossary_hits, entity_hits)
    assert [(h.start, h.end, h.is_entity) for h in merged] == [(0, 10, False), (18, 30, True), (40, 44, True)]


def test_a_missing_entity_is_flagged_apart_from_a_missing_term():
    term = TermHit("Bộ Chính trị", "Politburo", "body", "central-party.tsv:3", 0, 12)
    entity = TermHit("62,58%", "62.58%", "number", "entities", 20, 26, rule="number:percent")
    assert terms.check("The Politburo rose 62.58%.", [term, entity]) == []
    assert terms.check("The Politburo rose 62,58%.", [term, entity]) == ["entity-missing"]
    assert terms.check("It rose 62,58%.", [term, entity]) == ["term-missing", "entity-missing"]
    assert entity.to_dict()["rule"] == "number:percent" and "rule" not in term.to_dict()


def test_a_source_line_comes_out_by_rule_whatever_the_model(glossary, tiny_model, tmp_path):
    """A random model writes nonsense; the source line and the byline are still the house's."""
    from vi2en.backends import open_translator
    from vi2en.entities import Entities
    from vi2en.pipeline import build_document, translate_document

    article = tmp_path / "a.txt"
    article.write_text("Hội nghị tổng kết năm 2024\n\nTỉnh ủy Nghệ An tổ chức hội nghị tổng kết công tác năm.\n\nMinh Châu\n\nTheo TTXVN\n", encoding="utf-8")
    doc = build_document(article)
    assert [b.kind for b in doc.blocks][-2:] == ["byline", "source"]
    translate_document(doc, open_translator(tiny_model, beam_size=1, max_length=6), glossary, entities=Entities.load())
    byline, source = doc.blocks[-2].segments[0], doc.blocks[-1].segments[0]
    assert (byline.en, source.en) == ("Minh Chau", "Source: VNA")
    assert source.terms[0].rule == "line:credit" and source.terms[0].found
    assert (source.origin, source.score, source.flags) == ("rule", 100.0, [])


def test_a_variant_is_repaired_only_in_renderings_long_enough_to_tell():
    """Eight characters and more: "Organization Commission" is the model's spelling of
    "Organisation Commission"; below that a close word is another word."""
    long = TermHit("x", "Congress", "body", "g.tsv:2", 0, 1)  # eight characters
    assert terms.restore("The Kongress met.", [long]) == ("The Congress met.", []) and long.fix == "variant"
    short = TermHit("x", "Council", "body", "g.tsv:2", 0, 1)  # seven, though "Kouncil" is as close
    assert terms.restore("The Kouncil met.", [short]) == ("The Kouncil met.", ["term-missing"])


def test_a_retry_that_renders_no_more_terms_is_not_kept(glossary):
    """The inline retry replaces the first try only when it renders more terms."""
    from vi2en.backends import Hypothesis

    class SameEitherWay:  # drops every term, masked or inline: the retry is no better
        tokenizer = None
        inputs: list[str] = []

        def translate(self, texts, progress=None):
            self.inputs += texts
            return [Hypothesis("Nothing.", [-0.1]) if "<t" in t or "Secretary" in t else Hypothesis("Else.", [-0.1]) for t in texts]

        def force(self, texts, needs):
            return [Hypothesis("Still nothing.", [-0.2]) for _ in texts]

    def find(vi):
        hits = glossary.find(vi, "2024-01-17")
        for h in hits:
            h.placeholder = ""
        return hits

    model = SameEitherWay()
    [result] = terms.enforce(["Bí thư Tỉnh ủy Nghệ An phát biểu."], find, model)
    assert result.en == "Nothing." and result.flags == ["term-missing"] and result.hypothesis.token_logprobs == [-0.1]


def test_the_report_counts_exactly():
    report = terms.TermReport()
    found = TermHit("Bộ Chính trị", "Politburo", "body", "g.tsv:2", 0, 12, found=True)
    forced = TermHit("Ban Bí thư", "Secretariat", "body", "g.tsv:3", 13, 23, found=True, fix="forced")
    missing = TermHit("Tỉnh ủy", "Provincial Party Committee", "body", "g.tsv:4", 24, 31)
    report.add("vi", "The Politburo and the Secretariat met.", [found, forced, missing], ["term-missing"], ["Politburo", "Provincial Party Committee"])
    assert (report.sentences, report.terms, report.rendered, report.flagged, report.forced) == (1, 3, 2, 1, 1)
    assert (report.expected, report.expected_found, report.expected_accuracy) == (2, 1, 0.5)
    assert report.as_dict() == {"terms": 3, "rendered": 2, "accuracy": round(2 / 3, 4)}
    assert terms.TermReport().accuracy == 1.0 and terms.TermReport().as_dict() == {"terms": 0, "rendered": 0}


def test_term_and_entity_sets_are_read_alike(tmp_path):
    (tmp_path / "e.tsv").write_text("date\tvi\texpected\n2024-01-01\tCâu.\tJanuary 1\n", encoding="utf-8")
    (tmp_path / "t.tsv").write_text("date\tvi\tterms\texpected\n2024-01-01\tCâu.\tPolitburo\tother\n", encoding="utf-8")
    assert read_term_set(tmp_path / "e.tsv")[0]["terms"] == "January 1"
    assert read_term_set(tmp_path / "t.tsv")[0]["terms"] == "Politburo"


def test_no_tokenizer_keeps_no_placeholders():
    assert terms.keeps_placeholders(None) is False


def test_a_variant_must_be_more_than_85_percent_alike():
    near = TermHit("x", "Secretariat member", "title", "g.tsv:2", 0, 1)
    assert terms.restore("The Secretary members met.", [near])[0] == "The Secretariat member met."  # 85.7% alike
    far = TermHit("x", "Secretariat member", "title", "g.tsv:2", 0, 1)
    assert terms.restore("The Secretary membre met.", [far]) == ("The Secretary membre met.", ["term-missing"])  # 82.4%


def test_a_term_set_without_its_columns_is_refused(tmp_path):
    from vi2en.glossary import GlossaryError

    (tmp_path / "bad.tsv").write_text("date\tvi\n2024-01-01\tCâu.\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"bad\.tsv:1: a term test set needs the columns date, vi, terms"):
        read_term_set(tmp_path / "bad.tsv")
    (tmp_path / "empty.tsv").write_text("", encoding="utf-8")
    with pytest.raises(GlossaryError):
        read_term_set(tmp_path / "empty.tsv")


def test_masking_keeps_every_character_around_the_terms(glossary):
    vi = "Hôm nay Bộ Chính trị họp với Ban Bí thư."
    hits = glossary.find(vi, "2024-01-17")
    assert terms.mask(vi, hits, placeholders=True) == "Hôm nay <t0> họp với <t1>."
    assert terms.mask(vi, hits, placeholders=False) == "Hôm nay Politburo họp với Party Central Committee's Secretariat."


def test_a_mangled_placeholder_is_repaired_and_says_so(glossary):
    for output, fix in (("< t0 > met.", "placeholder repaired"), ("<t0> met.", "")):
        hits = masked(glossary, "Bộ Chính trị họp.")
        assert terms.restore(output, hits) == ("The Politburo met.", []) and hits[0].fix == fix


def test_hits_that_touch_are_both_kept():
    a = TermHit("a", "A", "body", "g.tsv:2", 0, 5)
    b = TermHit("b", "B", "place", "entities", 5, 9, rule="place:unit")
    c = TermHit("c", "C", "place", "entities", 9, 20, rule="place:unit")  # longer: placed before the one it touches
    assert terms.merge([a], [b]) == [a, b] and terms.merge([], [b, c]) == [b, c]


def test_more_terms_than_placeholders_go_inline_after_the_tenth():
    vi = " ".join(f"w{i}" for i in range(11))
    hits = [TermHit(f"w{i}", f"E{i}", "body", "g.tsv:2", 3 * i if i < 10 else 30, 3 * i + 2 if i < 10 else 33) for i in range(11)]
    assert terms.mask(vi, hits, placeholders=True).endswith("<t9> E10") and hits[10].placeholder == ""


def test_the_models_casing_of_a_rendering_is_repaired():
    hit = TermHit("Bộ Chính trị", "Politburo", "body", "g.tsv:2", 0, 12)
    assert terms.restore("The politburo met.", [hit]) == ("The Politburo met.", []) and hit.fix == "case"


def test_the_report_counts_forced_and_flagged_terms_only():
    report = terms.TermReport()
    own = [TermHit(f"t{i}", f"Term{i}", "body", "g.tsv:2", 0, 1, found=True) for i in range(2)]
    forced = TermHit("t2", "Term2", "body", "g.tsv:2", 0, 1, found=True, fix="forced")
    unflagged = TermHit("t3", "Missing", "body", "g.tsv:2", 0, 1)
    report.add("vi", "Term0 Term1 Term2.", [*own, forced, unflagged], [])
    assert (report.rendered, report.forced, report.flagged) == (3, 1, 0)
    empty = terms.TermReport()
    assert empty.rendered_or_flagged == 1.0 and empty.expected_accuracy == 1.0
