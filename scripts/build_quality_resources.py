"""Build the quality score's resources from training data (never from a test set).

    python scripts/build_quality_resources.py corpus/train ../shared/data/train/* \
        --model models/compact-vi-en

writes the project's English language model (src/vi2en/data/english-lm.tsv.gz, from the English
side) and the model's source vocabulary (MODEL/quality/source-words.txt: words and pairs of
words in a row, from the Vietnamese side). Give the same data the model was trained on:
novelty means "not seen in training".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vi2en.corpus import DataError, read_corpus
from vi2en.quality import ENGLISH_LM, QUALITY_FOLDER, RARE_BELOW, EnglishLM, SourceWords


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="+", type=Path, help="training folders or .tsv/.tmx files")
    p.add_argument("--model", type=Path, help="model folder whose quality/source-words.txt to write")
    p.add_argument("--lm", type=Path, default=ENGLISH_LM, help=f"where to write the English LM (default {ENGLISH_LM})")
    args = p.parse_args(argv)
    pairs = []
    try:
        for path in args.data:
            pairs += read_corpus(path)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    lm = EnglishLM.build(en for _, en in pairs)
    lm.save(args.lm)
    print(f"{args.lm}: {len(lm.unigrams)} words, {len(lm.bigrams)} bigrams from {len(pairs)} sentences")
    if args.model:
        vocabulary = SourceWords.build(vi for vi, _ in pairs)
        out = args.model / QUALITY_FOLDER / "source-words.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        vocabulary.save(out)
        print(f"{out}: {len(vocabulary.known)} Vietnamese words and {len(vocabulary.known_pairs)} pairs of words in a row seen at least {RARE_BELOW} times")
    return 0


if __name__ == "__main__":
    sys.exit(main())
