"""The learned quality estimate: each feature measures what it says, the fitted combination
does what its weights say, the shipped weights point the way the validation data showed, and
every flag explains itself."""

import json
import math
from pathlib import Path

import pytest

from vi2en import score as scoring
from vi2en.backends import Hypothesis
from vi2en.backends.ctranslate2 import attention_coverage, attention_entropy, attention_signals, end_attention
from vi2en.document import TermHit
from vi2en.evaluate import pearson
from vi2en.quality import (
    DEFAULT_WEIGHTS, ENGLISH_LM, FLAG_SHARE, QUALITY_FOLDER, EnglishLM, QualityError, QualityModel, QualityResources, SourceWords,
    final_scores, fit_weights, flagged, load_rows, with_interactions, words,
)
from vi2en.score import ANY_BACKEND, EXPLANATIONS, FEATURES, PENALTIES, SIGNALS, explain, score_segment

ROOT = Path(__file__).resolve().parents[1]
COMPACT = ROOT / "models" / "compact-vi-en"
VI = "Chủ tịch UBND tỉnh chủ trì cuộc họp sáng nay."
EN = "The Chairman of the Provincial People's Committee chaired the meeting this morning."


def features_of(vi=VI, en=EN, hypothesis=None, hits=(), resources=None):
    resources = resources or QualityResources.for_model(COMPACT)
    evidence = scoring.Evidence(vi, en, hits, hypothesis or Hypothesis(text=en), resources)
    return {f.key: f.measure(evidence) for f in FEATURES}


# ---------------------------------------------------------------- each feature


def test_source_novelty_is_the_share_of_words_seen_fewer_than_three_times():
    known = SourceWords.build(["tỉnh họp", "tỉnh họp", "tỉnh họp nay"])
    assert known.known == {"tỉnh", "họp"}
    assert known.novelty("Tỉnh họp nay") == pytest.approx(1 / 3)
    assert known.novelty("2024 !") is None  # digits are not words


def test_pair_novelty_is_the_share_of_word_pairs_seen_together_fewer_than_three_times(tmp_path):
    known = SourceWords.build(["khu công nghiệp", "khu công nghiệp", "công nghiệp khu", "khu công nghiệp mới"])
    assert known.known_pairs == {"khu công", "công nghiệp"}
    # every word known, but "nghiệp khu" was seen together once only
    assert known.novelty("Khu công nghiệp khu") == 0 and known.pair_novelty("Khu công nghiệp khu") == pytest.approx(1 / 3)
    assert known.pair_novelty("khu") is None  # one word: no pair
    # the signal the score reads is this measure of the segment's source, with the model's vocabulary
    resources = QualityResources(QualityResources.for_model(COMPACT).model, source_words=known)
    f = features_of(vi="Khu công nghiệp khu", resources=resources)
    assert f["pair_novelty"] == pytest.approx(1 / 3) and f["source_novelty"] == 0
    assert features_of(vi="khu mới", resources=resources)["source_novelty"] == 0.5
    known.save(tmp_path / "source-words.txt")
    assert SourceWords.load(tmp_path / "source-words.txt") == known
    # a vocabulary from before pairs were kept gives no pair novelty, not "everything is new"
    (tmp_path / "old.txt").write_text("khu\ncông\nnghiệp\n", encoding="utf-8")
    old = SourceWords.load(tmp_path / "old.txt")
    assert old.known == {"khu", "công", "nghiệp"} and old.pair_novelty("khu công nghiệp") is None


def test_english_lm_prefers_english_and_survives_unseen_words(tmp_path):
    lm = EnglishLM.build(["the committee met today", "the committee met"] * 3 + ["the people met"] * 3)
    assert lm.fluency("the committee met") > lm.fluency("met committee the")
    assert math.isfinite(lm.fluency("zzz qqq"))
    assert lm.fluency("") is None
    lm.save(tmp_path / "lm.tsv.gz")
    assert EnglishLM.load(tmp_path / "lm.tsv.gz").fluency("the people met") == lm.fluency("the people met")


