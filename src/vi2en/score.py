"""Per-segment quality estimation: a score from 0 to 100 and named flags.

score = 100 · confidence · Π penalty(flag)

- confidence = exp(mean token log-probability of the output), the model's own average
  per-token probability (length-normalised, so long sentences are not punished for length);
- each signal in `SIGNALS` measures one thing (its raw value goes into the segment's
  signals) and may raise a flag, which multiplies the score by its penalty, so a sentence with
  a missing number cannot score high however confident the model was.

A segment is flagged when any flag is raised or its score is under LOW_SCORE.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

from vi2en.document import TermHit
from vi2en.text import has_vietnamese_letters

LOW_SCORE = 40.0
# English characters per Vietnamese character in well-translated news sits around 0.8–1.4.
LENGTH_RATIO_RANGE = (0.45, 2.2)

# Numbers, dates, times and document codes (21-NQ/TW, 96-QĐ/TW) that must survive translation.
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*(?:-[A-ZĐ]+(?:/[A-ZĐ]+)*)?")


MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_MONTH = re.compile(r"\b(" + "|".join(m.capitalize() for m in MONTHS) + r"|" + "|".join(m[:3].capitalize() for m in MONTHS) + r")\.?\b")


def numbers(text: str) -> list[str]:
    """Digit groups as they must appear in the English: separators dropped for comparison.

    English month names count as their numbers, since "17/1" is rightly "January 17".
    """
    found = [str(MONTHS.index(next(m for m in MONTHS if m.startswith(name.lower()))) + 1) for name in _MONTH.findall(text)]
    for m in _NUMBER.finditer(text):
        value = m.group(0)
        if _THOUSANDS.fullmatch(value):  # 1.000 (vi) and 1,000 (en) are one number
            value = re.sub(r"[.,]", "", value)
        for part in re.split(r"[.,:/\s-]+", value):
            if part.isdigit():
                found.append(part.lstrip("0") or "0")
    return found


def missing_numbers(vi: str, en: str) -> list[str]:
    # Compare digit groups, not formats: "17/1" may become "17 January", "1.000" becomes "1,000".
    need = Counter(numbers(vi))
    have = Counter(numbers(en))
    return sorted((need - have).elements())


def repeated_ngrams(text: str, *, max_n: int = 4, limit: int = 3) -> list[str]:
    """n-grams repeated `limit` or more times in a row, or 4-grams repeated anywhere 3+ times."""
    words = text.lower().split()
    found = []
    for n in range(1, max_n + 1):
        for i in range(len(words) - n * limit + 1):
            gram = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == gram for k in range(1, limit)):
                found.append(" ".join(gram))
                break
    counts = Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))
    found += [" ".join(g) for g, c in counts.items() if c >= 3]
    # A looping subword ("ororororor") shows as a very long word with a short repeated unit.
    found += [w for w in words if re.search(r"(.{1,4}?)\1{4,}", w) and not w.isdigit()]
    return sorted(set(found))


def untranslated_words(en: str, allowed: list[str] = ()) -> list[str]:
    """Vietnamese words left in the English (names kept with diacritics by the glossary are allowed)."""
    for term in allowed:
        en = en.replace(term, " ")
    return [w for w in re.findall(r"\w+", en) if has_vietnamese_letters(w)]


# ---------------------------------------------------------------- the signals


@dataclass(frozen=True)
class Signal:
    """One quality signal: its raw value (written under `key` in the segment's signals, unless
    None), whether it raises `flag`, and the penalty the flag multiplies the score by.

    The flag names the problem for the editor; the penalty only orders segments.
    """

    flag: str
    key: str | None
    penalty: float
    measure: Callable[[str, str, Sequence[TermHit]], tuple[Any, bool]]


def _empty(vi: str, en: str, hits) -> tuple[Any, bool]:
    return None, not en.strip()


def _length_ratio(vi: str, en: str, hits) -> tuple[Any, bool]:
    ratio = len(en) / max(1, len(vi))
    low, high = LENGTH_RATIO_RANGE
    return round(ratio, 3), bool(en.strip()) and len(vi) >= 20 and not low <= ratio <= high


def _numbers(vi: str, en: str, hits) -> tuple[Any, bool]:
    missing = missing_numbers(vi, en)
    return missing, bool(missing)


def _untranslated(vi: str, en: str, hits) -> tuple[Any, bool]:
    # names the glossary keeps with diacritics are allowed
    leftover = untranslated_words(en, [h.en for h in hits])
    return leftover, bool(leftover)


def _repetition(vi: str, en: str, hits) -> tuple[Any, bool]:
    repeats = repeated_ngrams(en)
    return repeats, bool(repeats)


def _terms(vi: str, en: str, hits) -> tuple[Any, bool]:
    missing = [h.vi for h in hits if not h.found and not h.is_entity]
    return missing or None, bool(missing)


def _entities(vi: str, en: str, hits) -> tuple[Any, bool]:
    missing = [h.vi for h in hits if not h.found and h.is_entity]
    return missing or None, bool(missing)


# Number-missing and repetition are mild because a weak model's sentences are bad with or
# without them (on flores200-dev, the validation set, harsher penalties lowered the correlation
# with chrF++); a length far off is the strongest sign of a broken sentence.
SIGNALS = [
    Signal("empty", None, 0.0, _empty),
    Signal("length-ratio", "length_ratio", 0.4, _length_ratio),
    Signal("number-missing", "numbers_missing", 0.8, _numbers),
    Signal("untranslated", "untranslated", 0.5, _untranslated),
    Signal("repetition", "repeated", 0.8, _repetition),
    Signal("term-missing", "terms_missing", 0.7, _terms),
    # a name, place, number, date or body rendered otherwise than the house way
    Signal("entity-missing", "entities_missing", 0.8, _entities),
]
PENALTIES = {s.flag: s.penalty for s in SIGNALS}


def signature() -> str:
    """How every score was made, as sacreBLEU's signatures say how a metric was computed."""
    penalties = ",".join(f"{s.flag}={s.penalty:g}" for s in SIGNALS)
    low, high = LENGTH_RATIO_RANGE
    return f"conf:exp-mean-logprob|pen:{penalties}|ratio:{low:g}-{high:g}|low:{LOW_SCORE:g}|version:1"


def score_segment(vi: str, en: str, mean_logprob: float | None, hits: Sequence[TermHit] = ()) -> tuple[float | None, list[str], dict]:
    """score = 100 · exp(mean log-prob) · Π penalty(flag); None when the backend gave no log-probabilities.

    Without the model's confidence there is no estimate to order by, so the flags still say what
    is wrong but no number pretends the sentence is perfect.
    """
    signals: dict[str, Any] = {"mean_logprob": None if mean_logprob is None else round(mean_logprob, 4)}
    flags: list[str] = []
    score = None if mean_logprob is None else 100.0 * math.exp(mean_logprob)
    for signal in SIGNALS:
        raw, raised = signal.measure(vi, en, hits)
        if raw is not None and signal.key:
            signals[signal.key] = raw
        if raised:
            flags.append(signal.flag)
            score = None if score is None else score * signal.penalty
    if score is not None and score < LOW_SCORE:
        flags.append("low-confidence")
    return (None if score is None else round(score, 1)), flags, signals


def summarize(segment_scores: list[tuple[float | None, list[str]]]) -> dict:
    scored = [s for s, _ in segment_scores if s is not None]
    return {
        "segments": len(segment_scores),
        "mean_score": round(sum(scored) / len(scored), 1) if scored else None,
        "flagged": sum(1 for _, flags in segment_scores if flags),
    }
