"""Per-segment quality estimation: a score from 0 to 100 and named flags.

score = estimate · Π penalty(flag)

- the estimate is a prediction of the sentence's chrF++ from continuous signals (`FEATURES`:
  the model's confidence, agreement between its n-best hypotheses, its attention (coverage,
  the share on the source's end token, entropy), how
  novel the source is to the model, the English's fluency and its length), combined
  by weights fitted on validation data (vi2en.quality);
- each signal in `SIGNALS` checks one rule (its raw value goes into the segment's signals) and
  may raise a flag, which multiplies the score by its penalty, so a sentence with a missing
  number cannot score high however good the rest looks.

A segment is flagged when any flag is raised or its score is under the weights' threshold.
Every flag explains itself in one line (`explain`), for the editor.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

from vi2en.backends import Hypothesis
from vi2en.document import TermHit
from vi2en.quality import QualityResources, words
from vi2en.text import has_vietnamese_letters

# English characters per Vietnamese character in well-translated news sits around 0.8–1.4.
LENGTH_RATIO_RANGE = (0.45, 2.2)

# Numbers, dates, times and document codes (21-NQ/TW, 96-QĐ/TW) that must survive translation.
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})+(?![.,]?\d)")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*(?:-[A-ZĐ]+(?:/[A-ZĐ]+)*)?")


MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_MONTH = re.compile(r"\b(" + "|".join(m.capitalize() for m in MONTHS) + r"|" + "|".join(m[:3].capitalize() for m in MONTHS) + r")\.?\b")


# House style spells out small counts ("9 hộ" → "nine households"): the words count as numbers.
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
# and ordinals: "Kỳ họp thứ 8" is rightly "the eighth session", "Hội nghị Trung ương 6" "the sixth plenum"
ORDINAL_WORDS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                 "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"]
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS + ORDINAL_WORDS) + r")\b", re.IGNORECASE)


def numbers(text: str) -> list[str]:
    """Digit groups as they must appear in the English: separators dropped for comparison.

    English month names count as their numbers, since "17/1" is rightly "January 17", and so do
    the number words and ordinals up to twenty.
    """
    found = [str(MONTHS.index(next(m for m in MONTHS if m.startswith(name.lower()))) + 1) for name in _MONTH.findall(text)]
    found += [str((NUMBER_WORDS + ORDINAL_WORDS).index(word.lower()) % len(NUMBER_WORDS)) for word in _NUMBER_WORD.findall(text)]
    for m in _NUMBER.finditer(text):
        # 1.000 (vi) and 1,000 (en) are one number, alone or in "1.078/1.078"
        value = _THOUSANDS.sub(lambda group: re.sub(r"[.,]", "", group.group(0)), m.group(0))
        for part in re.split(r"[.,:/\s-]+", value):
            if part.isdigit():
                found.append(part.lstrip("0") or "0")
    return found


# House style writes some numbers as words or otherwise (corpus/STYLE.md): "100% hồ chứa" is "all
# reservoirs", "trực 24/24 giờ" is "on duty around the clock", "1.078/1.078 tàu" is "all 1,078
# vessels". Each pattern of the Vietnamese is met by its English wording, or by the digits.
_WHOLE = re.compile(r"\b100\s?%")
_ALL = re.compile(r"\b(all|every|entire|entirely|whole|full|fully|complete|completely)\b", re.IGNORECASE)
_ROUND_THE_CLOCK = re.compile(r"\b24/24\b")
_CLOCK = re.compile(r"\b(a)?round[- ]the[- ]clock\b", re.IGNORECASE)
_SAME_FRACTION = re.compile(r"(?<![\d/.,])(\d[\d.,]*)/\1(?![\d/.,])")  # "1.078/1.078": all of them, the number once
# "từ ngày 12/2 đến ngày 18/2/2025" is "from February 12 to 18, 2025": the month once
_DAY_MONTH = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")
_THOUSAND = re.compile(r"\b(\d{1,3}) (?:nghìn|ngàn)\b")  # "150 nghìn tấn" is "150,000 tonnes"


def _worded(vi: str, en: str) -> Counter:
    """Numbers of `vi` that `en` renders in words or states once for several mentions."""
    worded: Counter = Counter()
    for m in _SAME_FRACTION.finditer(vi):
        worded.update(numbers(m.group(1)))
    if _ALL.search(en):
        worded["100"] += len(_WHOLE.findall(vi))
    if _CLOCK.search(en):
        worded["24"] += len(_ROUND_THE_CLOCK.findall(vi))  # the same fraction counted it once already
    in_english = Counter(numbers(en))
    for m in _THOUSAND.finditer(vi):
        if in_english[str(int(m.group(1)) * 1000)]:
            worded[m.group(1).lstrip("0") or "0"] += 1
    months = Counter(str(int(m.group(2))) for m in _DAY_MONTH.finditer(vi) if 1 <= int(m.group(2)) <= 12)
    for month, count in months.items():
        if MONTHS[int(month) - 1].capitalize() in en or MONTHS[int(month) - 1][:3].capitalize() in en:
            worded[month] += count - 1
    return +worded


def missing_numbers(vi: str, en: str) -> list[str]:
    # Compare digit groups, not formats: "17/1" may become "17 January", "1.000" becomes "1,000".
    need = Counter(numbers(vi)) - _worded(vi, en)
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


# ---------------------------------------------------------------- the continuous features


@dataclass(frozen=True)
class Evidence:
    """What a feature may read: the segment, what the backend said of its output, and the
    resources the model ships (vi2en.quality)."""

    vi: str
    en: str
    hits: Sequence[TermHit]
    hypothesis: Hypothesis
    resources: QualityResources


@dataclass(frozen=True)
class Feature:
    """One continuous signal the learned combination weighs; None where it cannot be measured."""

    key: str
    measure: Callable[[Evidence], float | None]


def _agreement(e: Evidence) -> float | None:
    # Where the beam's runners-up say nearly the same thing, the model was sure of the meaning;
    # where they diverge, it was guessing (n-best agreement, as in glass-box QE). The model's own
    # text is compared, placeholders and all, as the runners-up are: the terms put back (or
    # forced in) are the glossary's doing, not the model's doubt.
    # Similarity is the share of words two hypotheses have in order (rapidfuzz's Indel on words):
    # on 400 FLORES-200 dev sentences it followed their chrF++ (Pearson 0.21) as well as sentence
    # chrF++ between hypotheses did (0.18), at a thousandth of the time, which in pure Python was
    # most of the scoring stage.
    from rapidfuzz.distance import Indel

    alternatives, own = e.hypothesis.alternatives, e.hypothesis.text.split()
    if not alternatives or not own:
        return None
    return sum(Indel.normalized_similarity(own, alt.split()) for alt in alternatives) / len(alternatives)


def _novelty(e: Evidence) -> float | None:
    return e.resources.source_words.novelty(e.vi) if e.resources.source_words else None


def _pair_novelty(e: Evidence) -> float | None:
    return e.resources.source_words.pair_novelty(e.vi) if e.resources.source_words else None


def _fluency(e: Evidence) -> float | None:
    return e.resources.english.fluency(e.en) if e.resources.english else None


def _length_deviation(e: Evidence) -> float | None:
    return abs(math.log((len(e.en) + 1) / (len(e.vi) + 1))) if e.en.strip() else None


def _word_ratio(e: Evidence) -> float | None:
    # a hallucination is often short: a few fluent words for a long sentence
    return math.log((len(words(e.en)) + 1) / (len(words(e.vi)) + 1)) if e.en.strip() else None


def _source_words(e: Evidence) -> float | None:
    return math.log1p(len(words(e.vi)))


def _rendered_share(e: Evidence) -> float:
    # what the glossary and the entity rules rendered is right by construction, so the more of
    # the source they cover, the less is left to the model (in news, titles, bodies, names and
    # numbers are much of a sentence)
    covered = set()
    for hit in e.hits:
        if hit.found:
            covered.update(range(hit.start, hit.end))
    letters = [i for i, c in enumerate(e.vi) if not c.isspace()]
    return sum(i in covered for i in letters) / len(letters) if letters else 0.0


FEATURES = [
    Feature("mean_logprob", lambda e: e.hypothesis.mean_logprob),
    Feature("nbest_agreement", _agreement),
    Feature("coverage", lambda e: e.hypothesis.coverage),
    Feature("end_attention", lambda e: e.hypothesis.end_attention),
    Feature("attention_entropy", lambda e: e.hypothesis.attention_entropy),
    Feature("source_novelty", _novelty),
    Feature("pair_novelty", _pair_novelty),
    Feature("fluency", _fluency),
    Feature("length_deviation", _length_deviation),
    Feature("word_ratio", _word_ratio),
    Feature("source_words", _source_words),
    Feature("rendered_share", _rendered_share),
]

# the features every backend can give: no n-best, no attention, no model's source vocabulary
ANY_BACKEND = ["mean_logprob", "fluency", "length_deviation", "word_ratio", "source_words", "rendered_share"]

# One line an editor can act on, per flag; {…} are filled from the segment's signals.
EXPLANATIONS = {
    "empty": "The model produced no English: translate this sentence by hand.",
    "length-ratio": "The English is {length_ratio}× the Vietnamese in length: part of the sentence may be missing or repeated.",
    "number-missing": "Numbers in the Vietnamese are missing from the English: {numbers_missing}.",
    "untranslated": "Vietnamese words left in the English: {untranslated}.",
    "repetition": "The English repeats itself: {repeated}.",
    "term-missing": "Glossary terms not rendered the glossary's way: {terms_missing}.",
    "entity-missing": "Names, places, numbers or bodies not rendered the house way: {entities_missing}.",
    "low-quality": "The estimated quality is low ({estimate}); most of it from: {weakest}.",
}


def explain(flag: str, signals: dict) -> str:
    """The flag's one-line explanation for the editor (unknown flags are named as they are)."""
    template = EXPLANATIONS.get(flag)
    if template is None:
        return flag
    values = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in signals.items()}
    try:
        return template.format_map(values)
    except (KeyError, ValueError):
        return template.split(":")[0].split("(")[0].strip() + "."


