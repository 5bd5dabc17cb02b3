"""The SentencePiece tokenizer of Marian folders (backends/families.py `MarianPieces`) against
transformers' own MarianTokenizer, on the shipped model: same ids, pieces and decoded text."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import transformers

from vi2en.backends.families import FAMILIES, MarianPieces, ModelFolder
from vi2en.marian import PLACEHOLDERS
from vi2en.pipeline import build_document

ROOT = Path(__file__).resolve().parents[1]
COMPACT = ROOT / "models" / "compact-vi-en"
MARIAN = FAMILIES[0]


def corpus_sentences(limit: int = 300) -> list[str]:
    rows = list(csv.reader((ROOT / "corpus" / "dev.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [text for row in rows[:limit] for text in row]  # Vietnamese and English sides


@pytest.fixture(scope="module")
def both():
    hf = transformers.MarianTokenizer.from_pretrained(COMPACT)
    return hf, ModelFolder(COMPACT).tokenizer


EDGES = [
    "", " ", "  hai  dấu cách  ", "Ban Bí thư <t0> và <t1>, <t9>.", "x <t0> y", "<t3>", "a </s> b", "a</s>b<unk> <pad>c",
    ">>vie<< Xin chào", "Sáng 17/1/2024, lúc 14:10:07 — “Tin, ảnh: Minh Châu” (TTXVN) 1.000 tỷ đồng; 98/CĐ-TTg…",
    "Ω ✓ 漢字 🙂 tab\tand\nnewline", "a▁b ▁ c▁", "NGHỆ AN: Thường trực Ban Bí thư",
]


def test_the_shipped_model_gets_sentencepiece_directly():
    assert MarianPieces.fits(COMPACT, MARIAN)
    assert isinstance(ModelFolder(COMPACT).tokenizer, MarianPieces)


def test_same_ids_pieces_and_text_as_transformers(both, seed_article):
    hf, sp = both
    article = [s.vi for s in build_document(seed_article).segments]
    texts = article + corpus_sentences() + EDGES
    assert len(texts) > 600
    for text in texts:
        ids = hf(text).input_ids
        assert sp(text).input_ids == ids, text
        assert sp(text, add_special_tokens=False).input_ids == hf(text, add_special_tokens=False).input_ids, text
        assert sp(text_target=text, add_special_tokens=False).input_ids == hf(text_target=text, add_special_tokens=False).input_ids, text
        assert sp.convert_ids_to_tokens(ids) == hf.convert_ids_to_tokens(ids), text
        for skip in (True, False):
            assert sp.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip), text
    assert sp.convert_tokens_to_ids(PLACEHOLDERS + ["</s>", "no such piece"]) == hf.convert_tokens_to_ids(PLACEHOLDERS + ["</s>", "no such piece"])
    assert (sp.eos_token, sp.eos_token_id, sp.unk_token_id, sp.pad_token_id, sp.model_max_length) == (hf.eos_token, hf.eos_token_id, hf.unk_token_id, hf.pad_token_id, hf.model_max_length)
    assert sorted(sp.all_special_ids) == sorted(hf.all_special_ids)


def test_folders_it_does_not_mirror_get_transformers(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("source.spm", "target.spm", "vocab.json", "config.json"):
        (folder / name).write_bytes((COMPACT / name).read_bytes())
    config = json.loads((COMPACT / "tokenizer_config.json").read_text(encoding="utf-8"))
    for change in ({"separate_vocabs": True}, {"clean_up_tokenization_spaces": True}, {"tokenizer_class": "OtherTokenizer"}):
        (folder / "tokenizer_config.json").write_text(json.dumps(config | change), encoding="utf-8")
        assert not MarianPieces.fits(folder, MARIAN), change
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    assert MarianPieces.fits(folder, MARIAN)
    (folder / "special_tokens_map.json").write_text('{"additional_special_tokens": ["<eop>"]}', encoding="utf-8")
    assert not MarianPieces.fits(folder, MARIAN)


def test_translating_with_ctranslate2_never_imports_transformers():
    code = (
        "import sys\n"
        "from vi2en.backends import open_translator\n"
        f"hyp = open_translator({str(COMPACT)!r}).translate(['Xin chào các bạn.'])[0]\n"
        "assert hyp.text and hyp.mean_logprob is not None\n"
        "print(sorted(m for m in ('transformers', 'torch', 'sacremoses') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
