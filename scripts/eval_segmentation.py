#!/usr/bin/env python3
"""Score the sentence splitter on line-per-sentence test files.

Consecutive lines are joined into paragraphs of five; the splitter should find the line
boundaries again. A boundary after a line that ends without sentence punctuation (TED
transcripts drop many final periods) is reported apart: no splitter that reads punctuation
can see it, so it is shown but not counted in the headline recall.

Splits inside a gold line are listed: some are right (a line holding two sentences). Those
reviewed as right are kept in tests/data/segmentation-justified-splits.tsv (by place) and counted apart.

example:
  python scripts/eval_segmentation.py \\
      ../shared/data/eval/flores200-devtest/flores200-devtest.vi \\
      ../shared/data/eval/iwslt15-tst2013/iwslt15-tst2013.vi --show-extra
"""

from __future__ import annotations

import argparse
import bisect
import re
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # this checkout's splitter, not an installed one

from vi2en.segment import ends_with_sentence_punctuation, split_sentences  # noqa: E402

JUSTIFIED = REPO / "tests" / "data" / "segmentation-justified-splits.tsv"
PARAGRAPH_LINES = 5
BAR_RECALL, BAR_PRECISION = 0.995, 0.90


def load_justified(path: Path = JUSTIFIED) -> set[tuple[str, int, int]]:
    """(test set, line number, offset in the line) of splits reviewed as right.

    The file names places, not text: the test sets' licences keep their sentences out of
    this repository; `--show-extra` prints the sentences for review.
    """
    places = set()
    if path.is_file():
        for row in path.read_text(encoding="utf-8").splitlines():
            if row.strip() and not row.startswith("#"):
                name, line, offset = row.split("\t")[:3]
                places.add((name, int(line), int(offset)))
    return places


def naive_split(text: str) -> list[str]:
    """The baseline: cut after . ! ? … wherever a capital follows."""
    return re.split(r"(?<=[.!?…])\s+(?=[\"“(]?[A-ZÀ-ỸĐ])", text)


def evaluate(name: str, lines: list[str], justified: set[tuple[str, int, int]], split: Callable[[str], list[str]] = split_sentences) -> dict:
    gold_marked = gold_unmarked = found_marked = found_unmarked = predicted = correct = 0
    extra: list[tuple[int, int, str, str, bool]] = []  # line number, offset in it, left, right, reviewed right
    missed: list[tuple[str, str]] = []
    started = time.perf_counter()
    for first in range(0, len(lines), PARAGRAPH_LINES):
        group = [" ".join(line.split()) for line in lines[first : first + PARAGRAPH_LINES]]
        starts, offset = [], 0
        for line in group:
            starts.append(offset)
            offset += len(line) + 1
        text = " ".join(group)
        gold = dict(zip(starts[1:], range(len(group))))
        cuts, offset = set(), 0
        for sentence in split(text)[:-1]:
            offset += len(sentence) + 1
            cuts.add(offset)
        predicted += len(cuts)
        correct += len(cuts & gold.keys())
        for cut, i in gold.items():
            marked = ends_with_sentence_punctuation(group[i])
            gold_marked += marked
            gold_unmarked += not marked
            found_marked += marked and cut in cuts
            found_unmarked += not marked and cut in cuts
            if marked and cut not in cuts:
                missed.append((group[i], group[i + 1]))
        bounds = sorted(cuts | {0, len(text) + 1})
        for a, b, c in zip(bounds, bounds[1:], bounds[2:]):
            if b not in gold:
                i = bisect.bisect_right(starts, b) - 1
                place = (first + i + 1, b - starts[i])
                extra.append((*place, text[a : b - 1], text[b : c - 1], (name, *place) in justified))
    seconds = time.perf_counter() - started
    right_extra = sum(1 for *_, ok in extra if ok)
    return {
        "gold": gold_marked, "found": found_marked, "unmarked": gold_unmarked, "found_unmarked": found_unmarked,
        "predicted": predicted, "correct": correct, "justified": right_extra, "extra": extra, "missed": missed,
        "recall": found_marked / gold_marked if gold_marked else 1.0,
        "recall_all": (found_marked + found_unmarked) / (gold_marked + gold_unmarked) if gold_marked + gold_unmarked else 1.0,
        "precision": correct / predicted if predicted else 1.0,
        "precision_justified": (correct + right_extra) / predicted if predicted else 1.0,
        "seconds": seconds, "lines": len(lines), "chars": sum(len(line) + 1 for line in lines),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n")[-1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", metavar="FILE.vi", help="one sentence per line")
    parser.add_argument("--show-extra", action="store_true", help="list splits inside a gold line that are not reviewed as right")
    parser.add_argument("--show-missed", action="store_true", help="list boundaries after punctuated lines that the splitter did not find")
    parser.add_argument("--justified", type=Path, default=JUSTIFIED, help="reviewed in-line splits (TSV: test set, line, offset, why)")
    args = parser.parse_args(argv)
    justified = load_justified(args.justified)
    for name in args.files:
        try:
            lines = [line for line in Path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as e:
            print(f"{name}: cannot read ({e})", file=sys.stderr)
            return 1
        r = evaluate(Path(name).stem, lines, justified)
        precision = r["precision_justified"]
        f1 = 2 * precision * r["recall"] / (precision + r["recall"]) if precision + r["recall"] else 0.0
        reviewed = any(place[0] == Path(name).stem for place in justified)
        meets = "met" if r["recall"] >= BAR_RECALL and precision >= BAR_PRECISION else "NOT met"
        if not reviewed:
            meets += " (this file's in-line splits are not reviewed: precision counts them all wrong)"
        print(f"{name}: {r['lines']} lines, {r['gold']} boundaries after a punctuated line")
        print(f"  recall {r['recall']:.4f} ({r['found']}/{r['gold']})  precision {precision:.4f} "
              f"({r['correct'] + r['justified']}/{r['predicted']})  F1 {f1:.4f}  "
              f"bar (recall ≥ {BAR_RECALL}, precision ≥ {BAR_PRECISION}): {meets}")
        print(f"  splits inside a line: {len(r['extra'])}, reviewed as right: {r['justified']}, not: {len(r['extra']) - r['justified']}"
              f"  (precision against line ends alone {r['precision']:.4f})")
        print(f"  boundaries after a line with no final punctuation: {r['unmarked']} (found {r['found_unmarked']});"
              f" recall over all boundaries {r['recall_all']:.4f}")
        base = evaluate(Path(name).stem, lines, justified, naive_split)
        print(f"  time {r['seconds']:.3f} s for {r['chars'] / 1e3:.0f} k characters ({r['chars'] / max(r['seconds'], 1e-9) / 1e6:.1f} M chars/s);"
              f" {r['seconds'] / max(base['seconds'], 1e-9):.1f}× the naive regex's time")
        print(f"  naive regex baseline: recall {base['recall']:.4f}, precision against line ends alone {base['precision']:.4f}")
        if args.show_extra:
            for line, offset, left, right, ok in r["extra"]:
                if not ok:
                    print(f"  EXTRA\t{Path(name).stem}\t{line}\t{offset}\t{left}\t{right}")
        if args.show_missed:
            for left, right in r["missed"]:
                print(f"  MISSED\t…{left[-60:]}\t{right[:40]}…")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
