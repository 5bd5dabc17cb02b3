"""Each quality flag is raised by an input built to trigger it, and not by a clean translation.

The rule signals are tested here with a one-feature estimate (100 + 100 · mean log-prob, so a
log-prob of -0.2 estimates 80) that makes the arithmetic of penalties plain; the learned
features and the shipped weights are tested in test_quality.py.
"""

import pytest

from vi2en import score as scoring
from vi2en.backends import Hypothesis
from vi2en.document import TermHit
from vi2en.quality import QualityModel, QualityResources
from vi2en.score import PENALTIES, SIGNALS, missing_numbers, repeated_ngrams, signature, summarize

PLAIN = QualityResources(QualityModel(["mean_logprob"], [0.0], [1.0], [100.0], 100.0, 40.0))


def score_segment(vi, en, mean_logprob, hits=()):
    hypothesis = None if mean_logprob is None else Hypothesis(text=en, token_logprobs=[mean_logprob])
    return scoring.score_segment(vi, en, hypothesis, hits, PLAIN)

VI = "Sáng 17/1, Thường trực Ban Bí thư tổ chức hội nghị với 63 tỉnh, thành theo Nghị quyết số 21-NQ/TW."
EN = "On the morning of January 17, the Permanent Member of the Secretariat held a conference with 63 provinces and cities under Resolution No. 21-NQ/TW."


def test_clean_translation_has_no_flags():
    score, flags, signals = score_segment(VI, EN, -0.2)
    assert flags == []
    assert score == 80.0
    assert signals["numbers_missing"] == []


def test_number_missing():
    score, flags, signals = score_segment(VI, EN.replace("21-NQ/TW", "the resolution"), -0.2)
    assert "number-missing" in flags and signals["numbers_missing"] == ["21"]
    assert score == round(80.0 * PENALTIES["number-missing"], 1) < 80.0


def test_numbers_compare_digit_groups_not_formats():
    assert missing_numbers("có 1.000 người, ngày 02/02/2023", "1,000 people on February 2, 2023") == []
    assert missing_numbers("có 1.000 người, ngày 02/02/2023", "1000 people on 2/2/2023") == []
    assert missing_numbers("có 1.000 người, ngày 02/02/2023", "1,000 people on February 3, 2023") == ["2"]
    assert missing_numbers("tăng 3,5%", "rose 3.5%") == []


def test_untranslated_vietnamese():
    _, flags, signals = score_segment(VI, EN.replace("held", "tổ chức"), -0.2)
    assert "untranslated" in flags and signals["untranslated"] == ["tổ", "chức"]


def test_glossary_names_with_diacritics_are_allowed():
    kept = TermHit("Trương Thị Mai", "Trương Thị Mai", "person", "people.tsv:2", 9, 23, found=True)
    _, flags, _ = score_segment("Đồng chí Trương Thị Mai phát biểu.", "Comrade Trương Thị Mai spoke.", -0.1, [kept])
    assert flags == []


def test_repetition():
    looping = "the Party the Party the Party the Party committee"
    _, flags, signals = score_segment(VI, looping + " " * 60, -0.1)
    assert "repetition" in flags and "the party" in signals["repeated"]
    assert repeated_ngrams("ororororororor and more") == ["ororororororor"]
    assert repeated_ngrams(EN) == []


def test_length_ratio_and_empty():
    _, flags, _ = score_segment(VI, "Meeting.", -0.1)
    assert "length-ratio" in flags
    score, flags, _ = score_segment(VI, "", -0.1)
    assert "empty" in flags and score == 0.0


def test_low_quality_and_summary():
    score, flags, _ = score_segment(VI, EN, -0.8)
    assert flags == ["low-quality"] and score == 20.0
    assert summarize([(80.0, []), (20.0, ["low-quality"]), (None, [])]) == {"segments": 3, "mean_score": 50.0, "flagged": 1}


