"""Score translations against references, and check how well quality estimates find the bad ones.

All metrics are sacreBLEU's with its default tokenisation, on detokenised text, and each corpus
score comes with its signature so a number can be reproduced and compared with published ones.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

from sacrebleu.metrics import BLEU, CHRF, TER

from vi2en.document import write_atomic


def _check_lengths(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not references:
        raise ValueError("nothing to score")


def corpus_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict:
    """Corpus BLEU, chrF++ (word_order=2) and TER, each with its sacreBLEU signature."""
    _check_lengths(hypotheses, references)
    refs = [list(references)]
    scores = {}
    for name, metric in (("bleu", BLEU()), ("chrf++", CHRF(word_order=2)), ("ter", TER())):
        result = metric.corpus_score(list(hypotheses), refs)
        scores[name] = {"score": round(result.score, 2), "signature": str(metric.get_signature())}
    return scores


def sentence_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> list[float]:
    """chrF++ of every segment on its own."""
    _check_lengths(hypotheses, references)
    metric = CHRF(word_order=2)
    return [metric.sentence_score(h, [r]).score for h, r in zip(hypotheses, references)]


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation; NaN when either side is constant (no linear relation is defined)."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    if var_x == 0 or var_y == 0:
        return math.nan
    return cov / math.sqrt(var_x * var_y)


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank (as Spearman's rho requires)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    return pearson(_ranks(xs), _ranks(ys))


# 95% intervals: the worst tenth of a 1,000-sentence set is only 100 sentences, so a recall of
# 80% is known to about ±8 points, and a change of two sentences is no evidence either way.
Z95 = 1.959964


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927): unlike the normal approximation it
    stays inside 0–1 and holds for the small counts and extreme shares a worst decile gives."""
    if trials <= 0:
        return (math.nan, math.nan)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return (max(0.0, centre - half), min(1.0, centre + half))


def pearson_interval(r: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Fisher z-transform interval of a correlation over n pairs; NaN where r is undefined or n ≤ 3."""
    if math.isnan(r) or n <= 3:
        return (math.nan, math.nan)
    if abs(r) >= 1.0:
        return (r, r)
    centre, half = math.atanh(r), z / math.sqrt(n - 3)
    return (math.tanh(centre - half), math.tanh(centre + half))


def worst_flagged(segment_chrf: Sequence[float], flags: Sequence[bool], fraction: float = 0.1) -> dict:
    """How many of the worst `fraction` segments (lowest sentence chrF++) were flagged, and what
    share of all segments was, each with its 95% Wilson interval."""
    if len(flags) != len(segment_chrf):
        raise ValueError(f"{len(flags)} flags for {len(segment_chrf)} segments")
    worst_count = max(1, round(len(segment_chrf) * fraction))
    worst = sorted(range(len(segment_chrf)), key=lambda i: segment_chrf[i])[:worst_count]
    flagged = sum(1 for i in worst if flags[i])
    flagged_total = sum(map(bool, flags))

    def rounded(interval: tuple[float, float]) -> list[float]:
        return [round(v, 4) for v in interval]

    return {
        "worst": worst_count, "flagged": flagged, "recall": round(flagged / worst_count, 4), "recall_95ci": rounded(wilson_interval(flagged, worst_count)),
        "flagged_total": flagged_total, "flagged_share": round(flagged_total / len(flags), 4) if flags else math.nan,
        "flagged_share_95ci": rounded(wilson_interval(flagged_total, len(flags))),
    }


def evaluate(
    hypotheses: Sequence[str],
    references: Sequence[str],
    quality: Sequence[float] | None = None,
    flags: Sequence[bool] | None = None,
) -> dict:
    """Corpus scores, per-segment chrF++, and (when given) how quality scores and flags track it."""
    segment_chrf = sentence_chrf(hypotheses, references)
    report = {"segments": len(references), "corpus": corpus_scores(hypotheses, references), "sentence_chrf++": [round(s, 2) for s in segment_chrf]}
    if quality is not None:
        if len(quality) != len(segment_chrf):
            raise ValueError(f"{len(quality)} quality scores for {len(segment_chrf)} segments")
        r = pearson(quality, segment_chrf)
        report["quality_correlation"] = {"pearson": r, "pearson_95ci": list(pearson_interval(r, len(quality))), "spearman": spearman(quality, segment_chrf)}
    if flags is not None:
        report["worst_10pct_flagged"] = worst_flagged(segment_chrf, flags)
    return report


def write_report(report: dict, path: Path) -> None:
    """Write the report atomically; NaN is not JSON, so an undefined correlation is written as null."""
    write_atomic(Path(path), json.dumps(_nan_to_none(report), ensure_ascii=False, indent=1) + "\n")


def _nan_to_none(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def term_accuracy(term_set: Path, translator, glossary, entities=None):
    """Term accuracy of a model through the whole pipeline (masking, retries, forcing) on a term
    test set (date, vi, terms): a `terms.TermReport`, with each segment's forced terms counted."""
    from vi2en.pipeline import document_from_lines, translate_document
    from vi2en.terms import TermReport, read_term_set

    rows = read_term_set(term_set)
    report = TermReport()
    for date in dict.fromkeys(r["date"] for r in rows):  # one document per date: entries valid on that day
        dated = [r for r in rows if r["date"] == date]
        doc = document_from_lines([r["vi"] for r in dated], str(term_set))
        doc.date = date or None
        translate_document(doc, translator, glossary, entities=entities)
        for segment, row in zip(doc.segments, dated):
            report.add(segment.vi, segment.en, segment.terms, segment.flags, [t for t in row["terms"].split(" | ") if t])
    return report
