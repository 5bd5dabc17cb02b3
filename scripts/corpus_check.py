"""Check the project's news corpus like code, print its statistics, and (once) freeze its splits.

    python scripts/corpus_check.py corpus/              # problems and statistics; exit 1 on an error
    python scripts/corpus_check.py corpus/ --freeze     # once, before any training: dev and test splits

Errors: a malformed line, a source written twice, near-duplicates (normalised sources more
than 80% alike, by rapidfuzz's ratio), Vietnamese letters in the English (house style writes
names without diacritics), American spellings, a dev or test pair also in train.
Warnings, for an editor to read: a number of the source missing from the English, an
English/Vietnamese length ratio outside the quality score's range.

--drop-duplicates removes from train/ the later pair of every near-duplicate (and exact repeat).

--freeze moves about 9% of the pairs to corpus/dev.tsv and 9% to corpus/test.tsv, chosen by a
hash of the normalised source (so the choice does not depend on file order), and refuses to
run when the splits exist: they are frozen, and nothing is ever tuned on the test split.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vi2en.corpus import DataError, read_tsv  # noqa: E402
from vi2en.score import LENGTH_RATIO_RANGE, missing_numbers  # noqa: E402
from vi2en.text import has_vietnamese_letters, nfc  # noqa: E402

ENGLISH_ACCENTED = {"attaché", "attachés", "café", "cafés", "communiqué", "communiqués", "protégé", "protégés"}  # English words, not names left unconverted
NEAR_DUPLICATE = 80  # rapidfuzz ratio of normalised sources above which two pairs are one
SPLIT_SHARE = 9  # percent of pairs in each of dev and test
AMERICAN = re.compile(r"\b(Organi[z]\w*|organi[z]\w*|[Mm]obiliz\w*|Defense|[Ll]abor\b|[Cc]enter\b|[Ff]avor\w*|[Hh]onor\w*|[Cc]olor\w*|[Nn]eighbor\w*)")


@dataclass
class Pair:
    vi: str
    en: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def normalise(text: str) -> str:
    """What two sentences share when only names, numbers, case or punctuation differ."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"\d+", "0", text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def read_folder(folder: Path) -> dict[str, list[Pair]]:
    """train/*.tsv, dev.tsv and test.tsv of the corpus folder, by split."""
    splits: dict[str, list[Pair]] = {"train": [], "dev": [], "test": []}
    files = [("train", p) for p in sorted((folder / "train").glob("*.tsv"))] + [(s, folder / f"{s}.tsv") for s in ("dev", "test")]
    for split, path in files:
        if path.is_file():
            splits[split] += [Pair(vi, en, f"{path.relative_to(folder)}", n) for n, (vi, en) in enumerate(read_tsv(path), start=1)]
    return splits


def line_problems(pair: Pair) -> list[str]:
    problems = []
    for side, text in (("vi", pair.vi), ("en", pair.en)):
        if text != text.strip() or "  " in text:
            problems.append(f"{pair.where}: {side}: stray spaces")
        if text != nfc(text):
            problems.append(f"{pair.where}: {side}: not NFC")
    if any(has_vietnamese_letters(w) and w.casefold() not in ENGLISH_ACCENTED for w in re.findall(r"\w+", pair.en)):
        problems.append(f"{pair.where}: en: Vietnamese letters (house style: names without diacritics): {pair.en[:60]}")
    m = AMERICAN.search(pair.en)
    if m:
        problems.append(f"{pair.where}: en: American spelling {m.group(0)!r} (house style: British)")
    return problems


def warnings(pair: Pair) -> list[str]:
    found = []
    missing = missing_numbers(pair.vi, pair.en)
    if missing:
        found.append(f"{pair.where}: numbers of the source not in the English: {', '.join(missing)}")
    ratio = len(pair.en) / max(1, len(pair.vi))
    if len(pair.vi) >= 20 and not LENGTH_RATIO_RANGE[0] <= ratio <= LENGTH_RATIO_RANGE[1]:
        found.append(f"{pair.where}: English/Vietnamese length ratio {ratio:.2f}")
    return found


def near_duplicates(pairs: list[Pair], cutoff: int = NEAR_DUPLICATE) -> list[tuple[Pair, Pair, float]]:
    """Pairs whose normalised sources are more than `cutoff`% alike (and exact repeats)."""
    import numpy as np
    from rapidfuzz import fuzz, process

    keys = [normalise(p.vi) for p in pairs]
    scores = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=cutoff + 0.001, dtype=np.uint8, workers=1)
    i, j = np.nonzero(np.triu(scores, k=1))
    return [(pairs[a], pairs[b], float(scores[a, b])) for a, b in zip(i.tolist(), j.tolist())]


