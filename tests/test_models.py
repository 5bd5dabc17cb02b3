"""The registry and `vi2en models`: list, pull (no network here: the failure is real; success uses a hub double), convert, info, model choice."""

from __future__ import annotations

import json
import shutil

import pytest

from vi2en import models
from vi2en.cli import main
from vi2en.backends import FAMILIES, ModelError


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("VI2EN_MODELS_DIR", str(folder))
    monkeypatch.delenv("VI2EN_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return folder


def test_registry_lists_the_supported_models():
    registry = models.load_registry()
    names = [e.name for e in registry]
    assert names == ["opus-mt-vi-en", "nllb-200-distilled-600M", "m2m100_418M", "vinai-translate-vi2en-v2", "madlad400-3b-mt", "compact-vi-en",
                     "Hy-MT2-7B", "Hy-MT2-1.8B", "Qwen3-8B", "Seed-X-PPO-7B", "Hunyuan-MT-7B"]
    assert {e.family for e in registry if not e.backend} <= {f.name for f in FAMILIES}
    nllb = models.find_entry("nllb-200-distilled-600M", registry)
    assert not nllb.commercial and "CC-BY-NC-4.0" in nllb.notice and nllb.architecture == "M2M100ForConditionalGeneration"
    with pytest.raises(ModelError, match="nllb: not in the model registry"):
        models.find_entry("nllb", registry)


def test_list_shows_licence_size_and_installed(models_dir, tiny_model, capsys):
    shutil.copytree(tiny_model, models_dir / "compact-vi-en")
    assert main(["models", "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert len(rows) == 11
    assert "CC-BY-NC-4.0 (NC)" in rows["nllb-200-distilled-600M"] and "2.5 GB" in rows["nllb-200-distilled-600M"]
    assert " yes " in rows["compact-vi-en"] and " no " in rows["opus-mt-vi-en"]


def test_pull_without_network_fails_in_one_line_and_installs_nothing(models_dir, capsys, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert main(["models", "pull", "opus-mt-vi-en"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("vi2en: opus-mt-vi-en: cannot download Helsinki-NLP/opus-mt-vi-en from the Hugging Face hub")
    assert "run the same command again to resume" in err[-1]
    assert not models.is_installed(models_dir / "opus-mt-vi-en")


def test_pull_records_a_non_commercial_licence_in_every_output(models_dir, family_models, seed_article, tmp_path, capsys, monkeypatch):
    import huggingface_hub

    requests = []

    def hub(repo_id, *, local_dir, **options):  # the hub, serving a tiny model of the same family
        requests.append(repo_id)
        shutil.copytree(family_models["nllb"], local_dir, dirs_exist_ok=True)
        return str(local_dir)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", hub)
    assert main(["models", "pull", "nllb-200-distilled-600M"]) == 0
    captured = capsys.readouterr()
    assert requests == ["facebook/nllb-200-distilled-600M"]
    assert captured.err.index("CC-BY-NC-4.0") < captured.err.index("downloading")  # shown before the download
    record = json.loads((models_dir / "nllb-200-distilled-600M" / "vi2en.json").read_text(encoding="utf-8"))
    assert record["licence"] == "CC-BY-NC-4.0" and record["commercial_use"] is False and "may not be used commercially" in record["notice"]

    out = tmp_path / "out"
    assert main(["translate", str(seed_article), "--out", str(out), "--model", "nllb-200-distilled-600M", "--max-length", "4", "--beam", "1"]) == 0
    err = capsys.readouterr().err
    assert "may not be used commercially" in err
    assert "checking terms: 100%" in err  # progress says what the wait after the last sentence is
    model = json.loads((out / f"{seed_article.stem}.json").read_text(encoding="utf-8"))["model"]
    assert model["name"] == "nllb-200-distilled-600M" and model["family"] == "nllb" and model["selected_by"] == "--model"
    assert model["licence"] == "CC-BY-NC-4.0" and model["notice"] == record["notice"]


def test_convert_then_info_then_translate_uses_ctranslate2(models_dir, tiny_model, seed_article, tmp_path, capsys):
    folder = models_dir / "compact-vi-en"
    shutil.copytree(tiny_model, folder)
    assert main(["models", "convert", "compact-vi-en"]) == 0
    assert (folder / "ct2-int8" / "model.bin").is_file()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no leftover work folder
    assert main(["models", "convert", "compact-vi-en"]) == 2
    assert "already converted (use --force to redo it)" in capsys.readouterr().err

    assert main(["models", "info", str(folder)]) == 0
    shown = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    from safetensors.torch import load_file

    assert shown["architecture"] == "MarianMTModel" and shown["family"] == "marian" and shown["ct2_copy"] == "True"
    assert int(shown["parameters"]) == sum(t.numel() for t in load_file(folder / "model.safetensors").values())
    assert shown["vocabulary"] == str(json.loads((folder / "config.json").read_text())["vocab_size"])

    out = tmp_path / "out"
    assert main(["translate", str(seed_article), "--out", str(out), "--max-length", "4", "--quiet"]) == 0  # no --model: the registry's installed one
    model = json.loads((out / f"{seed_article.stem}.json").read_text(encoding="utf-8"))["model"]
    assert model["backend"] == "ctranslate2" and model["compute_type"] == "int8" and model["selected_by"] == "registry"


def test_info_names_what_is_missing(tmp_path, tiny_model, capsys):
    broken = tmp_path / "half-downloaded"
    shutil.copytree(tiny_model, broken, ignore=shutil.ignore_patterns("*.safetensors"))
    assert main(["models", "info", str(broken)]) == 2
    assert capsys.readouterr().err.strip() == f"vi2en: {broken}: no model weights (*.safetensors, *.bin or a CTranslate2 copy)"


def test_model_choice_order(models_dir, tiny_model, family_models, tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="no model installed; run `vi2en models pull opus-mt-vi-en`"):
        models.choose_model(None)
    (models_dir / "compact-vi-en").symlink_to(tiny_model)
    assert models.choose_model(None) == (models_dir / "compact-vi-en", "registry")
    (models_dir / "m2m100_418M").symlink_to(family_models["m2m100"])
    assert models.choose_model(None) == (models_dir / "m2m100_418M", "registry")  # earlier in the registry
    config = tmp_path / "config" / "vi2en" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('model = "compact-vi-en"\n', encoding="utf-8")
    assert models.choose_model(None) == (models_dir / "compact-vi-en", str(config))
    monkeypatch.setenv("VI2EN_MODEL", str(family_models["t5"]))
    assert models.choose_model(None) == (family_models["t5"], "VI2EN_MODEL")
    assert models.choose_model("m2m100_418M") == (models_dir / "m2m100_418M", "--model")
    with pytest.raises(ModelError, match="nowhere: no model folder there or under .* \\(from --model\\)"):
        models.choose_model("nowhere")


def test_shortlist_is_built_from_a_corpus_and_used(models_dir, tiny_model, tmp_path, capsys):
    from conftest import TRAIN

    from vi2en.backends import open_translator as load_translator

    folder = models_dir / "tiny"
    shutil.copytree(tiny_model, folder)
    corpus = TRAIN / "anki-tatoeba"
    assert main(["models", "shortlist", "tiny", str(corpus)]) == 2
    assert "no CTranslate2 copy to shortlist (run: vi2en models convert" in capsys.readouterr().err
    assert main(["models", "convert", "tiny"]) == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.vi").write_text("một\nhai\n", encoding="utf-8")
    (bad / "a.en").write_text("one\n", encoding="utf-8")
    assert main(["models", "shortlist", "tiny", str(bad)]) == 2
    assert "a.vi: 2 lines but a.en has 1" in capsys.readouterr().err
    assert not (folder / "ct2-int8" / "vmap.txt").exists()

    assert main(["models", "shortlist", "tiny", str(corpus), "--per-token", "5", "--frequent", "20"]) == 0
    assert "shortlist from" in capsys.readouterr().out
    lines = (folder / "ct2-int8" / "vmap.txt").read_text(encoding="utf-8").splitlines()
    always = lines[0].split("\t")
    assert always[0] == "" and len(always[1].split()) == 20  # the most frequent target tokens: always candidates
    rules = dict(line.split("\t") for line in lines[1:])
    assert all(key.strip() and 1 <= len(c.split()) <= 6 and key in c.split() for key, c in rules.items())  # a token may be copied
    assert "▁Tom" in rules["▁Tom"].split() and "<t0>" in rules["<t0>"].split()

    shortlisted, full = load_translator(folder), load_translator(folder, backend="ctranslate2")
    full.backend.shortlist = False
    assert shortlisted.describe()["shortlist"] is True
    sentences = ["Tom đang ăn táo.", "Tôi không biết."]
    hyps = shortlisted.translate(sentences)
    # CTranslate2 adds the unknown, start and end tokens to every shortlist
    allowed = {"<unk>", "</s>"} | set(lines[0].split("\t")[1].split()) | {c for s in sentences for t in shortlisted.tokenizer.convert_ids_to_tokens(shortlisted.encode(s)) for c in rules.get(t, "").split()}
    assert all(t in allowed for h in hyps for t in shortlisted.tokenizer.convert_ids_to_tokens(h.ids))
    assert any(t not in allowed for h in full.translate(sentences) for t in full.tokenizer.convert_ids_to_tokens(h.ids))  # random weights stray without it


def test_int8_weights_scale_back_to_the_float_model_within_half_a_step(converted_tiny):
    """The shipped model keeps only its CTranslate2 int8 copy; fine-tuning needs floats again.
    Each weight comes back within half a quantisation step of the original (no float output compared)."""
    import torch
    from transformers import MarianMTModel

    from vi2en.marian import marian_from_ct2, read_ct2_variables

    original = MarianMTModel.from_pretrained(converted_tiny).state_dict()
    restored = marian_from_ct2(converted_tiny).state_dict()
    scales = read_ct2_variables(converted_tiny / "ct2-int8" / "model.bin")
    assert scales["decoder/embeddings/weight"].dtype.name == "int8"
    checked = 0
    for name, weight in original.items():
        if name.endswith("embed_positions.weight") or "final_logits_bias" in name:
            continue
        step = weight.abs().amax(dim=-1, keepdim=True) / 127 if weight.dim() == 2 else torch.zeros(())
        assert torch.all((restored[name] - weight).abs() <= step / 2 + 1e-6), name
        checked += 1
    assert checked >= 40  # every layer's attention, feed-forward and norms, and the embeddings


@pytest.fixture(scope="module")
def converted_tiny(tiny_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("int8") / "tiny"
    shutil.copytree(tiny_model, folder)
    assert main(["models", "convert", str(folder)]) == 0
    return folder
