"""Parallel corpora: folders of line-aligned NAME.vi/NAME.en files, TSV files (vi<TAB>en, the
project's own news corpus in corpus/), or TMX files.

Read for training (scripts/train_compact.py) and for a model's vocabulary shortlist
(`vi2en models shortlist`). The test sets are refused by name wherever they are.
"""

from __future__ import annotations

from pathlib import Path

from vi2en.text import one_line

# Test sets no model may learn from; validation (flores200-dev) is fine.
FORBIDDEN = ("flores200-devtest", "iwslt15", "tatoeba-test")
# The project's own news corpus: its test split is frozen, never trained or tuned on.
NEWS_TEST = Path(__file__).resolve().parents[2] / "corpus" / "test.tsv"


class DataError(Exception):
    """A corpus that cannot be used; the message names the file and the problem."""


def check_allowed(path: Path) -> None:
    for name in FORBIDDEN:
        if name in str(path.resolve()) or name in str(path):
            raise DataError(f"{path}: refusing to train on a test set ({name})")
    if Path(path).resolve() == NEWS_TEST or (Path(path).is_dir() and NEWS_TEST.parent == Path(path).resolve()):
        raise DataError(f"{path}: refusing to train on the news corpus's test split (train on corpus/train)")


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
    # entities are never expanded (a billion-laughs file stays small) and nothing is fetched
    parser = etree.iterparse(str(path), tag="tu", resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        for _, tu in parser:
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
    except (etree.XMLSyntaxError, OSError) as e:
        raise DataError(f"{path}: not a readable TMX file ({one_line(str(e))})") from None
    if not saw_vi:
        raise DataError(f"{path}: TMX has no Vietnamese (vi) side")
    return pairs


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """One pair a line, `vi<TAB>en`: each line must have exactly two non-empty fields."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text (byte {e.start})") from None
    pairs = []
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
            raise DataError(f"{path}:{number}: a pair is two non-empty fields, vi<TAB>en; found {len(fields)} field(s)")
        pairs.append((fields[0], fields[1]))
    if not pairs:
        raise DataError(f"{path}: no pairs")
    return pairs


def read_corpus(path: Path) -> list[tuple[str, str]]:
    """All pairs in a folder of NAME.vi/NAME.en or NAME.tsv files, or in one .tmx or .tsv file."""
    check_allowed(path)
    if path.suffix.lower() == ".tmx":
        return read_tmx(path)
    if path.suffix.lower() == ".tsv":
        return read_tsv(path)
    if not path.is_dir():
        raise DataError(f"{path}: not a folder of NAME.vi/NAME.en or NAME.tsv files, nor a .tmx or .tsv file")
    pairs = []
    vi_files = sorted(path.glob("*.vi"))
    for vi_file in vi_files:
        en_file = vi_file.with_suffix(".en")
        if not en_file.exists():
            raise DataError(f"{vi_file}: no matching {en_file.name}")
        pairs += read_pair_files(vi_file, en_file)
    for tmx in sorted(path.glob("*.tmx")):
        pairs += read_tmx(tmx)
    for tsv in sorted(path.glob("*.tsv")):
        pairs += read_tsv(tsv)
    if not vi_files and not pairs:
        raise DataError(f"{path}: no NAME.vi/NAME.en, .tsv or .tmx files")
    return pairs