def problems(splits: dict[str, list[Pair]]) -> list[str]:
    everything = [p for pairs in splits.values() for p in pairs]
    found = [msg for p in everything for msg in line_problems(p)]
    found += [f"{a.where} ~ {b.where}: sources {score:.0f}% alike" for a, b, score in near_duplicates(everything)]
    train = {normalise(p.vi) for p in splits["train"]}
    for split in ("dev", "test"):
        found += [f"{p.where}: also in train" for p in splits[split] if normalise(p.vi) in train]
    return found


def statistics(splits: dict[str, list[Pair]]) -> dict:
    everything = [p for pairs in splits.values() for p in pairs]
    vi_words = [len(p.vi.split()) for p in everything]
    lengths = Counter("4-10" if n <= 10 else "11-20" if n <= 20 else "21-35" if n <= 35 else "36-50" if n <= 50 else "51+" for n in vi_words)
    return {
        "pairs": len(everything),
        "splits": {s: len(p) for s, p in splits.items()},
        "distinct_words": {"vi": len({w.casefold() for p in everything for w in re.findall(r"\w+", p.vi)}),
                           "en": len({w.casefold() for p in everything for w in re.findall(r"\w+", p.en)})},
        "words_per_pair": {"vi": round(sum(vi_words) / max(1, len(everything)), 1), "en": round(sum(len(p.en.split()) for p in everything) / max(1, len(everything)), 1),
                           "vi_min": min(vi_words, default=0), "vi_max": max(vi_words, default=0)},
        "lengths_vi_words": dict(sorted(lengths.items(), key=lambda kv: int(kv[0].split("-")[0].rstrip("+")))),
        "topics": dict(Counter(Path(p.file).stem for p in splits["train"]).most_common()),
    }


def drop_duplicates(folder: Path) -> int:
    """Remove from train/ the later pair of every near-duplicate; returns how many went."""
    splits = read_folder(folder)
    drop = {(b.file, b.line) for a, b, _ in near_duplicates([p for pairs in splits.values() for p in pairs]) if b.file.startswith("train/")}
    for path in sorted((folder / "train").glob("*.tsv")):
        name = str(path.relative_to(folder))
        kept = [f"{vi}\t{en}\n" for n, (vi, en) in enumerate(read_tsv(path), start=1) if (name, n) not in drop]
        path.write_text("".join(kept), encoding="utf-8")
    return len(drop)


def bucket(pair: Pair) -> int:
    return int(hashlib.sha256(normalise(pair.vi).encode()).hexdigest(), 16) % 100


def freeze(folder: Path) -> dict[str, int]:
    """Move the dev and test pairs out of train/ into dev.tsv and test.tsv, once."""
    if (folder / "dev.tsv").exists() or (folder / "test.tsv").exists():
        raise DataError(f"{folder}: the dev and test splits are frozen already; they are never drawn again")
    chosen: dict[str, list[str]] = {"dev": [], "test": []}
    for path in sorted((folder / "train").glob("*.tsv")):
        keep = []
        for vi, en in read_tsv(path):
            b = bucket(Pair(vi, en, "", 0))
            split = "dev" if b < SPLIT_SHARE else "test" if b < 2 * SPLIT_SHARE else "train"
            (keep if split == "train" else chosen[split]).append(f"{vi}\t{en}\n")
        path.write_text("".join(keep), encoding="utf-8")
    for split, lines in chosen.items():
        (folder / f"{split}.tsv").write_text("".join(lines), encoding="utf-8")
    return {s: len(v) for s, v in chosen.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--drop-duplicates", action="store_true", help="remove the later pair of each near-duplicate from train/")
    parser.add_argument("--freeze", action="store_true", help="draw the dev and test splits (once)")
    parser.add_argument("--warnings", type=int, default=10, help="warnings to print (default 10)")
    args = parser.parse_args(argv)
    try:
        if args.drop_duplicates:
            print(f"dropped {drop_duplicates(args.folder)} near-duplicates")
        if args.freeze:
            print(f"frozen: {freeze(args.folder)}")
        splits = read_folder(args.folder)
    except DataError as e:
        print(f"corpus_check: {e}", file=sys.stderr)
        return 2
    import json

    print(json.dumps(statistics(splits), ensure_ascii=False, indent=1))
    found = problems(splits)
    warned = [w for pairs in splits.values() for p in pairs for w in warnings(p)]
    for w in warned[: args.warnings]:
        print(f"warning: {w}")
    print(f"{len(warned)} warnings")
    for p in found:
        print(f"error: {p}")
    print(f"{len(found)} errors")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
