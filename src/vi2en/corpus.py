"""Parallel corpora: folders of line-aligned NAME.vi/NAME.en files, or TMX files.

Read for training (scripts/train_compact.py) and for a model's vocabulary shortlist
(`vi2en models shortlist`). The test sets are refused by name wherever they are.
"""

from __future__ import annotations

from pathlib import Path

# Test sets no model may learn from; validation (flores200-dev) is fine.
FORBIDDEN = ("flores200-devtest", "iwslt15", "tatoeba-test")


class DataError(Exception):
    """A corpus that cannot be used; the message names the file and the problem."""


def check_allowed(path: Path) -> None:
    for name in FORBIDDEN:
        if name in str(path.resolve()) or name in str(path):
            raise DataError(f"{path}: refusing to train on a test set ({name})")


def read_pair_files(vi_file: Path, en_file: Path) -> list[tuple[str, str]]:
    vi = vi_file.read_text(encoding="utf-8").split("\n")
    en = en_file.read_text(encoding="utf-8").split("\n")
    # A final newline leaves one empty element on both sides; strip it before comparing.
    if vi and vi[-1] == "":
        vi.pop()
    if en and en[-1] == "":
        en.pop()
    if len(vi) != len(en):
        raise DataError(f"{vi_file}: {len(vi)} lines but {en_file.name} has {len(en)}")
    return list(zip(vi, en))


def read_tmx(path: Path) -> list[tuple[str, str]]:
    from lxml import etree

    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    pairs, saw_vi = [], False
    for _, tu in etree.iterparse(str(path), tag="tu"):
        sides = {}
        for tuv in tu.iter("tuv"):
            lang = (tuv.get(xml_lang) or tuv.get("lang") or "").lower()
            seg = tuv.find("seg")
            if seg is not None:
                sides[lang[:2]] = "".join(seg.itertext())
        saw_vi |= "vi" in sides
        if "vi" in sides and "en" in sides:
            pairs.append((sides["vi"], sides["en"]))
        tu.clear()
    if not saw_vi:
        raise DataError(f"{path}: TMX has no Vietnamese (vi) side")
    return pairs


def read_corpus(path: Path) -> list[tuple[str, str]]:
    """All pairs in a folder of NAME.vi/NAME.en files, or in one .tmx file."""
    check_allowed(path)
    if path.suffix.lower() == ".tmx":
        return read_tmx(path)
    if not path.is_dir():
        raise DataError(f"{path}: not a folder of NAME.vi/NAME.en files nor a .tmx file")
    pairs = []
    vi_files = sorted(path.glob("*.vi"))
    for vi_file in vi_files:
        en_file = vi_file.with_suffix(".en")
        if not en_file.exists():
            raise DataError(f"{vi_file}: no matching {en_file.name}")
        pairs += read_pair_files(vi_file, en_file)
    for tmx in sorted(path.glob("*.tmx")):
        pairs += read_tmx(tmx)
    if not vi_files and not pairs:
        raise DataError(f"{path}: no NAME.vi/NAME.en files or .tmx files")
    return pairs
