"""The learned part of the quality score: resources that signals read, and the fitted weights.

- `SourceWords`: the Vietnamese words the model saw often enough in training; a source whose
  words it never saw is one it is likely to get wrong (the source-novelty signal).
- `EnglishLM`: a small word-bigram language model of English news-style text, built by the
  project from its own corpus and the training data's English side (the fluency signal).
- `QualityModel`: a ridge regression from the continuous signals to sentence chrF++, fitted on
  validation data only (FLORES-200 dev and the news corpus's dev split) by
  `scripts/fit_quality.py`, stored with the model as `quality/weights.json`. A model without
  its own weights uses the project's default (`vi2en/data/quality-default.json`), fitted only on
  signals every backend gives.

Why a linear model: an editor (and a test) can read what each signal adds, and a few thousand
validation sentences cannot support much more.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vi2en.text import nfc

DATA = Path(__file__).parent / "data"
DEFAULT_WEIGHTS = DATA / "quality-default.json"
ENGLISH_LM = DATA / "english-lm.tsv.gz"
QUALITY_FOLDER = "quality"  # inside a model folder: weights.json, source-words.txt, validation.json.gz
RARE_BELOW = 3  # a source word seen fewer times than this in training counts as novel

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(nfc(text).lower()) if not w.isdigit()]


# ---------------------------------------------------------------- source novelty


@dataclass
class SourceWords:
    """Vietnamese words, and pairs of words in a row, seen at least RARE_BELOW times in the
    model's training data. Vietnamese words are mostly one syllable; many a term is two or three
    ("khu công nghiệp"), and a pair the model never saw together is a phrase it has not learnt
    even where it knows each word."""

    known: frozenset[str]
    known_pairs: frozenset[str] = frozenset()  # "word word"

    @classmethod
    def build(cls, sources: Iterable[str]) -> SourceWords:
        counts, pairs = Counter(), Counter()
        for text in sources:
            found = words(text)
            counts.update(found)
            pairs.update(_pairs(found))
        return cls(frozenset(w for w, c in counts.items() if c >= RARE_BELOW), frozenset(p for p, c in pairs.items() if c >= RARE_BELOW))

    @classmethod
    def load(cls, path: Path) -> SourceWords:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
        return cls(frozenset(w for w in lines if " " not in w), frozenset(p for p in lines if " " in p))

    def save(self, path: Path) -> None:
        path.write_text("\n".join(sorted(self.known) + sorted(self.known_pairs)) + "\n", encoding="utf-8")

    def novelty(self, text: str) -> float | None:
        """Share of the source's words the model saw fewer than RARE_BELOW times; None without words."""
        found = words(text)
        return sum(w not in self.known for w in found) / len(found) if found else None

    def pair_novelty(self, text: str) -> float | None:
        """Share of the source's pairs of words in a row the model saw together fewer than
        RARE_BELOW times; None for a single word, or a vocabulary built without pairs."""
        found = _pairs(words(text))
        if not found or not self.known_pairs:
            return None
        return sum(p not in self.known_pairs for p in found) / len(found)


def _pairs(found: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in zip(found, found[1:])]


# ---------------------------------------------------------------- fluency