def signature(resources: QualityResources | None = None) -> str:
    """How every score was made, as sacreBLEU's signatures say how a metric was computed."""
    model = (resources or QualityResources.for_model(None)).model
    penalties = ",".join(f"{s.flag}={s.penalty:g}" for s in SIGNALS)
    low, high = LENGTH_RATIO_RANGE
    return f"{model.signature()}|pen:{penalties}|ratio:{low:g}-{high:g}|version:2"


# why each feature helps, as the editor reads it in the low-quality explanation
_FEATURE_NAMES = {
    "mean_logprob": "the model's confidence", "nbest_agreement": "how the beam's alternative translations compare",
    "coverage": "how much of the source the model attended to", "source_novelty": "words the model rarely saw", "pair_novelty": "phrases the model rarely saw",
    "end_attention": "attention on the end of the source, not its words", "attention_entropy": "attention spread over the whole source",
    "fluency": "fluency of the English", "length_deviation": "length", "source_words": "sentence length",
    "word_ratio": "a short English",
    "rendered_share": "little of the sentence rendered by the glossary",
}


def score_segment(vi: str, en: str, hypothesis: Hypothesis | None, hits: Sequence[TermHit] = (), resources: QualityResources | None = None) -> tuple[float | None, list[str], dict]:
    """score = estimate · Π penalty(flag); None when there is no hypothesis from a model (an
    editor's English) or the backend gave no log-probabilities.

    Without the model's confidence there is no estimate to order by, so the flags still say what
    is wrong but no number pretends the sentence is perfect.
    """
    resources = resources or QualityResources.for_model(None)
    hypothesis = hypothesis or Hypothesis(text=en)
    mean_logprob = hypothesis.mean_logprob
    evidence = Evidence(vi, en, hits, hypothesis, resources)
    features = {f.key: f.measure(evidence) for f in FEATURES}
    signals: dict[str, Any] = {k: None if v is None else round(v, 4) for k, v in features.items()}
    flags: list[str] = []
    score = None if mean_logprob is None else resources.model.predict(features)
    if score is not None:
        signals["estimate"] = round(score, 1)
    for signal in SIGNALS:
        raw, raised = signal.measure(vi, en, hits)
        if raw is not None and signal.key:
            signals[signal.key] = raw
        if raised:
            flags.append(signal.flag)
            score = None if score is None else score * signal.penalty
    if score is not None and score < resources.model.threshold:
        weakest = sorted(resources.model.contributions(features).items(), key=lambda kv: kv[1])[:2]
        # an interaction ("coverage*fluency") is named by its first signal
        signals["weakest"] = list(dict.fromkeys(_FEATURE_NAMES[name.split("*")[0]] for name, moved in weakest if moved < 0)) or ["no single signal"]
        flags.append("low-quality")
    return (None if score is None else round(score, 1)), flags, signals


def summarize(segment_scores: list[tuple[float | None, list[str]]]) -> dict:
    scored = [s for s, _ in segment_scores if s is not None]
    return {
        "segments": len(segment_scores),
        "mean_score": round(sum(scored) / len(scored), 1) if scored else None,
        "flagged": sum(1 for _, flags in segment_scores if flags),
    }
