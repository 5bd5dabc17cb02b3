"""Each quality flag is raised by an input built to trigger it, and not by a clean translation."""

import math

from vi2en.score import PENALTIES, missing_numbers, repeated_ngrams, score_segment, summarize

VI = "Sáng 17/1, Thường trực Ban Bí thư tổ chức hội nghị với 63 tỉnh, thành theo Nghị quyết số 21-NQ/TW."
EN = "On the morning of January 17, the Permanent Member of the Secretariat held a conference with 63 provinces and cities under Resolution No. 21-NQ/TW."


def test_clean_translation_has_no_flags():
    score, flags, signals = score_segment(VI, EN, math.log(0.8))
    assert flags == []
    assert score == 80.0
    assert signals["numbers_missing"] == []


def test_number_missing():
    score, flags, signals = score_segment(VI, EN.replace("21-NQ/TW", "the resolution"), math.log(0.8))
    assert "number-missing" in flags and signals["numbers_missing"] == ["21"]
    assert score == round(80.0 * PENALTIES["number-missing"], 1) < 80.0


def test_numbers_compare_digit_groups_not_formats():
    assert missing_numbers("có 1.000 người, ngày 02/02/2023", "1,000 people on February 2, 2023") == []
    assert missing_numbers("có 1.000 người, ngày 02/02/2023", "1000 people on 2/2/2023") == []
    assert missing_numbers("có 1.000 người, ngày 02/02/2023", "1,000 people on February 3, 2023") == ["2"]
    assert missing_numbers("tăng 3,5%", "rose 3.5%") == []


def test_untranslated_vietnamese():
    _, flags, signals = score_segment(VI, EN.replace("held", "tổ chức"), math.log(0.8))
    assert "untranslated" in flags and signals["untranslated"] == ["tổ", "chức"]


def test_glossary_names_with_diacritics_are_allowed():
    _, flags, _ = score_segment("Đồng chí Trương Thị Mai phát biểu.", "Comrade Trương Thị Mai spoke.", math.log(0.9), allowed_vietnamese=["Trương Thị Mai"])
    assert flags == []


def test_repetition():
    looping = "the Party the Party the Party the Party committee"
    _, flags, signals = score_segment(VI, looping + " " * 60, math.log(0.9))
    assert "repetition" in flags and "the party" in signals["repeated"]
    assert repeated_ngrams("ororororororor and more") == ["ororororororor"]
    assert repeated_ngrams(EN) == []


def test_length_ratio_and_empty():
    _, flags, _ = score_segment(VI, "Meeting.", math.log(0.9))
    assert "length-ratio" in flags
    score, flags, _ = score_segment(VI, "", math.log(0.9))
    assert "empty" in flags and score == 0.0


def test_low_confidence_and_summary():
    score, flags, _ = score_segment(VI, EN, math.log(0.2))
    assert flags == ["low-confidence"] and score == 20.0
    assert summarize([(80.0, []), (20.0, ["low-confidence"]), (None, [])]) == {"segments": 3, "mean_score": 50.0, "flagged": 1}