def test_the_shipped_english_lm_tells_news_english_from_garbled_output():
    lm = EnglishLM.load(ENGLISH_LM)
    assert lm.fluency(EN) > lm.fluency("Follow.govn.vn") and lm.fluency(EN) > lm.fluency("of the the province maintains the of")


def test_nbest_agreement_is_one_when_the_beam_agrees_and_lower_when_it_does_not():
    same = features_of(hypothesis=Hypothesis(text=EN, alternatives=[EN, EN]))["nbest_agreement"]
    differ = features_of(hypothesis=Hypothesis(text=EN, alternatives=["Heavy rain flooded three districts."]))["nbest_agreement"]
    assert same == pytest.approx(1.0) and differ < 0.3
    assert features_of()["nbest_agreement"] is None  # no alternatives: not measured
    # the model's own text is compared, placeholders and all: the rendering put back is not doubt
    raw = "The <t0> chaired the meeting this morning."
    masked = features_of(hypothesis=Hypothesis(text=raw, alternatives=[raw]))["nbest_agreement"]
    assert masked == pytest.approx(1.0)


def test_attention_coverage_counts_source_tokens_left_unattended():
    assert attention_coverage([[1.0, 0.0], [1.0, 0.0]], 2) == 0.5  # the second token never attended
    assert attention_coverage([[0.5, 0.5], [0.5, 0.5]], 2) == 1.0
    assert attention_coverage([], 2) is None
    assert features_of(hypothesis=Hypothesis(text=EN, coverage=0.7))["coverage"] == 0.7


def test_end_attention_and_attention_entropy():
    # three source tokens, the last the end token; two target steps (a third source row padded: ignored)
    focused = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    lost = [[0.1, 0.1, 0.8, 0.0], [0.0, 0.2, 0.8, 0.0]]
    even = [[1 / 3, 1 / 3, 1 / 3, 0.0]] * 2
    assert end_attention(focused, 3) == 0.0 and end_attention(lost, 3) == pytest.approx(0.8) and end_attention([], 3) is None
    assert attention_entropy(focused, 3) == 0.0 and attention_entropy(even, 3) == pytest.approx(math.log(3))
    assert 0 < attention_entropy(lost, 3) < math.log(3) and attention_entropy(focused, 0) is None
    assert attention_signals(lost, 3) == {"coverage": attention_coverage(lost, 3), "end_attention": end_attention(lost, 3), "attention_entropy": attention_entropy(lost, 3)}
    f = features_of(hypothesis=Hypothesis(text=EN, end_attention=0.8, attention_entropy=0.5))
    assert f["end_attention"] == 0.8 and f["attention_entropy"] == 0.5


def test_confidence_from_per_token_or_search_scores():
    hyp = Hypothesis(text=EN, token_logprobs=[-0.1, math.log(0.1), math.log(0.01), -0.1], ids=list(range(24)))
    assert features_of(hypothesis=hyp)["mean_logprob"] == pytest.approx(sum(hyp.token_logprobs) / 4)
    # a backend whose search scores the sequence (CTranslate2) gives the mean without per-token values
    assert features_of(hypothesis=Hypothesis(text=EN, search_logprob=-0.8))["mean_logprob"] == -0.8
    # per-token values, where there are any, are the ones that count
    assert features_of(hypothesis=Hypothesis(text=EN, token_logprobs=[-0.2], search_logprob=-0.8))["mean_logprob"] == -0.2
    assert features_of(hypothesis=Hypothesis(text=EN))["mean_logprob"] is None


def test_length_features():
    short = features_of(en="Chaired.")
    assert short["word_ratio"] < features_of()["word_ratio"] and short["length_deviation"] > features_of()["length_deviation"]
    assert features_of(en="")["length_deviation"] is None and features_of(en="")["word_ratio"] is None
    assert features_of()["source_words"] == pytest.approx(math.log1p(len(words(VI))))


