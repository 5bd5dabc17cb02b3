#!/usr/bin/env python3
"""Term accuracy of a model through the glossary, on the term test set.

    scripts/term_accuracy.py --model models/compact-vi-en tests/data/terms.tsv

Each sentence goes through the same pipeline as `vi2en translate` (masking, the retries of a
segment whose terms the model dropped, restoring), with the glossary entries valid on its date.
Reports the share of glossary terms present in the sources whose glossary rendering appears
in the final English (term accuracy), and the share rendered or flagged `term-missing`
(must be 100%), with every miss listed. Exit 1 when a term is neither rendered nor flagged.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vi2en.glossary import PROJECT_GLOSSARY, Glossary  # noqa: E402
from vi2en.models import choose_model  # noqa: E402
from vi2en.backends import open_translator  # noqa: E402
from vi2en.entities import Entities  # noqa: E402
from vi2en.evaluate import term_accuracy  # noqa: E402
from vi2en.terms import keeps_placeholders  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("terms", type=Path, help="term test set (TSV: date, vi, terms)")
    parser.add_argument("--model", help="model folder or name under models/ (default: the shipped compact model)")
    parser.add_argument("--glossary", type=Path, default=PROJECT_GLOSSARY)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--json", type=Path, help="also write the report with every miss as JSON")
    parser.add_argument("--misses", type=int, default=20, help="misses to print (default: 20)")
    parser.add_argument("--no-entities", action="store_true", help="the glossary alone, without the entity rules")
    args = parser.parse_args(argv)

    glossary = Glossary.load(args.glossary)
    translator = open_translator(choose_model(args.model)[0], beam_size=args.beam, max_length=args.max_length)
    started = time.perf_counter()
    report = term_accuracy(args.terms, translator, glossary, None if args.no_entities else Entities.load(args.glossary))
    forced = report.forced
    mode = "placeholders <tN>" if keeps_placeholders(translator.tokenizer) else "renderings inline"
    print(f"model {translator.name} ({mode}), glossary {glossary.version} ({len(glossary.entries)} entries), {report.sentences} sentences in {time.perf_counter() - started:.0f} s")
    print(f"expected renderings:   {report.expected_accuracy:.1%} ({report.expected_found} of {report.expected} the set expects are in the English exactly)")
    for miss in report.expected_misses[: args.misses]:
        print(f"  expected {miss['expected']!r}\n        output: {miss['output']}")
    print(f"terms in the sources:  {report.terms} (glossary terms and entities)")
    print(f"term accuracy:         {report.accuracy:.1%} ({report.rendered} rendered as the glossary gives them)")
    print(f"rendered or flagged:   {report.rendered_or_flagged:.1%} ({report.flagged} flagged term-missing)")
    print(f"forced into the output: {forced} (the model left them out; see backends/forcing.py)")
    for miss in report.misses[: args.misses]:
        print(f"  miss{'' if miss['flagged'] else ' (NOT FLAGGED)'}: {miss['term']} → {miss['en']}\n        output: {miss['output']}")
    if len(report.misses) > args.misses:
        print(f"  ... {len(report.misses) - args.misses} more misses (--json for all)")
    if args.json:
        args.json.write_text(json.dumps({**vars(report), "accuracy": report.accuracy, "rendered_or_flagged": report.rendered_or_flagged, "expected_accuracy": report.expected_accuracy}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if report.rendered_or_flagged == 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