MISSING_TERM = TermHit("Thường trực Ban Bí thư", "Permanent Member of the Party Central Committee's Secretariat", "title", "central-party.tsv:40", 9, 31)
MISSING_ENTITY = TermHit("Phạm Anh Tuấn", "Pham Anh Tuan", "name", "entities", 0, 13, rule="name:after-title")
# for each flag: an English that raises it and no other (with the source VI, confidence 0.9)
RAISES = {
    "empty": ("", (), "Hội nghị bế mạc lúc chiều tối."),
    "length-ratio": ("January 17: 63, 21-NQ/TW.", ()),
    "number-missing": (EN.replace("63", "sixty"), ()),
    "untranslated": (EN.replace("held", "tổ chức"), ()),
    "repetition": (EN.replace("held a conference", "held a conference held a conference held a conference"), ()),
    "term-missing": (EN, (MISSING_TERM,)),
    "entity-missing": (EN, (MISSING_ENTITY,)),
}


def test_every_signal_is_tested_here():
    assert sorted(RAISES) == sorted(s.flag for s in SIGNALS)


@pytest.mark.parametrize("flag", sorted(RAISES))
def test_each_flag_lowers_the_score_by_its_own_penalty(flag):
    """A flag that did not lower the score would leave the editor's ordering unchanged."""
    en, hits, *source = RAISES[flag]
    score, flags, _ = score_segment(source[0] if source else VI, en, -0.1, hits)
    assert flags[0] == flag and set(flags) <= {flag, "low-quality"}
    assert PENALTIES[flag] < 1.0 and score == round(90.0 * PENALTIES[flag], 1)


def test_a_broken_length_is_the_strongest_sign_and_an_empty_output_scores_zero():
    assert PENALTIES["empty"] == 0.0
    assert PENALTIES["length-ratio"] == min(p for f, p in PENALTIES.items() if f != "empty")


def test_a_backend_without_log_probabilities_gets_no_score_but_its_flags():
    """Never 100, never -Infinity in the JSON: no confidence means no estimate."""
    score, flags, signals = score_segment(VI, EN.replace("63", "sixty"), None)
    assert score is None and flags == ["number-missing"] and signals["mean_logprob"] is None
    score, flags, _ = score_segment(VI, EN, None)
    assert score is None and flags == []


def test_the_signature_names_every_penalty_and_weight():
    sig = signature(PLAIN)
    assert all(f"{s.flag}={s.penalty:g}" in sig for s in SIGNALS) and "ratio:0.45-2.2" in sig and "low:40" in sig
    assert "w:mean_logprob=100" in sig and "b:100" in sig


def test_length_ratio_bounds_are_inclusive_and_short_sources_are_spared():
    vi = "x" * 20  # exactly the shortest source the ratio is judged on
    assert "length-ratio" not in score_segment(vi, "y" * 9, 0.0)[1]  # 0.45: in range
    assert "length-ratio" in score_segment(vi, "y" * 8, 0.0)[1]  # 0.40
    assert "length-ratio" not in score_segment(vi, "y" * 44, 0.0)[1]  # 2.2: in range
    assert "length-ratio" in score_segment(vi, "y" * 45, 0.0)[1]  # 2.25
    assert "length-ratio" not in score_segment("x" * 19, "y", 0.0)[1]  # too short to judge


def test_repetition_thresholds():
    assert repeated_ngrams("yes yes yes") == ["yes"] and repeated_ngrams("yes yes no") == []
    assert repeated_ngrams("the party the party the party") == ["the party"]
    # a 5-word phrase three times: its 4-grams repeat, but no n-gram of up to 4 words runs in a row
    assert repeated_ngrams("a b c d e a b c d e a b c d e") == ["a b c d", "b c d e"]
    assert repeated_ngrams("a b c d x a b c d") == []  # a 4-gram twice is English
    assert repeated_ngrams("orororor") == [] and repeated_ngrams("ororororor") == ["ororororor"]
    assert repeated_ngrams("the year 20202020202020") == []  # digits are not a loop


