"""`vi2en adapt`: fine-tune the installed model on the desk's approved translations, behind a gate.

A desk's approved sentences are the best data it will ever have. The model is fine-tuned on
them (repeated, so they weigh), mixed with the project's news corpus and, when given, a replay
of the general training data, so it does not forget what it knew. The result replaces the
model in use only when it scores no worse on the frozen dev set and on the term test sets;
the previous model is kept beside it (`NAME.previous`) and `vi2en models rollback NAME` puts
it back. Training runs in a work folder with checkpoints: an interrupted run resumes with
`--resume`, and nothing is swapped until a complete model has passed the gate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from vi2en.backends.families import CT2_FOLDER, ModelError, check_model_folder
from vi2en.corpus import DataError, read_corpus

PROJECT = Path(__file__).resolve().parents[2]
NEWS_TRAIN = PROJECT / "corpus" / "train"
NEWS_DEV = PROJECT / "corpus" / "dev.tsv"
TERM_SETS = [PROJECT / "tests" / "data" / "terms.tsv"]
KEPT = ("README.md", "vi2en.json")  # what an adapted model keeps of the one it replaces (the export writes its own generation rules)


@dataclass
class Measure:
    dev_chrf: float
    terms: dict[str, float] = field(default_factory=dict)  # term set → accuracy

    def no_worse_than(self, other: "Measure") -> bool:
        return self.dev_chrf >= other.dev_chrf and all(self.terms[k] >= v for k, v in other.terms.items())


@dataclass
class Outcome:
    installed: bool
    before: Measure
    after: Measure
    approved_pairs: int
    model: str
    previous: str = ""


def previous_of(model_dir: Path) -> Path:
    return model_dir.with_name(model_dir.name + ".previous")


def measure(model_dir: Path, dev: list[tuple[str, str]], term_sets: list[Path], *, beam_size: int = 4) -> Measure:
    """chrF++ on the dev pairs and term accuracy on each term set, through the whole pipeline."""
    from vi2en import evaluate
    from vi2en.backends import open_translator
    from vi2en.entities import Entities
    from vi2en.glossary import Glossary
    from vi2en.pipeline import document_from_lines, translate_document

    translator = open_translator(model_dir, beam_size=beam_size)
    glossary, entities = Glossary.load(), Entities.load()
    doc = translate_document(document_from_lines([vi for vi, _ in dev], "dev"), translator, glossary, entities=entities)
    chrf = evaluate.corpus_scores([s.en for s in doc.segments], [en for _, en in dev])["chrf++"]["score"]
    terms = {str(path): evaluate.term_accuracy(path, translator, glossary, entities).accuracy for path in term_sets}
    return Measure(round(chrf, 2), terms)


def adapt(model_dir: Path, memory, *, work: Path, dev: Path = NEWS_DEV, term_sets: list[Path] = TERM_SETS,
          replay: list[Path] = (), corpus: list[Path] = (NEWS_TRAIN,), repeat: int = 3, minutes: float = 30,
          max_steps: int = 0, lr: float = 2e-4, resume: bool = False, log: Callable[[str], None] = print) -> Outcome:
    """Fine-tune, gate and (if it passes) install; the model in use is never touched before that."""
    from vi2en import training
    from vi2en.models import convert

    model_dir = Path(model_dir)
    if check_model_folder(model_dir).name != "marian":
        raise ModelError(f"{model_dir}: vi2en adapt fine-tunes Marian models (the compact model, OPUS-MT); this one is not")
    approved = [(p["vi"], p["en"]) for p in memory.approved_pairs()]
    if not approved:
        raise DataError(f"{memory.path}: no approved pairs to learn from (approve sentences in vi2en review first)")
    dev_pairs = read_corpus(Path(dev))
    work.mkdir(parents=True, exist_ok=True)
    approved_file = work / "approved.tsv"
    if not resume:  # a resumed run trains on exactly the data it started with
        lines = "".join(f"{' '.join(vi.split())}\t{' '.join(en.split())}\n" for vi, en in approved)
        approved_file.write_text(lines, encoding="utf-8")
    candidate = work / "candidate"
    argv = [*map(str, replay), "--domain", str(approved_file), *map(str, corpus), "--domain-repeat", str(repeat),
            "--valid", str(dev), "--init", str(model_dir), "--work", str(work / "train"), "--out", str(candidate),
            "--time-budget-minutes", str(minutes), "--lr", str(lr), "--warmup", "50", "--copy-set", "0", "--p-term", "0", "--p-placeholder", "0.1"]
    if max_steps:
        argv += ["--max-steps", str(max_steps)]
    if resume:
        argv.append("--resume")
    log(f"fine-tuning {model_dir.name} on {len(approved)} approved pairs (×{repeat}) with {', '.join(map(str, corpus)) or 'no corpus'}"
        f"{' and a replay of ' + ', '.join(map(str, replay)) if replay else ''}")
    code = training.main(argv)
    if code != 0:
        raise DataError(f"{work}: training failed (exit {code}); see {work / 'train' / 'train.log'}")
    for name in KEPT:  # the adapted model is the old one with new weights
        if (model_dir / name).is_file():
            shutil.copy(model_dir / name, candidate / name)
    convert(candidate, force=True)
    vmap = model_dir / CT2_FOLDER / "vmap.txt"
    if vmap.is_file():  # same vocabulary, same shortlist
        shutil.copy(vmap, candidate / CT2_FOLDER / "vmap.txt")
    for weights in candidate.glob("*.safetensors"):  # the int8 copy is what runs; floats come back from it
        weights.unlink()
    log("gate: scoring the model in use and the adapted one on the dev set and the term sets")
    before = measure(model_dir, dev_pairs, term_sets)
    after = measure(candidate, dev_pairs, term_sets)
    outcome = Outcome(after.no_worse_than(before), before, after, len(approved), str(model_dir))
    if outcome.installed:
        outcome.previous = str(install(candidate, model_dir, {"date": dt.date.today().isoformat(), "approved_pairs": len(approved),
                                                               "dev": str(dev), "before": asdict(before), "after": asdict(after)}))
    return outcome


def install(candidate: Path, model_dir: Path, record: dict) -> Path:
    """Swap the adapted model in; the one it replaces becomes NAME.previous (an older one is dropped)."""
    meta = candidate / "vi2en.json"
    info = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
    info["adapted"] = record
    meta.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    previous = previous_of(model_dir)
    staged = model_dir.with_name(f".{model_dir.name}.incoming")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(candidate, staged)  # on the model's own file system, so the swap below is two renames
    if previous.exists():
        shutil.rmtree(previous)
    os.replace(model_dir, previous)
    os.replace(staged, model_dir)
    return previous


def rollback(model_dir: Path) -> Path:
    """Put the previous model back; the adapted one is kept as NAME.previous, so rollback undoes itself."""
    model_dir = Path(model_dir)
    previous = previous_of(model_dir)
    if not previous.is_dir():
        raise ModelError(f"{model_dir}: no previous model to roll back to ({previous.name} missing)")
    swap = model_dir.with_name(f".{model_dir.name}.swap")
    shutil.rmtree(swap, ignore_errors=True)
    os.replace(model_dir, swap)
    os.replace(previous, model_dir)
    os.replace(swap, previous)
    return model_dir
