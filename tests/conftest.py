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


def build_tiny_model(root: Path) -> Path:
    """A random Marian model of a few thousand weights in root/model (scripts/fuzz.py uses it too)."""
    from vi2en.marian import new_marian_model, train_sentencepiece, write_tokenizer_files

    vocab = write_tokenizer_files(train_sentencepiece(tiny_corpus(), root / "spm", 800), root / "model", max_length=64)
    model = new_marian_model(len(vocab), d_model=32, layers=1, heads=2, ffn=64, max_length=64)
    model.save_pretrained(root / "model")
    return root / "model"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


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


def _family_tokenizer(family: str, spm_model: Path, folder: Path):
    """A tokenizer of the family's own class, built from a tiny SentencePiece model with its language codes."""
    import json
    import shutil

    import sentencepiece as spm
    import transformers

    proc = spm.SentencePieceProcessor(model_file=str(spm_model))
    pieces = [(proc.id_to_piece(i), proc.get_score(i)) for i in range(proc.get_piece_size())]
    if family == "m2m100":  # a sentencepiece-backed tokenizer: reads the model file and a vocab.json
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(spm_model, folder / "sentencepiece.bpe.model")
        (folder / "vocab.json").write_text(json.dumps({p: i for i, (p, _) in enumerate(pieces)}), encoding="utf-8")
        return transformers.M2M100Tokenizer(folder / "vocab.json", folder / "sentencepiece.bpe.model", src_lang="vi", tgt_lang="en", model_max_length=64)
    if family == "nllb":  # BPE: merges are the pairs of pieces that make up a longer piece
        vocab = {p: i for i, (p, _) in enumerate(pieces)}
        merges = sorted(((p[:k], p[k:]) for p in vocab if not p.startswith("<") for k in range(1, len(p)) if p[:k] in vocab and p[k:] in vocab), key=lambda m: vocab[m[0] + m[1]])
        return transformers.NllbTokenizer(vocab=vocab, merges=merges, src_lang="vie_Latn", tgt_lang="eng_Latn", model_max_length=64)
    if family == "mbart":
        return transformers.MBart50Tokenizer(vocab=pieces, src_lang="vi_VN", tgt_lang="en_XX", model_max_length=64)
    return transformers.T5Tokenizer(vocab=pieces, extra_ids=0, additional_special_tokens=["<2en>"], model_max_length=64)


def _family_model(family: str, tokenizer):
    import torch
    import transformers

    torch.manual_seed(0)
    # M2M100's language codes sit after its vocabulary, then "madeup words" pad it out
    ids = max([len(tokenizer), *(i + 1 for i in getattr(tokenizer, "lang_token_to_id", {}).values())])
    size = {"vocab_size": ids + getattr(tokenizer, "num_madeup_words", 0), "pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    if family == "t5":
        config = transformers.T5Config(d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2, decoder_start_token_id=tokenizer.pad_token_id, **size)
        model = transformers.T5ForConditionalGeneration(config)
        model.generation_config.bad_words_ids = [[tokenizer.pad_token_id]]  # as trained T5 never emits its start token; random weights do
        return model
    layers = {"d_model": 16, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32, "max_position_embeddings": 64}
    if family == "mbart":
        return transformers.MBartForConditionalGeneration(transformers.MBartConfig(decoder_start_token_id=tokenizer.eos_token_id, **layers, **size))
    return transformers.M2M100ForConditionalGeneration(transformers.M2M100Config(decoder_start_token_id=tokenizer.eos_token_id, **layers, **size))


@pytest.fixture(scope="session")
def family_models(tmp_path_factory) -> dict[str, Path]:
    """A tiny random model of each non-Marian family, saved as the hub would ship it."""
    import sentencepiece as spm

    root = tmp_path_factory.mktemp("families")
    # fairseq numbering (<s> <pad> </s> <unk>), as the M2M100/NLLB/mBART vocabularies have it
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(tiny_corpus(150)), model_prefix=str(root / "spm"), vocab_size=300, model_type="unigram",
        character_coverage=1.0, bos_id=0, pad_id=1, eos_id=2, unk_id=3, minloglevel=2, num_threads=2,
    )
    folders = {}
    for family in ("m2m100", "nllb", "mbart", "t5"):
        folder = root / family
        tokenizer = _family_tokenizer(family, root / "spm.model", folder)
        tokenizer.save_pretrained(folder)
        _family_model(family, tokenizer).save_pretrained(folder)
        folders[family] = folder
    return folders
