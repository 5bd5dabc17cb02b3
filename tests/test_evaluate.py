import json
import math

import pytest

from vi2en.evaluate import corpus_scores, evaluate, pearson, sentence_chrf, spearman, worst_flagged, write_report

HYP = "the cat sat on the mat"
REF = "the cat sat on a mat"


def test_perfect_hypothesis():
    scores = corpus_scores([HYP, "A dog."], [HYP, "A dog."])
    assert scores["bleu"]["score"] == 100.0
    assert scores["chrf++"]["score"] == 100.0
    assert scores["ter"]["score"] == 0.0


def test_bleu_by_hand():
    # n-gram precisions 5/6, 3/5, 2/4, 1/3; equal lengths so no brevity penalty.
    expected = 100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert corpus_scores([HYP], [REF])["bleu"]["score"] == pytest.approx(expected, abs=0.01)


def test_ter_by_hand():
    # One substitution (the → a) over 6 reference words.
    assert corpus_scores([HYP], [REF])["ter"]["score"] == pytest.approx(100 / 6, abs=0.01)


def test_chrf_plus_plus_by_hand():
    # hyp "ab", ref "abc": char 1-grams P 2/2 R 2/3, char 2-grams P 1/1 R 1/2, word 1-grams P 0 R 0;
    # higher orders are empty on one side and left out. Averages P=2/3, R=7/18; F2 = 5PR/(4P+R).
    p, r = 2 / 3, 7 / 18
    expected = 100 * 5 * p * r / (4 * p + r)
    assert expected == pytest.approx(42.42, abs=0.01)
    assert corpus_scores(["ab"], ["abc"])["chrf++"]["score"] == pytest.approx(expected, abs=0.01)
    assert sentence_chrf(["ab"], ["abc"])[0] == pytest.approx(expected, abs=0.01)


def test_signatures_name_the_metric_settings():
    scores = corpus_scores([HYP], [REF])
    assert "tok:13a" in scores["bleu"]["signature"]
    assert "nw:2" in scores["chrf++"]["signature"]
    assert scores["ter"]["signature"].startswith("nrefs:1")


def test_correlations_by_hand():
    # mean-centred x = (-1, 0, 1), y = (-4/3, -1/3, 5/3): r = 3 / sqrt(2 * 42/9) = 9 / sqrt(84).
    assert pearson([1, 2, 3], [1, 2, 4]) == pytest.approx(9 / math.sqrt(84))
    assert spearman([1, 2, 3], [1, 2, 4]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [40, 30, 30, 10]) == pytest.approx(-0.9486833, abs=1e-6)  # tie ranked 2.5
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))


def test_worst_flagged():
    chrf = [float(i) for i in range(20)]  # segments 0 and 1 are the worst 10%
    flags = [i in (0, 5) for i in range(20)]
    assert worst_flagged(chrf, flags) == {"worst": 2, "flagged": 1, "recall": 0.5, "flagged_total": 2}


def test_evaluate_and_write_report(tmp_path):
    hyps, refs = [HYP, "a dog", "nothing alike"], [REF, "a dog", "a bird flew"]
    report = evaluate(hyps, refs, quality=[0.8, 1.0, 0.1], flags=[False, False, True])
    assert report["sentence_chrf++"][1] == 100.0
    assert report["quality_correlation"]["spearman"] == pytest.approx(1.0)
    assert report["worst_10pct_flagged"]["flagged"] == 1
    path = tmp_path / "sub" / "report.json"
    write_report(report, path)
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(json.dumps(report))
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]  # no temp file left behind


def test_constant_quality_is_written_as_null(tmp_path):
    report = evaluate(["a", "b"], ["a", "c"], quality=[0.5, 0.5])
    write_report(report, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["quality_correlation"]["pearson"] is None


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        corpus_scores(["a"], ["a", "b"])
