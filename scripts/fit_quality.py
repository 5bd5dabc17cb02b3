"""Fit the quality score's weights on validation reports, and show what each signal adds.

    vi2en eval --src flores200-dev.vi --ref flores200-dev.en --report flores-dev.json
    vi2en eval --pairs corpus/dev.tsv --report corpus-dev.json
    python scripts/fit_quality.py flores-dev.json corpus-dev.json \
        --out models/compact-vi-en/quality/weights.json \
        --evaluate flores-devtest.json corpus-test.json

Only validation data is fitted on: a report whose source is a test set is refused. Reports
given to --evaluate are scored with the new weights (from the signals they recorded) and
never fitted on. Beside a model's weights it writes the validation rows (signals and chrF++,
no text) as validation.json.gz, from which tests refit the same weights. `--default` fits only the
signals every backend gives, for the project's default (src/vi2en/data/quality-default.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vi2en.corpus import DataError, check_allowed
from vi2en.evaluate import pearson, spearman, worst_flagged
from vi2en.quality import FLAG_SHARE, RIDGE, QualityModel, Row, final_scores, fit_weights, flagged, save_rows, with_interactions
from vi2en.score import ANY_BACKEND, FEATURES, PENALTIES


def read_report(path: Path) -> list[Row]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        segments = report["per_segment"]
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: not a vi2en eval report with per-segment results ({e})") from None
    rows = []
    for s in segments:
        if s.get("score") is None or "mean_logprob" not in s.get("signals", {}):
            continue  # rendered by rule or without log-probabilities: nothing was estimated
        rows.append(Row(s["signals"], [f for f in s["flags"] if f in PENALTIES], s["chrf++"]))
    return rows


def refuse_test_sets(path: Path) -> None:
    source = json.loads(path.read_text(encoding="utf-8")).get("source") or ""
    check_allowed(Path(source))
    if "test" in Path(source).name:
        raise DataError(f"{path}: its source {source} looks like a test split; fit on validation data only")


def measure(model: QualityModel, rows: list[Row]) -> dict:
    scores = final_scores(model, rows, PENALTIES)
    chrf = [r.chrf for r in rows]
    worst = worst_flagged(chrf, flagged(model, rows, PENALTIES))
    return {"pearson": pearson(scores, chrf), "spearman": spearman(scores, chrf), "worst_recall": worst["recall"], "worst_recall_95ci": worst["recall_95ci"], "flagged_share": worst["flagged_share"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reports", nargs="+", type=Path, help="eval reports on validation sets (fitted on)")
    p.add_argument("--out", type=Path, required=True, help="weights file to write")
    p.add_argument("--name", default=None, help="name in the signature (default: the model folder's name)")
    p.add_argument("--default", action="store_true", help="fit only the signals every backend gives")
    p.add_argument("--flag-share", type=float, default=FLAG_SHARE, help=f"at most this share of each validation set flagged (default {FLAG_SHARE})")
    p.add_argument("--ridge", type=float, default=RIDGE, help=f"ridge penalty on standardised features (default {RIDGE:g})")
    p.add_argument("--evaluate", nargs="*", type=Path, default=[], help="reports to score with the new weights, never fitted on")
    args = p.parse_args(argv)
    try:
        fitted = {}
        for path in args.reports:
            refuse_test_sets(path)
            fitted[path.stem] = read_report(path)
        held_out = {path.stem: read_report(path) for path in args.evaluate}
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    signals = ANY_BACKEND if args.default else [f.key for f in FEATURES]
    features = with_interactions(signals)
    name = args.name or ("default" if args.default else args.out.resolve().parent.parent.name)

    def fit(keys: list[str]) -> QualityModel:
        return fit_weights(fitted, keys, PENALTIES, flag_share=args.flag_share, ridge=args.ridge, name=name)

    model = fit(features)
    model.save(args.out)
    if not args.default:  # the default is fitted on the same rows, kept with the model that made them
        save_rows(fitted, args.out.with_name("validation.json.gz"))
    print(f"{args.out}: fitted on {sum(map(len, fitted.values()))} segments ({', '.join(fitted)}); low-quality below {model.threshold:g}")
    sets = {**{f"{set_name} (fit)": found for set_name, found in fitted.items()}, **held_out}
    weight = dict(zip(model.features, model.weights))
    print(f"{'signal':20} {'weight':>8} {'×fluency':>9}  Pearson without it: {', '.join(sets)}")
    for signal in signals:
        without = fit([k for k in features if signal not in k.split("*")])
        drops = "  ".join(f"{measure(without, r)['pearson']:.3f}" for r in sets.values())
        interaction = weight.get(f"{signal}*fluency")
        print(f"{signal:20} {weight[signal]:8.2f} {'' if interaction is None else f'{interaction:9.2f}':>9}  {drops}")
    with_all = "  ".join(f"{measure(model, r)['pearson']:.3f}" for r in sets.values())
    print(f"{'(all signals)':39}  {with_all}")
    print(f"{'set':20} {'segments':>8} {'Pearson':>8} {'Spearman':>8} {'worst 10% flagged (95% CI)':>28} {'flagged':>8}")
    for set_name, set_rows in sets.items():
        m = measure(model, set_rows)
        low, high = m["worst_recall_95ci"]
        print(f"{set_name:20} {len(set_rows):8} {m['pearson']:8.3f} {m['spearman']:8.3f} {100 * m['worst_recall']:11.1f}% ({100 * low:4.1f}–{100 * high:5.1f}%) {100 * m['flagged_share']:7.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