@dataclass
class EnglishLM:
    """Word bigrams with interpolated absolute discounting (Ney et al. 1994).

    Rare words and bigrams are pruned when built, which keeps the file and its loading small; the
    discounted mass of a history goes to the unigram distribution, itself smoothed towards
    uniform so an unseen word costs a finite amount.
    """

    unigrams: dict[str, int]
    bigrams: dict[tuple[str, str], int]
    discount: float = 0.75
    _history: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)  # count, distinct followers
    _total: int = 0

    def __post_init__(self) -> None:
        history: dict[str, list[int]] = {}
        for (first, _), count in self.bigrams.items():
            h = history.setdefault(first, [0, 0])
            h[0] += count
            h[1] += 1
        self._history = {w: (c, n) for w, (c, n) in history.items()}
        self._total = sum(self.unigrams.values())

    @classmethod
    def build(cls, sentences: Iterable[str], *, min_unigram: int = 2, min_bigram: int = 3) -> EnglishLM:
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for sentence in sentences:
            tokens = ["<s>", *words(sentence), "</s>"]
            unigrams.update(tokens[1:])
            bigrams.update(zip(tokens, tokens[1:]))
        # pruned: rare words and pairs make the file (and every start-up) large and add little
        return cls({w: c for w, c in unigrams.items() if c >= min_unigram}, {b: c for b, c in bigrams.items() if c >= min_bigram})

    def save(self, path: Path) -> None:
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
            for word, count in sorted(self.unigrams.items()):
                f.write(f"{word}\t{count}\n")
            for (first, second), count in sorted(self.bigrams.items()):
                f.write(f"{first} {second}\t{count}\n")

    @classmethod
    def load(cls, path: Path) -> EnglishLM:
        unigrams, bigrams = {}, {}
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                key, count = line.rstrip("\n").rsplit("\t", 1)
                first, _, second = key.partition(" ")
                if second:
                    bigrams[(first, second)] = int(count)
                else:
                    unigrams[first] = int(count)
        return cls(unigrams, bigrams)

    def _unigram(self, word: str) -> float:
        vocabulary = len(self.unigrams) + 1  # +1: the unseen word
        return (self.unigrams.get(word, 0) + 1) / (self._total + vocabulary)

    def logprob(self, previous: str, word: str) -> float:
        count, followers = self._history.get(previous, (0, 0))
        if not count:
            return math.log(self._unigram(word))
        seen = max(self.bigrams.get((previous, word), 0) - self.discount, 0) / count
        backoff = self.discount * followers / count
        return math.log(seen + backoff * self._unigram(word))

    def fluency(self, text: str) -> float | None:
        """Mean log-probability per word (end of sentence included); None for an empty text."""
        tokens = words(text)
        if not tokens:
            return None
        tokens = ["<s>", *tokens, "</s>"]
        return sum(self.logprob(a, b) for a, b in zip(tokens, tokens[1:])) / (len(tokens) - 1)


# ---------------------------------------------------------------- the learned combination


class QualityError(Exception):
    """A weights file that cannot be used; the message names the file."""


def feature_value(values: dict[str, float | None], name: str) -> float | None:
    """A signal's value, or for "a*b" the product of two (an interaction: fluency, say, changes
    what the model's confidence means); None where any part is missing."""
    product = 1.0
    for part in name.split("*"):
        value = values.get(part)
        if value is None:
            return None
        product *= value
    return product


