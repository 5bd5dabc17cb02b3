"""The news corpus is checked like code: well-formed, no near-duplicates, house style, frozen
splits that share nothing with training or with the public test sets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import SHARED

EVAL = SHARED / "data" / "eval"

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("corpus_check", ROOT / "scripts" / "corpus_check.py")
corpus_check = importlib.util.module_from_spec(spec)
sys.modules["corpus_check"] = corpus_check  # its dataclasses look their module up while it loads
spec.loader.exec_module(corpus_check)


@pytest.fixture(scope="module")
def splits():
    return corpus_check.read_folder(ROOT / "corpus")


def test_the_corpus_has_no_errors(splits):
    assert corpus_check.problems(splits) == []


def test_size_and_frozen_splits(splits):
    stats = corpus_check.statistics(splits)
    assert stats["pairs"] >= 6000 and stats["splits"]["dev"] >= 500 and stats["splits"]["test"] >= 500
    assert len(stats["topics"]) >= 7 and stats["words_per_pair"]["vi_max"] <= 70
    with pytest.raises(corpus_check.DataError, match="frozen already"):
        corpus_check.freeze(ROOT / "corpus")


def test_no_sentence_of_the_public_test_sets_is_in_it(splits):
    public = set()
    for folder in EVAL.iterdir():
        for vi_file in folder.glob("*.vi"):
            public |= {corpus_check.normalise(line) for line in vi_file.read_text(encoding="utf-8").splitlines() if len(line.split()) >= 4}
    assert not [p.where for pairs in splits.values() for p in pairs if corpus_check.normalise(p.vi) in public]


def test_the_checker_finds_what_it_is_for(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "a.tsv").write_text(
        "Tỉnh Nghệ An có 21 huyện.\tNghe An province has 21 districts.\n"
        "Tỉnh Hà Tĩnh có 13 huyện.\tHa Tinh province has 13 districts.\n"  # the same sentence with other names and numbers
        "Đồng chí Lê Văn A phát biểu.\tLê Văn A spoke.\n"
        "Hội nghị tổng kết.\tThe summing-up conference of the Organization.\n", encoding="utf-8")
    found = corpus_check.problems(corpus_check.read_folder(tmp_path))
    assert any("a.tsv:1 ~ train/a.tsv:2" in p and "alike" in p for p in found)
    assert any("a.tsv:3: en: Vietnamese letters" in p for p in found)
    assert any("a.tsv:4: en: American spelling 'Organization'" in p for p in found)
    assert corpus_check.drop_duplicates(tmp_path) == 1
    assert corpus_check.freeze(tmp_path) == {"dev": sum(1 for _ in (tmp_path / "dev.tsv").open()), "test": sum(1 for _ in (tmp_path / "test.tsv").open())}
    (tmp_path / "train" / "b.tsv").write_text("only one field\n", encoding="utf-8")
    with pytest.raises(corpus_check.DataError, match=r"b\.tsv:1: a pair is two non-empty fields"):
        corpus_check.read_folder(tmp_path)