def test_rendered_share_counts_the_source_letters_the_glossary_rendered():
    title = TermHit("Chủ tịch UBND tỉnh", "Chairman of the Provincial People's Committee", "title", "local.tsv:1", 0, 18, found=True)
    letters = sum(not c.isspace() for c in VI)
    assert features_of(hits=[title])["rendered_share"] == pytest.approx(sum(not c.isspace() for c in "Chủ tịch UBND tỉnh") / letters)
    assert features_of(hits=[TermHit(**{**vars(title), "found": False})])["rendered_share"] == 0.0  # missing: the model's to get right
    assert features_of(hits=[title, title])["rendered_share"] == features_of(hits=[title])["rendered_share"]  # overlaps count once
    assert features_of()["rendered_share"] == 0.0


# ---------------------------------------------------------------- the combination

MODEL = QualityModel(["a", "b"], [1.0, 0.0], [2.0, 1.0], [6.0, -3.0], 50.0, 30.0, ["x"], "test")


def test_prediction_is_the_weighted_sum_of_standardised_features_clipped():
    assert MODEL.predict({"a": 1.0, "b": 0.0}) == 50.0
    assert MODEL.predict({"a": 3.0, "b": 0.0}) == 56.0  # one scale up on a: + its weight
    assert MODEL.predict({"a": 1.0, "b": 1.0}) == 47.0
    assert MODEL.predict({"a": None, "b": 1.0}) == 47.0  # a missing feature counts as its mean
    assert MODEL.predict({"a": 1000.0}) == 100.0 and MODEL.predict({"a": -1000.0}) == 0.0
    assert MODEL.contributions({"a": 3.0, "b": None}) == {"a": 6.0}


def test_fit_recovers_a_linear_relation_and_round_trips(tmp_path):
    rows = [{"a": float(i % 7), "b": float(i % 5)} for i in range(70)]
    targets = [10 + 3 * r["a"] - 2 * r["b"] for r in rows]
    model = QualityModel.fit(rows, targets, ["a", "b"], ridge=0.0, name="t", fitted_on=["synthetic"])
    for row, target in zip(rows, targets):
        assert model.predict(row) == pytest.approx(target)
    model.save(tmp_path / "w.json")
    assert QualityModel.load(tmp_path / "w.json") == model


def test_a_broken_weights_file_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "weights.json"
    bad.write_text('{"features": ["a"]}')
    with pytest.raises(QualityError, match="weights.json"):
        QualityModel.load(bad)
    bad.write_text(json.dumps({**MODEL.to_dict(), "weights": [1.0]}))
    with pytest.raises(QualityError, match="differ in length"):
        QualityModel.load(bad)


def test_a_model_uses_its_own_weights_and_any_other_the_default(tmp_path):
    own = QualityResources.for_model(COMPACT)
    assert own.model.name == "compact-vi-en" and own.source_words is not None
    other = QualityResources.for_model(tmp_path)
    assert other.model == QualityModel.load(DEFAULT_WEIGHTS) and other.source_words is None
    assert (COMPACT / QUALITY_FOLDER / "weights.json").is_file()


def test_the_estimate_and_the_threshold_drive_score_and_flag():
    resources = QualityResources(MODEL)
    hyp = Hypothesis(text=EN, token_logprobs=[-0.5])
    # with only a and b in the model, the other features add nothing
    assert score_segment(VI, EN, hyp, (), resources)[0] == 50.0
    low = QualityResources(QualityModel(["mean_logprob"], [0.0], [1.0], [100.0], 50.0, 30.0))
    score, flags, signals = score_segment(VI, EN, hyp, (), low)
    assert score == 0.0 and flags == ["low-quality"] and signals["weakest"] == ["the model's confidence"]


# ---------------------------------------------------------------- the shipped weights

VALIDATION = COMPACT / QUALITY_FOLDER / "validation.json.gz"
SHIPPED = {
    "compact": (COMPACT / QUALITY_FOLDER / "weights.json", [f.key for f in FEATURES]),
    "default": (DEFAULT_WEIGHTS, ANY_BACKEND),
}