@dataclass
class QualityModel:
    """score estimate = intercept + Σ weight · (feature − mean) / scale, clipped to 0–100.

    A feature is a signal's name, or "a*b" for the product of two. A feature the segment lacks (no alternatives from a backend without n-best, no source
    vocabulary for the model) counts as its mean, so it adds nothing either way.
    """

    features: list[str]
    means: list[float]
    scales: list[float]
    weights: list[float]
    intercept: float
    threshold: float  # estimates below this raise the low-quality flag
    fitted_on: list[str] = field(default_factory=list)
    name: str = "default"

    def predict(self, values: dict[str, float | None]) -> float:
        total = self.intercept + sum(self.contributions(values, rounded=False).values())
        return min(100.0, max(0.0, total))

    def contributions(self, values: dict[str, float | None], *, rounded: bool = True) -> dict[str, float]:
        """What each feature moved the estimate by, for the editor's explanation."""
        moved = {}
        for name, mean, scale, weight in zip(self.features, self.means, self.scales, self.weights):
            value = feature_value(values, name)
            if value is not None:
                moved[name] = weight * (value - mean) / scale
        return {n: round(v, 1) for n, v in moved.items()} if rounded else moved

    def signature(self) -> str:
        weights = ",".join(f"{n}={w:.3g}" for n, w in zip(self.features, self.weights))
        return f"ridge:{self.name}|w:{weights}|b:{self.intercept:.3g}|low:{self.threshold:.3g}|fit:{'+'.join(self.fitted_on)}"

    @classmethod
    def fit(cls, rows: Sequence[dict[str, float | None]], targets: Sequence[float], features: list[str], *, groups: Sequence[str] | None = None, ridge: float = 1.0, name: str, fitted_on: list[str], threshold: float = 0.0) -> QualityModel:
        """Ridge regression on standardised features.

        With `groups` (the validation set each row came from), features and targets are centred
        within each set before solving, so the weights learn what orders sentences within one
        set — what an editor's map needs — and not what tells one set's average from another's.
        """
        import numpy as np

        table = [[feature_value(r, f) for f in features] for r in rows]
        means, scales = [], []
        for column in zip(*table):
            present = [v for v in column if v is not None]
            mean = sum(present) / len(present) if present else 0.0
            var = sum((v - mean) ** 2 for v in present) / len(present) if present else 0.0
            means.append(mean)
            scales.append(math.sqrt(var) or 1.0)
        x = np.array([[0.0 if v is None else (v - m) / s for v, m, s in zip(line, means, scales)] for line in table])
        y = np.array(targets, dtype=float)
        intercept = float(y.mean())
        xc, yc = x.copy(), y - intercept
        for group in set(groups or ()):
            members = np.array([g == group for g in groups])
            xc[members] -= xc[members].mean(axis=0)
            yc[members] -= yc[members].mean()
        # (XᵀX + λI) w = Xᵀy on the centred data
        w = np.linalg.solve(xc.T @ xc + ridge * np.eye(len(features)), xc.T @ yc)
        return cls(features, means, scales, [float(v) for v in w], intercept, threshold, fitted_on, name)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "fitted_on": self.fitted_on, "features": self.features, "means": self.means,
            "scales": self.scales, "weights": self.weights, "intercept": self.intercept, "threshold": self.threshold,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> QualityModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = cls(**{k: data[k] for k in ("features", "means", "scales", "weights", "intercept", "threshold", "fitted_on", "name")})
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise QualityError(f"{path}: not a quality weights file ({e})") from None
        if not len(model.features) == len(model.means) == len(model.scales) == len(model.weights):
            raise QualityError(f"{path}: features, means, scales and weights differ in length")
        return model


# ---------------------------------------------------------------- fitting


@dataclass
class Row:
    """One validation sentence: its signals, the flags the rules raised, its sentence chrF++."""

    signals: dict[str, float | None]
    rule_flags: list[str]
    chrf: float


# The worst 30% of a validation set learn a target 20 points lower than their chrF++: the fit
# then spends its effort where an editor must look (on flores200-dev this raised the share of
# the worst tenth caught at a given share flagged, and Pearson with it).
WORST_SHARE, WORST_PUSH = 0.3, 20.0


RIDGE = 30.0  # on standardised features; 10–100 changed validation Pearson by under 0.01
FLAG_SHARE = 0.38  # at most this share of each validation set flagged, the rules' flags included


def with_interactions(signals: Sequence[str]) -> list[str]:
    """Each signal, and each signal times fluency: how fluent the English is changes what the
    other signals mean (a fluent hallucination and a clumsy but faithful translation can share a
    confidence); on flores200-dev the interactions raised Pearson by about 0.03."""
    return [*signals, *(f"{s}*fluency" for s in signals if s != "fluency")]


def targets(rows: Sequence[Row]) -> list[float]:
    if not rows:
        return []
    cut = sorted(r.chrf for r in rows)[int(WORST_SHARE * len(rows))]
    return [r.chrf - (WORST_PUSH if r.chrf < cut else 0.0) for r in rows]


