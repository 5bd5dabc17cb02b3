"""Build a Marian translation model and its tokenizer from scratch.

Shared by `vi2en.training` (the shipped compact model, `vi2en adapt`) and the test suite
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


# ---------------------------------------------------------------- back from CTranslate2

_CT2_TYPES = ["float32", "int8", "int16", "int32", "float16", "bfloat16"]  # CTranslate2's DataType order


def read_ct2_variables(model_bin: Path) -> dict:
    """The variables of a CTranslate2 `model.bin` (format version 6) as numpy arrays, aliases resolved."""
    import struct

    import numpy as np

    data = Path(model_bin).read_bytes()
    at = 0

    def take(fmt: str):
        nonlocal at
        values = struct.unpack_from("<" + fmt, data, at)
        at += struct.calcsize("<" + fmt)
        return values

    def string() -> str:
        nonlocal at
        (n,) = take("H")
        text = data[at : at + n - 1].decode("utf-8")
        at += n
        return text

    (version,) = take("I")
    if version != 6:
        raise ValueError(f"{model_bin}: CTranslate2 model format {version}; this reader knows version 6")
    string()  # the spec's name
    take("I")  # its revision
    (count,) = take("I")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take("I" * rank) if rank else ()
        (type_id,) = take("B")
        (size,) = take("I")
        dtype = _CT2_TYPES[type_id]
        array = np.frombuffer(data, dtype=np.uint16 if dtype == "bfloat16" else dtype, count=size // np.dtype(dtype if dtype != "bfloat16" else np.uint16).itemsize, offset=at)
        variables[name] = array.reshape(shape) if rank else array
        at += size
    (aliases,) = take("I")
    for _ in range(aliases):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def marian_from_ct2(model_dir: Path):
    """A float MarianMTModel from a folder that holds only its CTranslate2 int8 copy.

    The shipped compact model keeps only int8 weights (size); fine-tuning needs floats, so each
    int8 row is scaled back (w = w_int8 / scale): the result differs from the trained float
    weights by at most half a quantisation step per weight.
    """
    import numpy as np
    import torch
    from transformers import MarianConfig, MarianMTModel

    from vi2en.backends.families import CT2_FOLDER

    config = MarianConfig.from_pretrained(model_dir)
    v = read_ct2_variables(Path(model_dir) / CT2_FOLDER / "model.bin")

    def weight(prefix: str) -> np.ndarray:
        w = v[f"{prefix}/weight"]
        if w.dtype == np.int8:
            return w.astype(np.float32) / v[f"{prefix}/weight_scale"].astype(np.float32)[:, None]
        return w.astype(np.float32)

    state: dict[str, np.ndarray] = {}

    def linear(hf: str, ct2: str, rows: slice = slice(None)) -> None:
        state[f"{hf}.weight"] = weight(ct2)[rows]
        state[f"{hf}.bias"] = v[f"{ct2}/bias"].astype(np.float32)[rows]

    def norm(hf: str, ct2: str) -> None:
        state[f"{hf}.weight"], state[f"{hf}.bias"] = v[f"{ct2}/gamma"], v[f"{ct2}/beta"]

    def attention(hf: str, ct2: str, d: int, fused_kv_only: bool) -> None:
        """Self-attention fuses q, k, v in linear_0; cross-attention keeps q apart and fuses k, v."""
        if fused_kv_only:
            linear(f"{hf}.q_proj", f"{ct2}/linear_0")
            linear(f"{hf}.k_proj", f"{ct2}/linear_1", slice(0, d))
            linear(f"{hf}.v_proj", f"{ct2}/linear_1", slice(d, 2 * d))
            linear(f"{hf}.out_proj", f"{ct2}/linear_2")
        else:
            for k, part in enumerate(("q_proj", "k_proj", "v_proj")):
                linear(f"{hf}.{part}", f"{ct2}/linear_0", slice(k * d, (k + 1) * d))
            linear(f"{hf}.out_proj", f"{ct2}/linear_1")

    d = config.d_model
    embeddings = weight("decoder/embeddings")
    if embeddings.shape[0] < config.vocab_size:  # CTranslate2 drops the final <pad> row; Marian keeps it at zero
        embeddings = np.concatenate([embeddings, np.zeros((config.vocab_size - embeddings.shape[0], d), np.float32)])
    state["model.shared.weight"] = embeddings
    for side, layers in (("encoder", config.encoder_layers), ("decoder", config.decoder_layers)):
        for i in range(layers):
            hf, ct2 = f"model.{side}.layers.{i}", f"{side}/layer_{i}"
            attention(f"{hf}.self_attn", f"{ct2}/self_attention", d, fused_kv_only=False)
            norm(f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm")
            if side == "decoder":
                attention(f"{hf}.encoder_attn", f"{ct2}/attention", d, fused_kv_only=True)
                norm(f"{hf}.encoder_attn_layer_norm", f"{ct2}/attention/layer_norm")
            linear(f"{hf}.fc1", f"{ct2}/ffn/linear_0")
            linear(f"{hf}.fc2", f"{ct2}/ffn/linear_1")
            norm(f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm")
    model = MarianMTModel(config)
    tensors = {k: torch.from_numpy(np.array(a, dtype=np.float32)) for k, a in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    untouched = [k for k in missing if not k.endswith(("embed_positions.weight", "final_logits_bias", "embed_tokens.weight", "lm_head.weight"))]
    if untouched or unexpected:
        raise ValueError(f"{model_dir}: CTranslate2 weights do not fit the Marian config (missing {untouched[:3]}, unexpected {unexpected[:3]})")
    model.tie_weights()
    return model
