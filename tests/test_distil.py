"""`vi2en distil` end to end with the shipped compact model as teacher and a tiny student trained
for a few steps (its scores are near zero: the test checks what is made, not how good it is),
and the registry's word on which models may teach."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vi2en import distil, models
from vi2en.backends import ModelError
from vi2en.cli import main
from vi2en.corpus import DataError
from vi2en.text import match_key

PROJECT = Path(__file__).resolve().parents[1]
COMPACT = PROJECT / "models" / "compact-vi-en"
DEV = PROJECT / "corpus" / "dev.tsv"


def test_distil_end_to_end_with_the_compact_teacher(tmp_path, capsys):
    out, work = tmp_path / "student-vi-en", tmp_path / "work"
    code = main(["distil", str(COMPACT), "--out", str(out), "--work", str(work), "--limit", "200", "--beam", "1",
                 "--max-steps", "3", "--vocab-size", "600", "--copy-set", "0", "--dev-limit", "8"])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    # the teacher's pairs: 200 distinct Vietnamese sentences of the news corpus, none of the dev set's
    pairs = [line.split("\t") for line in (work / "distilled.tsv").read_text(encoding="utf-8").splitlines()]
    assert len(pairs) == 200 and all(len(p) == 2 and p[1].strip() for p in pairs)
    dev = {match_key(line.split("\t")[0]) for line in DEV.read_text(encoding="utf-8").splitlines()}
    assert len({match_key(vi) for vi, _ in pairs}) == 200 and not dev & {match_key(vi) for vi, _ in pairs}
    # the student: the tiny shape, converted to CTranslate2 int8 with its shortlist, and usable
    config = json.loads((out / "config.json").read_text())
    assert (config["encoder_layers"], config["decoder_layers"], config["d_model"]) == (6, 2, 256)
    assert (out / models.CT2_FOLDER / "model.bin").is_file() and (out / models.CT2_FOLDER / "vmap.txt").is_file()
    record = json.loads((out / "vi2en.json").read_text())
    assert record["distilled_from"]["name"] == "compact-vi-en" and "Draft only" in record["notice"]  # the teacher's notice goes along
    report = json.loads((out / "distil-report.json").read_text())
    assert report["distilled_pairs"] == 200 and report["dev_sentences"] == 8
    for side in (report["teacher_scores"], report["student_scores"]):
        assert 0 <= side["chrf"] <= 100 and side["sentences_per_second"] > 0
    assert report["student_speed_vs_teacher"] == round(report["student_scores"]["sentences_per_second"] / report["teacher_scores"]["sentences_per_second"], 2)
    assert "student speed ×" in captured.out and "chrF++" in captured.out
    assert not (work / "student").exists()  # moved into --out once complete


@pytest.mark.parametrize("teacher", ["Hunyuan-MT-7B", "tencent/Hunyuan-MT-7B", "nllb-200-distilled-600M"])
def test_a_teacher_whose_licence_forbids_it_is_refused_in_one_line(teacher, tmp_path, capsys):
    out = tmp_path / "student"
    # the endpoint is never reached: the refusal comes first
    assert main(["distil", teacher, "--endpoint", "http://127.0.0.1:9/v1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "may not be a distillation teacher" in err
    assert not out.exists() and not (tmp_path / ".student.distil").exists()


def test_a_folder_that_says_it_may_not_teach_is_refused_whatever_its_name(tmp_path):
    folder = tmp_path / "my-renamed-model"
    folder.mkdir()
    entry = models.find_entry("Hunyuan-MT-7B", models.load_registry())
    (folder / "vi2en.json").write_text(json.dumps(models.licence_record(entry)))
    with pytest.raises(ModelError, match="my-renamed-model: may not be a distillation teacher: its licence forbids"):
        distil.refuse_teacher(str(folder))
    distil.refuse_teacher(str(COMPACT))  # the compact model may teach


def test_teacher_sources_are_distinct_and_hold_out_the_dev_set(tmp_path):
    mono = tmp_path / "archive.txt"
    mono.write_text("Câu một.\n\n  Câu   một.\nCâu hai.\nDev câu.\n", encoding="utf-8")
    assert distil.teacher_sources([], [mono], [("Dev câu.", "A dev sentence.")], None) == ["Câu một.", "Câu hai."]
    assert distil.teacher_sources([], [mono], [], 1) == ["Câu một."]
    with pytest.raises(DataError, match="refusing to train on a test set"):
        distil.teacher_sources([tmp_path / "flores200-devtest"], [], [], None)
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DataError, match="bad.txt: unreadable monolingual text"):
        distil.teacher_sources([], [tmp_path / "bad.txt"], [], None)


def test_models_list_says_which_may_teach(capsys):
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    column = lines[0].index("teacher")
    teaches = {line.split()[0]: line[column:].split()[0] for line in lines[1:]}
    assert teaches["Hunyuan-MT-7B"] == "no" and teaches["nllb-200-distilled-600M"] == "no"
    assert teaches["Hy-MT2-7B"] == "yes" and teaches["Qwen3-8B"] == "yes" and teaches["compact-vi-en"] == "yes"
    assert teaches["Seed-X-PPO-7B"] == "verify" and teaches["vinai-translate-vi2en-v2"] == "verify"


def test_an_installed_llm_is_listed_but_never_chosen_without_asking(tmp_path, monkeypatch, tiny_model):
    monkeypatch.setenv("VI2EN_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("VI2EN_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    qwen = tmp_path / "Qwen3-8B"
    qwen.mkdir()
    (qwen / "config.json").write_text('{"model_type": "qwen3"}')
    (qwen / "model.safetensors").write_bytes(b"")
    assert models.find_entry("Qwen3-8B", models.load_registry()).installed()
    shutil.copytree(tiny_model, tmp_path / "compact-vi-en")
    assert models.choose_model(None) == (tmp_path / "compact-vi-en", "registry")
