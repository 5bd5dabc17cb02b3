"""Shared fixtures: a tiny random Marian model built from the project's own builder (no download)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_ARTICLE = SHARED / "articles" / "nghean-2024-01-17-secretariat-briefing.txt"
TRAIN = SHARED / "data" / "train"


def tiny_corpus(lines_per_side: int = 300) -> list[str]:
    lines = []
    for name in ("anki-tatoeba", "dict-fvdp-vietanh-examples"):
        for ext in ("vi", "en"):
            lines += (TRAIN / name / f"{name}.{ext}").read_text(encoding="utf-8").splitlines()[:lines_per_side]
    lines += SEED_ARTICLE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from vi2en.marian import new_marian_model, train_sentencepiece, write_tokenizer_files

    root = tmp_path_factory.mktemp("tiny-model")
    vocab = write_tokenizer_files(train_sentencepiece(tiny_corpus(), root / "spm", 800), root / "model", max_length=64)
    model = new_marian_model(len(vocab), d_model=32, layers=1, heads=2, ffn=64, max_length=64)
    model.save_pretrained(root / "model")
    return root / "model"


@pytest.fixture(scope="session")
def seed_article() -> Path:
    return SEED_ARTICLE


@pytest.fixture(scope="session")
def test_glossary(tmp_path_factory) -> Path:
    """Two real entries (from ../shared/reference/official-titles.md), so pages have terms to highlight."""
    folder = tmp_path_factory.mktemp("glossary")
    (folder / "titles.tsv").write_text("vi\ten\tkind\nBan Bí thư\tSecretariat\tbody\nTỉnh ủy\tProvincial Party Committee\tbody\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def translated_seed(tiny_model, seed_article, test_glossary, tmp_path_factory) -> Path:
    """The seed article's aligned JSON from the tiny model; copy it before changing anything beside it."""
    from vi2en.cli import main

    out = tmp_path_factory.mktemp("seed-out")
    args = ["--model", str(tiny_model), "--glossary", str(test_glossary), "--max-length", "8", "--quiet"]
    assert main(["translate", str(seed_article), "--out", str(out), *args]) == 0
    return out / f"{seed_article.stem}.json"


@pytest.fixture
def seed_out(translated_seed, tmp_path) -> Path:
    """An output folder of this test's own, holding a copy of the translated seed article."""
    import shutil

    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(translated_seed, folder)
    return folder
