"""`vi2en distil TEACHER`: a fast student model trained on a teacher's translations.

Sequence-level knowledge distillation (Kim & Rush 2016), the way Firefox Translations makes its
students: the teacher translates Vietnamese text (the news corpus's Vietnamese side, the
Vietnamese side of any training data given, any monolingual text given); a small Marian student
of Firefox's "tiny" shape (6 encoder and 2 decoder layers, 256 dimensions) or the compact
model's learns those pairs with training.py's own loop; the student is converted to CTranslate2
int8 with a vocabulary shortlist, and both are scored on a dev set and timed in the same run.

A teacher whose licence forbids training on its outputs (models/registry.toml, `teacher =
false`) is refused before anything runs. The dev set may not share a sentence with the
distilled sources (training.py refuses), and the test sets are refused by name.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from vi2en.adapt import NEWS_DEV, NEWS_TRAIN
from vi2en.backends import ModelError
from vi2en.backends.chat import ChatTranslator
from vi2en.corpus import DataError, check_allowed, read_corpus
from vi2en.document import write_atomic
from vi2en.text import match_key


@dataclass(frozen=True)
class Shape:
    """A student's size, in training.py's options."""

    encoder_layers: int
    decoder_layers: int
    d_model: int
    heads: int
    ffn: int

    def options(self) -> list[str]:
        return ["--encoder-layers", str(self.encoder_layers), "--decoder-layers", str(self.decoder_layers),
                "--d-model", str(self.d_model), "--heads", str(self.heads), "--ffn", str(self.ffn)]


SHAPES = {
    "tiny": Shape(6, 2, 256, 8, 1536),  # Firefox Translations' tiny students (bergamot "tiny11")
    "compact": Shape(6, 3, 384, 6, 1536),  # the shipped compact-vi-en
}


@dataclass
class Side:
    """One model's figures on the dev set."""

    chrf: float
    bleu: float
    seconds: float
    sentences_per_second: float


@dataclass
class Report:
    teacher: str
    student: str
    shape: str
    distilled_pairs: int
    dev: str
    dev_sentences: int
    teacher_scores: Side
    student_scores: Side

    @property
    def speed_ratio(self) -> float:
        return round(self.student_scores.sentences_per_second / max(self.teacher_scores.sentences_per_second, 1e-9), 2)

    def as_dict(self) -> dict:
        return {**asdict(self), "student_speed_vs_teacher": self.speed_ratio}

    def lines(self) -> list[str]:
        t, s = self.teacher_scores, self.student_scores
        return [
            f"dev set {self.dev} ({self.dev_sentences} sentences), plain model output, no glossary:",
            f"  teacher {self.teacher}: chrF++ {t.chrf:.1f}, BLEU {t.bleu:.1f}, {t.sentences_per_second:.1f} sentences/s",
            f"  student {self.student} ({self.shape}, CTranslate2 int8 + shortlist): chrF++ {s.chrf:.1f}, BLEU {s.bleu:.1f}, {s.sentences_per_second:.1f} sentences/s",
            f"  student speed ×{self.speed_ratio} the teacher's, chrF++ {s.chrf - t.chrf:+.1f}",
        ]


def teacher_sources(corpora: list[Path], monolingual: list[Path], dev: list[tuple[str, str]], limit: int | None) -> list[str]:
    """The Vietnamese the teacher translates, each sentence once, none of the dev set's."""
    for path in [*corpora, *monolingual]:
        check_allowed(path)
    held_out = {match_key(vi) for vi, _ in dev}
    seen: dict[str, str] = {}
    lines = [vi for path in corpora for vi, _ in read_corpus(path)]
    for path in monolingual:
        try:
            lines += path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise DataError(f"{path}: unreadable monolingual text ({e.__class__.__name__})") from None
    for line in lines:
        line = " ".join(line.split())
        key = match_key(line)
        if line and key not in held_out and key not in seen:
            seen[key] = line
    sources = list(seen.values())[:limit] if limit else list(seen.values())
    if not sources:
        raise DataError(f"{', '.join(map(str, corpora + monolingual)) or 'no data'}: no Vietnamese sentences to distil")
    return sources


def translate_all(translator, sentences: list[str], progress: Callable[[int], None] | None = None) -> list[str]:
    return [h.text for h in translator.translate(sentences, progress)]


