"""`vi2en translate ARCHIVE/ --out OUT --ray ADDRESS`: an archive translated on a Ray cluster.

The driver groups the articles as a local run does (consecutive ones up to --batch-segments
segments), Ray Data hands the groups to a pool of translator actors, and each actor opens the
model, glossary and memory once (`cli.open_translate_run`, as the local path does) and runs
each group through the same `pipeline.translate_articles`, so an actor's batches, and with one
actor the bytes written, are a local run's; each article's outputs go into place all or none.

An article whose saved JSON was made from the same source (SHA-256), model and glossary version
is skipped, so a stopped run, or a batch Ray retries after a worker died, redoes nothing that is
finished. The archive and OUT must be on a filesystem every node sees, at the same path.

Ray is the optional extra `cluster` (pip install 'vi2en[cluster]'); only this module imports it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# What `--ray local` asks of this machine: the translator actors need CPU and model memory, not
# Ray's object store, which only carries article paths and a line of result for each.
LOCAL_OBJECT_STORE_BYTES = 200 * 2**20


@dataclass
class Backfill:
    """The tally of one cluster run, filled as results come back."""

    total: int
    translated: int = 0
    skipped: int = 0
    segments: int = 0  # translated in this run (skipped articles not counted)
    failures: list[str] = field(default_factory=list)  # one line each, naming the article
    started: float = field(default_factory=time.perf_counter)

    @property
    def done(self) -> int:
        return self.translated + self.skipped + len(self.failures)

    def summary(self) -> str:
        seconds = time.perf_counter() - self.started
        rate = f"{self.translated / seconds * 3600:.0f} articles/h, {self.segments / seconds:.1f} segments/s" if seconds > 0 else "n/a"
        return (f"{self.done} of {self.total} articles: {self.translated} translated ({self.segments} segments), {self.skipped} already done, "
                f"{len(self.failures)} failed, in {seconds:.1f} s ({rate})")


class ArticleTranslator:
    """One actor of the pool (a callable class for `map_batches`): the model is loaded once, in
    `__init__`, then each call translates a batch of article paths."""

    def __init__(self, args: argparse.Namespace, cwd: str, batch_segments: int):
        from vi2en.backends import ModelError
        from vi2en.cli import open_translate_run
        from vi2en.glossary import GlossaryError
        from vi2en.memory import TMError

        os.chdir(cwd)  # paths as the user gave them (and as the JSON records them) resolve as on the driver
        self.out, self.batch_segments = Path(args.out), batch_segments
        # what stops the whole run (a model, glossary or memory this node cannot use) comes back
        # as a row, in vi2en's one line, rather than as Ray's wrapped traceback
        self.fatal = ""
        try:
            self.run = open_translate_run(args)
        except (ModelError, GlossaryError, TMError) as e:
            self.fatal = str(e)

    def __call__(self, batch: dict) -> dict:
        from vi2en.backends import ModelError
        from vi2en.cli import article_line

        rows: dict[str, list] = {"path": [], "status": [], "segments": [], "line": []}

        def add(path: str, status: str, segments: int, line: str) -> None:
            for key, value in zip(rows, (path, status, segments, line)):
                rows[key].append(value)

        for group in batch["paths"]:
            paths, done = [str(p) for p in group], 0
            if not self.fatal:
                try:
                    for path, outcome in zip(paths, self.run.translate_all(paths, self.out, skip_current=True, batch_segments=self.batch_segments)):
                        status = "failed" if outcome.error else "skipped" if outcome.skipped else "translated"
                        add(path, status, len(outcome.doc.segments) if status == "translated" else 0, outcome.error or article_line(path, outcome))
                        done += 1
                except ModelError as e:  # every article would fail the same way
                    self.fatal = str(e)
            for path in paths[done:]:
                add(path, "fatal", 0, self.fatal)
        return rows


def article_groups(paths: list[str], limits, batch_segments: int) -> list[list[str]]:
    """The articles a local run translates together (pipeline.translate_articles: consecutive
    ones until `batch_segments` segments), so that an actor's batches are those of a local run;
    the model's output depends on what else is in its batch. An article that cannot be read
    counts no segments, as there; its actor reports it."""
    from vi2en import pipeline

    groups, group, size = [], [], 0
    for path in paths:
        group.append(path)
        try:
            size += len(pipeline.build_document(path, limits).segments)
        except Exception:  # noqa: BLE001 - any problem is the actor's to report, in vi2en's one line
            pass
        if size >= batch_segments:
            groups.append(group)
            group, size = [], 0
    return groups + ([group] if group else [])


def connect(address: str) -> bool:
    """Join the cluster (`local`: start one on this machine); True when this call started Ray,
    which then shuts it down. A Ray already initialised in this process is used as it is."""
    import ray

    if ray.is_initialized():
        return False
    quiet = dict(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=True)
    if address == "local":
        ray.init(object_store_memory=LOCAL_OBJECT_STORE_BYTES, **quiet)
    else:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=True)
    return True


def pool_shape(actors: int | None) -> tuple[int, dict]:
    """How many translator actors and what each holds: one GPU each where the cluster has GPUs
    (the model on every card), else one CPU each."""
    import ray

    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return actors or gpus, {"num_gpus": 1}
    return actors or max(1, int(resources.get("CPU", 1))), {"num_cpus": 1}


def _precheck(args: argparse.Namespace) -> str:
    """What would make every actor fail the same way, found before a cluster starts: '' when none."""
    from vi2en.backends import ModelError
    from vi2en.glossary import PROJECT_GLOSSARY, Glossary, GlossaryError
    from vi2en.memory import Memory, TMError

    try:
        _model_notice(args)
        Glossary.load(Path(args.glossary) if args.glossary else PROJECT_GLOSSARY)
        if args.tm:
            Memory(Path(args.tm))
    except (ModelError, GlossaryError, TMError) as e:
        return str(e)
    return ""


def _model_notice(args: argparse.Namespace) -> str:
    """The notice the model's folder carries (vi2en.json), which a local run prints first; the
    model itself is loaded only on the actors. ModelError when there is no such model."""
    import json

    from vi2en.models import choose_model

    if getattr(args, "endpoint", None):  # a model served over HTTP has no folder here
        return ""
    meta = choose_model(args.model)[0] / "vi2en.json"
    return json.loads(meta.read_text(encoding="utf-8")).get("notice", "") if meta.is_file() else ""


def cmd_translate(args: argparse.Namespace, inputs: list[str]) -> int:
    """The articles on the cluster at `args.ray`; the exit status of `vi2en translate`."""
    from vi2en.cli import _fail

    if "-" in inputs:
        _fail("standard input cannot be translated on a cluster; give files or folders with --ray")
        return 2
    if problem := _precheck(args):
        _fail(problem)
        return 2
    if not args.quiet and (notice := _model_notice(args)):
        print(notice, file=sys.stderr)
    try:
        import ray
        import ray.data
    except ImportError:
        _fail("--ray needs Ray: pip install 'vi2en[cluster]'")
        return 2
    Path(args.out).mkdir(parents=True, exist_ok=True)
    started_ray = connect(args.ray)
    try:
        return _backfill(ray, args, inputs)
    finally:
        if started_ray:
            ray.shutdown()


def _backfill(ray, args: argparse.Namespace, inputs: list[str]) -> int:
    from vi2en.cli import _fail

    # progress is ours (articles done of the total, as they come back): not Ray Data's bars and log
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    from vi2en.cli import _limits
    from vi2en.pipeline import BATCH_SEGMENTS

    actors, per_actor = pool_shape(args.actors)
    batch_segments = BATCH_SEGMENTS if args.batch_segments is None else args.batch_segments
    groups = article_groups(inputs, _limits(args), batch_segments)
    results = ray.data.from_items([{"paths": group} for group in groups], override_num_blocks=len(groups)).map_batches(
        ArticleTranslator,
        fn_constructor_args=(args, os.getcwd(), batch_segments),
        batch_size=1,  # one group of articles at a time, as a local run translates them
        # one group at a time per actor, in the archive's order: its cache then holds what a local run's would
        compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
        **per_actor,
    )
    tally = Backfill(total=len(inputs))
    if not args.quiet:
        print(f"{len(inputs)} articles in {len(groups)} group(s) of about {batch_segments} segments, on {actors} translator actor(s) ({'1 GPU' if 'num_gpus' in per_actor else '1 CPU'} each)", file=sys.stderr)
    try:
        for row in results.iter_rows():
            status, line = row["status"], row["line"]
            if status == "fatal":
                _fail(f"{line}; the cluster run stopped after {tally.done} of {tally.total} articles")
                return 2
            if status == "failed":
                tally.failures.append(line)
                _fail(line)
                line = f"{row['path']}: failed (listed at the end)"
            elif status == "skipped":
                tally.skipped += 1
                line = f"{row['path']}: already translated from this source with this model and glossary"
            else:
                tally.translated += 1
                tally.segments += int(row["segments"])
            if not args.quiet:
                print(f"[{tally.done}/{tally.total}] {line}", flush=True)
    except Exception as e:  # the cluster itself: what is written stays, and a rerun resumes
        _fail(f"the cluster run stopped after {tally.done} of {tally.total} articles ({_first_line(e)}); run the same command again to resume")
        return 2
    if tally.failures and not args.quiet:
        print("failed:", *tally.failures, sep="\n  ", file=sys.stderr)
    if not args.quiet:
        print(tally.summary())
    return 1 if tally.failures else 0


def _first_line(error: BaseException) -> str:
    """Ray's own exceptions carry a remote traceback: their kind and first line, without colours."""
    import re

    from vi2en.backends.families import _first_line as first_line

    return f"{type(error).__name__}: " + re.sub(r"\x1b\[[0-9;]*m", "", first_line(error))
