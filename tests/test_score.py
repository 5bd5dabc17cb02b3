"""Each quality flag is raised by an input built to trigger it, and not by a clean translation."""

import math

import pytest

from vi2en.document import TermHit
from vi2en.score import PENALTIES, SIGNALS, missing_numbers, repeated_ngrams, score_segment, signature, summarize

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
    kept = TermHit("Trương Thị Mai", "Trương Thị Mai", "person", "people.tsv:2", 9, 23, found=True)
    _, flags, _ = score_segment("Đồng chí Trương Thị Mai phát biểu.", "Comrade Trương Thị Mai spoke.", math.log(0.9), [kept])
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


MISSING_TERM = TermHit("Thường trực Ban Bí thư", "Permanent Member of the Party Central Committee's Secretariat", "title", "central-party.tsv:40", 9, 31)
# for each flag: an English that raises it and no other (with the source VI, confidence 0.9)
RAISES = {
    "empty": ("", (), "Hội nghị bế mạc lúc chiều tối."),
    "length-ratio": ("January 17: 63, 21-NQ/TW.", ()),
    "number-missing": (EN.replace("63", "sixty"), ()),
    "untranslated": (EN.replace("held", "tổ chức"), ()),
    "repetition": (EN.replace("held a conference", "held a conference held a conference held a conference"), ()),
    "term-missing": (EN, (MISSING_TERM,)),
}


def test_every_signal_is_tested_here():
    assert sorted(RAISES) == sorted(s.flag for s in SIGNALS)


@pytest.mark.parametrize("flag", sorted(RAISES))
def test_each_flag_lowers_the_score_by_its_own_penalty(flag):
    """A flag that did not lower the score would leave the editor's ordering unchanged."""
    en, hits, *source = RAISES[flag]
    score, flags, _ = score_segment(source[0] if source else VI, en, math.log(0.9), hits)
    assert flags[0] == flag and set(flags) <= {flag, "low-confidence"}
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


def test_the_signature_names_every_penalty():
    sig = signature()
    assert all(f"{s.flag}={s.penalty:g}" in sig for s in SIGNALS) and "ratio:0.45-2.2" in sig and "low:40" in sig