def score_side(open_model: Callable[[], object], dev: list[tuple[str, str]]) -> Side:
    """chrF++ and BLEU on the dev set, and the time a freshly opened model takes to translate it."""
    from vi2en.evaluate import corpus_scores

    translator = open_model()
    started = time.perf_counter()
    hyps = translate_all(translator, [vi for vi, _ in dev])
    seconds = time.perf_counter() - started
    scores = corpus_scores(hyps, [en for _, en in dev])
    return Side(round(scores["chrf++"]["score"], 2), round(scores["bleu"]["score"], 2), round(seconds, 2), round(len(dev) / max(seconds, 1e-9), 2))


def distil(open_teacher: Callable[[], object], teacher_name: str, *, out: Path, work: Path, corpora: list[Path] = (NEWS_TRAIN,),
           monolingual: list[Path] = (), dev: Path = NEWS_DEV, dev_limit: int = 200, limit: int | None = None, shape: str = "tiny",
           vocab_size: int = 8000, minutes: float = 60, max_steps: int = 0, copy_set: int = 6000,
           progress: Callable[[int], None] | None = None, log: Callable[[str], None] = print) -> Report:
    """Translate, train, convert, shortlist, score; the student goes into `out` only when complete."""
    from vi2en import training
    from vi2en.backends import open_translator
    from vi2en.models import convert, shortlist

    check_allowed(Path(dev))
    dev_pairs = read_corpus(Path(dev))[:dev_limit]
    sources = teacher_sources(list(corpora), list(monolingual), dev_pairs, limit)
    work.mkdir(parents=True, exist_ok=True)
    log(f"teacher {teacher_name}: translating {len(sources)} Vietnamese sentences")
    teacher = open_teacher()
    if isinstance(teacher, ChatTranslator):
        teacher.context = 0  # the sources are a deduplicated mix: the line before is no context
    english = translate_all(teacher, sources, progress)
    pairs = [(vi, en) for vi, en in zip(sources, english) if en.strip()]
    distilled = work / "distilled.tsv"
    write_atomic(distilled, "".join(f"{vi}\t{' '.join(en.split())}\n" for vi, en in pairs))
    log(f"{distilled}: {len(pairs)} teacher pairs ({len(sources) - len(pairs)} empty translations left out)")

    student = work / "student"
    argv = [str(distilled), "--valid", str(dev), "--valid-size", str(min(dev_limit, 200)), "--work", str(work / "train"), "--out", str(student),
            *SHAPES[shape].options(), "--vocab-size", str(vocab_size), "--copy-set", str(copy_set), "--time-budget-minutes", str(minutes),
            "--p-term", "0", "--p-placeholder", "0.1"]
    if max_steps:
        argv += ["--max-steps", str(max_steps)]
    if training.main(argv) != 0:
        raise DataError(f"{work}: training the student failed; see {work / 'train' / 'train.log'}")
    convert(student, force=True)
    shortlist(student, [distilled])
    write_atomic(student / "vi2en.json", json.dumps(student_record(teacher.describe()), indent=2, ensure_ascii=False) + "\n")

    log(f"scoring teacher and student on {len(dev_pairs)} sentences of {dev}")
    report = Report(teacher_name, out.name, shape, len(pairs), str(dev), len(dev_pairs),
                    score_side(open_teacher, dev_pairs), score_side(lambda: open_translator(student, backend="ctranslate2", beam_size=4), dev_pairs))
    if out.exists():
        shutil.rmtree(out)
    shutil.move(str(student), str(out))
    write_atomic(out / "distil-report.json", json.dumps(report.as_dict(), indent=2) + "\n")
    return report


def student_record(teacher: dict) -> dict:
    """The student's vi2en.json: what it was distilled from, and the teacher's licence notice."""
    record = {"licence": "GPL-3.0-or-later", "commercial_use": bool(teacher.get("commercial_use", True)),
              "distilled_from": {k: teacher[k] for k in ("name", "backend", "licence", "source", "endpoint") if k in teacher}}
    notice = "Distilled student: draft quality until its dev-set scores say otherwise (distil-report.json)."
    if teacher.get("notice"):
        notice += f" Its teacher's notice: {teacher['notice']}"
    record["notice"] = notice
    return record


def refuse_teacher(name: str) -> None:
    """ModelError, one line, when the registry or the folder says this model may not teach."""
    from vi2en.models import load_registry, teacher_refusal

    reason = teacher_refusal(name, load_registry())
    if reason:
        raise ModelError(reason)
