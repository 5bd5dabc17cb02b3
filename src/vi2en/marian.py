"""Build a Marian translation model and its tokenizer from scratch.

Shared by `scripts/train_compact.py` (the shipped compact model) and the test suite
(a tiny random model), so both exercise exactly the files that `translate.py` loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import sentencepiece as spm

# Glossary placeholders: kept whole by the tokenizer so a model trained with them copies them.
PLACEHOLDERS = [f"<t{i}>" for i in range(10)]

EOS, UNK, PAD = "</s>", "<unk>", "<pad>"


def train_sentencepiece(lines: Iterable[str], prefix: Path, vocab_size: int, *, seed_sentences: int = 2_000_000) -> Path:
    """Train one joint Vietnamese+English SentencePiece model; returns the .model path."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        input_sentence_size=seed_sentences,
        shuffle_input_sentence=True,
        # Marian numbering: </s>=0, <unk>=1; no bos; <pad> goes last in vocab.json (CTranslate2 expects it there).
        eos_id=0,
        unk_id=1,
        bos_id=-1,
        pad_id=-1,
        user_defined_symbols=PLACEHOLDERS,
        normalization_rule_name="identity",
        minloglevel=2,
        num_threads=2,
    )
    return prefix.with_suffix(".model")


def write_tokenizer_files(spm_model: Path, out_dir: Path, *, max_length: int = 256) -> dict[str, int]:
    """Write source.spm, target.spm, vocab.json and tokenizer_config.json for MarianTokenizer."""
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = spm.SentencePieceProcessor(model_file=str(spm_model))
    pieces = [proc.id_to_piece(i) for i in range(proc.get_piece_size())]
    vocab = {EOS: 0, UNK: 1}
    for piece in pieces:
        if piece not in vocab:
            vocab[piece] = len(vocab)
    vocab[PAD] = len(vocab)
    data = spm_model.read_bytes()
    (out_dir / "source.spm").write_bytes(data)
    (out_dir / "target.spm").write_bytes(data)
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=0), encoding="utf-8")
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "MarianTokenizer",
                "source_lang": "vi",
                "target_lang": "en",
                "model_max_length": max_length,
                "separate_vocabs": False,
                "eos_token": EOS,
                "unk_token": UNK,
                "pad_token": PAD,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return vocab


def new_marian_model(vocab_size: int, *, d_model: int = 256, layers: int = 3, decoder_layers: int | None = None, heads: int = 4, ffn: int = 1024, max_length: int = 256, seed: int = 0):
    """A randomly initialised MarianMTModel whose ids match `write_tokenizer_files`.

    `layers` is the encoder depth and, unless `decoder_layers` is given, the decoder's too
    (a deep encoder with a shallow decoder decodes faster at nearly the same quality)."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    torch.manual_seed(seed)
    pad = vocab_size - 1
    config = MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=decoder_layers or layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=max_length,
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        scale_embedding=True,
        static_position_embeddings=True,
        activation_function="swish",
        dropout=0.1,
    )
    model = MarianMTModel(config)
    model.generation_config.max_length = max_length
    model.generation_config.num_beams = 4
    model.generation_config.bad_words_ids = [[pad]]
    return model
