"""Per-segment quality estimation: a score from 0 to 100 and named flags.

score = 100 · confidence · Π penalty(flag)

- confidence = exp(mean token log-probability of the output), the model's own average
  per-token probability (length-normalised, so long sentences are not punished for length);
- each flag raised multiplies the score by its penalty (below), so a sentence with a missing
  number cannot score high however confident the model was.

A segment is flagged when any flag is raised or its score is under LOW_SCORE.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from vi2en.text import has_vietnamese_letters

LOW_SCORE = 40.0
# The flag names the problem for the editor; the penalty only orders segments. Number-missing
# and repetition are mild because a weak model's sentences are bad with or without them (on
# flores200-dev, the validation set, harsher penalties lowered the correlation with chrF++);
# a length far off is the strongest sign of a broken sentence.
PENALTIES = {
    "empty": 0.0,
    "number-missing": 0.8,
    "untranslated": 0.5,
    "repetition": 0.8,
    "length-ratio": 0.4,
    "term-missing": 0.7,
    "low-confidence": 1.0,  # already reflected by the confidence itself
}
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


def score_segment(vi: str, en: str, mean_logprob: float | None, *, term_flags: list[str] = (), allowed_vietnamese: list[str] = ()) -> tuple[float, list[str], dict]:
    signals: dict = {}
    flags: list[str] = []
    if not en.strip():
        flags.append("empty")
    confidence = math.exp(mean_logprob) if mean_logprob is not None and mean_logprob > float("-inf") else 1.0
    signals["mean_logprob"] = None if mean_logprob is None else round(mean_logprob, 4)
    ratio = len(en) / max(1, len(vi))
    signals["length_ratio"] = round(ratio, 3)
    if en.strip() and not (LENGTH_RATIO_RANGE[0] <= ratio <= LENGTH_RATIO_RANGE[1]) and len(vi) >= 20:
        flags.append("length-ratio")
    missing = missing_numbers(vi, en)
    signals["numbers_missing"] = missing
    if missing:
        flags.append("number-missing")
    leftover = untranslated_words(en, allowed_vietnamese)
    signals["untranslated"] = leftover
    if leftover:
        flags.append("untranslated")
    repeats = repeated_ngrams(en)
    signals["repeated"] = repeats
    if repeats:
        flags.append("repetition")
    flags += [f for f in term_flags if f not in flags]
    score = 100.0 * confidence
    for f in flags:
        score *= PENALTIES.get(f, 1.0)
    if score < LOW_SCORE and "low-confidence" not in flags:
        flags.append("low-confidence")
    return round(score, 1), flags, signals


def summarize(segment_scores: list[tuple[float | None, list[str]]]) -> dict:
    scored = [s for s, _ in segment_scores if s is not None]
    return {
        "segments": len(segment_scores),
        "mean_score": round(sum(scored) / len(scored), 1) if scored else None,
        "flagged": sum(1 for _, flags in segment_scores if flags),
    }
