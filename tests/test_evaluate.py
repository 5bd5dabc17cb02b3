import json
import math

import pytest

from vi2en.evaluate import corpus_scores, evaluate, pearson, pearson_interval, sentence_chrf, spearman, wilson_interval, worst_flagged, write_report

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
    found = worst_flagged(chrf, flags)
    assert {k: found[k] for k in ("worst", "flagged", "recall", "flagged_total", "flagged_share")} == {"worst": 2, "flagged": 1, "recall": 0.5, "flagged_total": 2, "flagged_share": 0.1}
    assert found["recall_95ci"] == pytest.approx(list(wilson_interval(1, 2)), abs=1e-4)
    assert found["flagged_share_95ci"] == pytest.approx(list(wilson_interval(2, 20)), abs=1e-4)


def test_wilson_interval_matches_published_values():
    # closed forms at z = 1.96: 0 of n has upper bound z²/(n + z²), n of n lower bound n/(n + z²); 5 of 10 is symmetric about 0.5
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(81, 101)[0] < 81 / 101 < wilson_interval(81, 101)[1]
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0) and high <= 1.0 and low == pytest.approx(0.7225, abs=1e-4)  # never past 1, as the normal approximation goes
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_pearson_interval_is_fishers():
    # r = 0.5 over 103 pairs: atanh(0.5) ± 1.96/10
    assert pearson_interval(0.5, 103) == pytest.approx((0.3393, 0.6323), abs=1e-4)
    narrow, wide = pearson_interval(0.5, 1003), pearson_interval(0.5, 53)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    assert all(math.isnan(v) for v in pearson_interval(math.nan, 100)) and all(math.isnan(v) for v in pearson_interval(0.5, 3))


def test_evaluate_and_write_report(tmp_path):
    hyps, refs = [HYP, "a dog", "nothing alike", "a cat sat"], [REF, "a dog", "a bird flew", "the cat sat"]
    report = evaluate(hyps, refs, quality=[0.8, 1.0, 0.1, 0.5], flags=[False, False, True, False])
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
    written = json.loads((tmp_path / "r.json").read_text())["quality_correlation"]
    assert written["pearson"] is None and written["pearson_95ci"] == [None, None]


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        corpus_scores(["a"], ["a", "b"])