@pytest.fixture(scope="module")
def validation():
    return load_rows(VALIDATION)


@pytest.mark.parametrize("which", sorted(SHIPPED))
def test_shipped_weights_are_what_the_validation_rows_fit(which, validation):
    """Any weight, the threshold or the fitting changed by hand fails here: the shipped files
    are exactly what scripts/fit_quality.py makes from the validation rows."""
    path, signals = SHIPPED[which]
    shipped = QualityModel.load(path)
    refit = fit_weights(validation, with_interactions(signals), PENALTIES, name=shipped.name)
    assert shipped.features == refit.features and shipped.fitted_on == refit.fitted_on == ["flores-dev", "corpus-dev"]
    assert shipped.weights == pytest.approx(refit.weights, rel=1e-6, abs=1e-9)
    assert shipped.threshold == pytest.approx(refit.threshold, abs=0.051)


def pearson_of(model, rows):
    return pearson(final_scores(model, rows, PENALTIES), [r.chrf for r in rows])


@pytest.mark.parametrize("signal", [f.key for f in FEATURES])
def test_each_signal_earns_its_weight_on_validation(signal, validation):
    """Fitted without it, the estimate follows chrF++ worse on at least one validation set."""
    features = with_interactions([f.key for f in FEATURES])
    full = fit_weights(validation, features, PENALTIES, name="full")
    without = fit_weights(validation, [k for k in features if signal not in k.split("*")], PENALTIES, name="without")
    assert any(pearson_of(without, rows) < pearson_of(full, rows) - 0.001 for rows in validation.values())


def test_the_fit_never_saw_a_test_set(validation):
    assert sorted(validation) == ["corpus-dev", "flores-dev"]


def test_validation_shares_flagged_stay_under_the_bound(validation):
    model = QualityModel.load(SHIPPED["compact"][0])
    for rows in validation.values():
        assert sum(flagged(model, rows, PENALTIES)) <= FLAG_SHARE * len(rows)


# ---------------------------------------------------------------- explanations


def test_every_flag_explains_itself_in_one_line():
    assert set(EXPLANATIONS) == {s.flag for s in SIGNALS} | {"low-quality"}
    hit = TermHit("Thường trực Ban Bí thư", "Permanent Member of the Secretariat", "title", "central-party.tsv:40", 0, 21)
    for flag in EXPLANATIONS:
        en = {"empty": "", "length-ratio": "Meeting.", "number-missing": "On the morning, a conference.", "untranslated": "Chủ tịch chaired.",
              "repetition": "the Party the Party the Party the Party met"}.get(flag, EN)
        _, flags, signals = score_segment("Sáng 17/1, Thường trực Ban Bí thư họp với 63 tỉnh.", en, Hypothesis(text=en, token_logprobs=[-3.0]), [hit])
        for raised in flags:
            line = explain(raised, signals)
            assert "\n" not in line and "{" not in line and len(line) < 200
    assert explain("number-missing", {"numbers_missing": ["17", "63"]}) == "Numbers in the Vietnamese are missing from the English: 17, 63."
    assert explain("no-such-flag", {}) == "no-such-flag"
    # the low-quality line names the signals that pulled the estimate down: every one has a name
    from vi2en.score import _FEATURE_NAMES

    assert set(_FEATURE_NAMES) == {f.key for f in FEATURES}


def test_the_shipped_model_gives_every_signal_its_evidence():
    """Through the real pipeline on the compact model: n-best, attention, the empty-source score
    and the model's vocabulary all reach the score (values not compared: they are floats)."""
    from vi2en import pipeline
    from vi2en.backends import open_translator
    from vi2en.glossary import Glossary

    doc = pipeline.document_from_lines([VI], "one.vi")
    pipeline.translate_document(doc, open_translator(COMPACT), Glossary.load())
    signals = doc.segments[0].signals
    assert all(signals[f.key] is not None for f in FEATURES), signals
    assert doc.scorer.startswith("ridge:compact-vi-en|") and "fit:flores-dev+corpus-dev" in doc.scorer