def test_spelled_out_small_numbers_count_as_their_digits():
    assert missing_numbers("vận động 9 hộ di dời trong 6 tháng", "moved nine households in six months") == []
    assert missing_numbers("vận động 9 hộ di dời", "moved Nine households") == []
    assert missing_numbers("vận động 9 hộ di dời", "moved ten households") == ["9"]
    assert missing_numbers("có 21 người", "twenty-one people") == ["21"]  # compounds are written in digits by house style
    assert missing_numbers("Kỳ họp thứ 8, Quốc hội khóa XV", "The eighth session of the 15th National Assembly") == []
    assert missing_numbers("Hội nghị Trung ương 6", "the fifth plenum") == ["6"]


def test_english_month_names_and_abbreviations_count_as_their_numbers():
    assert missing_numbers("ngày 17/1", "on Jan. 17") == [] and missing_numbers("ngày 17/1", "on January 17") == []
    assert missing_numbers("ngày 17/1", "on the 17th") == ["1"]


def test_numbers_house_style_writes_in_words_are_not_missing():
    # corpus/README.md: "100%" is "all", "24/24 giờ" is "around the clock", "1.078/1.078" is "all 1,078"
    assert missing_numbers("kiểm tra 100% hồ chứa trên 1 triệu m³", "inspected all reservoirs over 1 million m³") == []
    assert missing_numbers("kiểm tra 100% hồ chứa", "inspected the reservoirs") == ["100"]
    assert missing_numbers("trực 24/24 giờ", "on duty around the clock") == [] and missing_numbers("trực 24/24 giờ", "on duty") == ["24"]
    assert missing_numbers("đã có 1.078/1.078 tàu cá", "all 1,078 fishing vessels") == []
    assert missing_numbers("đã có 1.078/1.078 tàu cá", "all fishing vessels") == ["1078"]
    # a shared month is written once for a range; a day-month date that only looks like a fraction is not one
    assert missing_numbers("từ ngày 12/2 đến ngày 18/2/2025", "from February 12 to 18, 2025") == []
    assert missing_numbers("từ ngày 12/2 đến ngày 18/2/2025", "from 12 to 18, 2025") == ["2", "2"]
    assert missing_numbers("có 1.000 người, ngày 02/02/2023", "1,000 people on February 3, 2023") == ["2"]
    assert missing_numbers("thu hoạch 150 nghìn tấn lúa", "harvested 150,000 tonnes of rice") == []
    assert missing_numbers("thu hoạch 150 nghìn tấn lúa", "harvested 15,000 tonnes of rice") == ["150"]
    # thousands inside a longer number group, and dates with dots, keep their values
    assert missing_numbers("từ 2.300 lên 2.500 người ngày 1.1.2024", "from 2,300 to 2,500 people on 1 January 2024") == []


def test_scores_are_rounded_to_one_decimal_and_log_probabilities_to_four():
    score, _, signals = score_segment(VI, EN, -0.123456)
    assert score == 87.7 and signals["mean_logprob"] == -0.1235


def test_low_quality_starts_below_the_threshold():
    assert "low-quality" not in score_segment(VI, EN, -0.6)[1]
    assert "low-quality" in score_segment(VI, EN, -0.601)[1]


def test_missing_terms_are_named_only_when_missing():
    found = TermHit("Bộ Chính trị", "Politburo", "body", "central-party.tsv:3", 0, 12, found=True)
    assert "terms_missing" not in score_segment(VI, EN, 0.0, [found])[2]
    assert score_segment(VI, EN, 0.0, [found, MISSING_TERM])[2]["terms_missing"] == ["Thường trực Ban Bí thư"]


def test_signals_cannot_be_changed_at_run_time():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        SIGNALS[0].penalty = 1.0  # type: ignore[misc]


def test_summary_rounds_the_mean():
    assert summarize([(80.0, []), (20.04, []), (33.3, ["x"])]) == {"segments": 3, "mean_score": 44.4, "flagged": 1}
