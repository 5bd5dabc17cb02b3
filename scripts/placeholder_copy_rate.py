#!/usr/bin/env python3
"""How often a model copies glossary placeholders (<t0>..<t9>) from source to translation.

Example:
    PYTHONPATH=src python scripts/placeholder_copy_rate.py models/compact-vi-en
    PYTHONPATH=src python scripts/placeholder_copy_rate.py models/compact-vi-en --show-failures --min-rate 0.99
    PYTHONPATH=src python scripts/placeholder_copy_rate.py models/compact-vi-en --force

A placeholder counts as copied when the translation holds it at least as often as the source.
Without --force this is the model's own rate; with it, the rate of the pipeline, which forces a
dropped placeholder into the output (backends/forcing.py).
Prints the rate per placeholder and per sentence; exits 1 when below --min-rate.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PLACEHOLDER = re.compile(r"<t\d>")
DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "placeholders.tsv"


def read_sentences(path: Path) -> list[str]:
    """First column of each non-comment line (a second column, if any, is a reference)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[0] for line in lines if line.strip() and not line.startswith("#")]


def translate(model_dir: Path, sentences: list[str], force: bool = False) -> list[str]:
    """Through the project's own backend, so a CTranslate2-only folder (the shipped model) works too."""
    from vi2en.backends import open_translator

    translator = open_translator(model_dir)
    if force:
        return [h.text for h in translator.force(sentences, [PLACEHOLDER.findall(s) for s in sentences])]
    return [h.text for h in translator.translate(sentences)]


def copy_rate(sources: list[str], translations: list[str]) -> dict:
    total = copied = whole_sentences = 0
    failures = []
    for src, hyp in zip(sources, translations):
        wanted, got = Counter(PLACEHOLDER.findall(src)), Counter(PLACEHOLDER.findall(hyp))
        ok = sum(min(n, got[tag]) for tag, n in wanted.items())
        total += sum(wanted.values())
        copied += ok
        if ok == sum(wanted.values()):
            whole_sentences += 1
        else:
            failures.append({"source": src, "translation": hyp})
    return {
        "placeholders": total,
        "copied": copied,
        "placeholder_rate": round(copied / total, 4) if total else None,
        "sentences": len(sources),
        "sentence_rate": round(whole_sentences / len(sources), 4) if sources else None,
        "failures": failures,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--test-set", type=Path, default=DEFAULT_SET, help="one Vietnamese sentence per line (TSV, first column)")
    parser.add_argument("--min-rate", type=float, default=0.0, help="exit 1 when the placeholder rate is below this")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--force", action="store_true", help="force dropped placeholders in, as the pipeline does")
    args = parser.parse_args(argv)

    sources = read_sentences(args.test_set)
    result = copy_rate(sources, translate(args.model_dir, sources, args.force))
    failures = result.pop("failures")
    print(json.dumps(result, indent=1))
    if args.show_failures:
        for f in failures:
            print(f"{f['source']}\n  -> {f['translation']}")
    return 0 if (result["placeholder_rate"] or 0) >= args.min_rate else 1


if __name__ == "__main__":
    sys.exit(main())
