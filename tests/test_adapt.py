"""vi2en adapt on a tiny model: approved pairs of one kind teach it that kind; the gate, the
previous model kept, rollback, and what bad input gets."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from vi2en import adapt
from vi2en.cli import main
from vi2en.document import Block, Document, Segment
from vi2en.memory import Change, Memory

PROVINCES = [("Nghệ An", "Nghe An"), ("Hà Tĩnh", "Ha Tinh"), ("Quảng Bình", "Quang Binh"), ("Thanh Hóa", "Thanh Hoa"), ("Lào Cai", "Lao Cai"),
             ("Gia Lai", "Gia Lai"), ("Cà Mau", "Ca Mau"), ("Đắk Lắk", "Dak Lak"), ("Sơn La", "Son La"), ("Bắc Ninh", "Bac Ninh")]


def kind_of_sentence(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """One kind of sentence a desk approves again and again."""
    pairs = []
    for _ in range(n):
        vi, en = rng.choice(PROVINCES)
        count = rng.randint(10, 99)
        pairs.append((f"Tỉnh {vi} có {count} xã.", f"{en} province has {count} communes."))
    return pairs


@pytest.fixture
def setup(tiny_model, tmp_path):
    rng = random.Random(7)
    approved = list(dict.fromkeys(kind_of_sentence(rng, 400)))
    dev = [p for p in kind_of_sentence(random.Random(8), 60) if p not in approved][:30]
    model = tmp_path / "models" / "tiny"
    shutil.copytree(tiny_model, model)
    memory = Memory(tmp_path / "tm.sqlite", create=True)
    segments = [Segment(f"p1.s{i}", vi, en="draft") for i, (vi, _) in enumerate(approved, 1)]
    doc = Document("approved.txt", "b" * 64, [Block("p1", "paragraph", "", segments)])
    memory.save(doc, [Change(s.id, s.vi, en, True, 0) for s, (_, en) in zip(segments, approved)], "lan")
    (tmp_path / "dev.tsv").write_text("".join(f"{vi}\t{en}\n" for vi, en in dev), encoding="utf-8")
    (tmp_path / "terms.tsv").write_text("date\tvi\tterms\n\tHôm nay trời đẹp.\t\n", encoding="utf-8")  # no term: the gate runs, equal for both
    return model, memory, tmp_path


def test_adapting_on_approved_pairs_of_one_kind_raises_the_dev_score_on_that_kind(setup):
    model, memory, tmp = setup
    before = sorted(p.name for p in model.iterdir())
    outcome = adapt.adapt(model, memory, work=tmp / "work", dev=tmp / "dev.tsv", term_sets=[tmp / "terms.tsv"], corpus=[], max_steps=200, lr=3e-3, minutes=10, log=lambda _: None)
    assert outcome.approved_pairs > 300 and outcome.installed
    assert outcome.after.dev_chrf > outcome.before.dev_chrf + 10  # a random model learns the pattern
    # the adapted model is in use, the old one kept whole beside it
    previous = adapt.previous_of(model)
    assert sorted(p.name for p in previous.iterdir()) == before
    record = json.loads((model / "vi2en.json").read_text(encoding="utf-8"))["adapted"]
    assert record["approved_pairs"] == outcome.approved_pairs and record["after"]["dev_chrf"] == outcome.after.dev_chrf
    assert (model / "ct2-int8" / "model.bin").is_file() and not list(model.glob("*.safetensors"))
    # rollback puts the old one back, and undoes itself
    adapt.rollback(model)
    assert sorted(p.name for p in model.iterdir()) == before and (previous / "ct2-int8").is_dir()
    adapt.rollback(model)
    assert (model / "ct2-int8").is_dir()


def test_a_model_that_scores_worse_is_not_installed(setup, monkeypatch):
    model, memory, tmp = setup
    before = {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()}
    scores = iter([adapt.Measure(50.0), adapt.Measure(49.9)])  # the gate's two measurements: in use, adapted
    monkeypatch.setattr(adapt, "measure", lambda *a, **k: next(scores))
    outcome = adapt.adapt(model, memory, work=tmp / "work", dev=tmp / "dev.tsv", term_sets=[], corpus=[], max_steps=5, log=lambda _: None)
    assert not outcome.installed and not adapt.previous_of(model).exists()
    assert {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()} == before


def test_bad_input_gets_one_clear_line_and_the_model_is_untouched(setup, capsys):
    model, memory, tmp = setup
    empty = Memory(tmp / "empty.sqlite", create=True)
    assert main(["adapt", "--tm", str(empty.path), "--model", str(model), "--dev", str(tmp / "dev.tsv")]) == 2
    assert "no approved pairs to learn from" in capsys.readouterr().err
    (tmp / "bad-dev.tsv").write_text("only one field\n", encoding="utf-8")
    assert main(["adapt", "--tm", str(memory.path), "--model", str(model), "--dev", str(tmp / "bad-dev.tsv")]) == 2
    assert "bad-dev.tsv:1: a pair is two non-empty fields" in capsys.readouterr().err
    # a dev set that overlaps what the model would learn is refused
    approved = memory.approved_pairs()[0]
    (tmp / "overlap.tsv").write_text(f"{approved['vi']}\t{approved['en']}\n", encoding="utf-8")
    assert main(["adapt", "--tm", str(memory.path), "--model", str(model), "--dev", str(tmp / "overlap.tsv"), "--work", str(tmp / "w")]) == 2
    assert "also in the validation data" in capsys.readouterr().err
    assert main(["models", "rollback", str(model)]) == 2
    assert "no previous model to roll back to" in capsys.readouterr().err
    assert not adapt.previous_of(model).exists() and not (model / "ct2-int8").exists()


def test_a_stopped_run_resumes_from_its_checkpoint(setup):
    model, memory, tmp = setup
    work = tmp / "work"
    quiet = dict(dev=tmp / "dev.tsv", term_sets=[], corpus=[], lr=3e-3, log=lambda _: None)
    adapt.adapt(model, memory, work=work, max_steps=20, **quiet)  # stands for a run stopped at step 20
    adapt.adapt(model, memory, work=work, max_steps=40, resume=True, **quiet)
    log = (work / "train" / "train.log").read_text(encoding="utf-8")
    assert "resumed at step 20" in log and "valid step 40" in log