def final_scores(model: QualityModel, rows: Sequence[Row], penalties: dict[str, float]) -> list[float]:
    scores = []
    for row in rows:
        score = model.predict(row.signals)
        for flag in row.rule_flags:
            score *= penalties[flag]
        scores.append(score)
    return scores


def flagged(model: QualityModel, rows: Sequence[Row], penalties: dict[str, float]) -> list[bool]:
    """Which rows the score flags: a rule raised a flag, or the score is under the threshold."""
    return [bool(r.rule_flags) or s < model.threshold for s, r in zip(final_scores(model, rows, penalties), rows)]


def choose_threshold(model: QualityModel, sets: Sequence[Sequence[Row]], share: float, penalties: dict[str, float]) -> float:
    """The highest threshold at which at most `share` of each validation set is flagged in all
    (the rules' flags included)."""
    scored = [(final_scores(model, rows, penalties), [bool(r.rule_flags) for r in rows]) for rows in sets]

    def within(threshold: float) -> bool:
        return all(sum(1 for s, r in zip(scores, ruled) if r or s < threshold) <= share * len(scores) for scores, ruled in scored)

    best = 0.0
    for candidate in sorted({round(s, 1) for scores, _ in scored for s in scores}):
        if not within(candidate):
            break
        best = candidate
    return best


def fit_weights(sets: dict[str, list[Row]], features: list[str], penalties: dict[str, float], *, flag_share: float = FLAG_SHARE, ridge: float = RIDGE, name: str) -> QualityModel:
    """Weights fitted within each validation set (see QualityModel.fit), and the threshold that
    flags at most `flag_share` of each."""
    rows = [row for found in sets.values() for row in found]
    model = QualityModel.fit(
        [r.signals for r in rows], [t for found in sets.values() for t in targets(found)], features,
        groups=[set_name for set_name, found in sets.items() for _ in found], ridge=ridge, name=name, fitted_on=list(sets),
    )
    model.threshold = choose_threshold(model, list(sets.values()), flag_share, penalties)
    return model


def save_rows(sets: dict[str, list[Row]], path: Path) -> None:
    """The validation rows a model's weights were fitted on (signals and chrF++, no text), so a
    test can refit them and find the same weights."""
    def numeric(signals: dict) -> dict:  # the features; lists of missing numbers and the like stay out
        return {k: v for k, v in signals.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}

    data = {name: [[r.chrf, r.rule_flags, numeric(r.signals)] for r in rows] for name, rows in sets.items()}
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))


def load_rows(path: Path) -> dict[str, list[Row]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {name: [Row(signals, flags, chrf) for chrf, flags, signals in rows] for name, rows in json.load(f).items()}


@dataclass
class QualityResources:
    """What the score reads besides the segment: the weights, and the resources its signals need."""

    model: QualityModel
    source_words: SourceWords | None = None
    english: EnglishLM | None = None

    @classmethod
    def for_model(cls, model_dir: Path | None) -> QualityResources:
        """The model's own weights and source vocabulary where it ships them, else the default.

        Read once a process for each model: every group of articles, and every score without
        resources given, asks again."""
        return _resources_for(Path(model_dir) if model_dir else None)


@functools.lru_cache(maxsize=8)
def _resources_for(model_dir: Path | None) -> QualityResources:
    folder = model_dir / QUALITY_FOLDER if model_dir else None
    weights = folder / "weights.json" if folder else None
    vocabulary = folder / "source-words.txt" if folder else None
    return QualityResources(
        model=QualityModel.load(weights if weights and weights.is_file() else DEFAULT_WEIGHTS),
        source_words=SourceWords.load(vocabulary) if vocabulary and vocabulary.is_file() else None,
        english=english_lm(),
    )


@functools.cache
def english_lm() -> EnglishLM:
    # one for every model: it is the project's English, not the model's
    return EnglishLM.load(ENGLISH_LM)
