"""`vi2en translate ARCHIVE/ --ray` (src/vi2en/cluster.py) on a local Ray cluster started here:
two CPUs, one translator actor of one CPU (so a slot stays free for Ray's own tasks), the
shipped compact model, and 30 articles composed from the dev split's sentences."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
import ray

from vi2en.cli import main

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("cluster_benchmark", ROOT / "scripts" / "cluster_benchmark.py")
cluster_benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cluster_benchmark)

# a local run translates consecutive articles together, up to a number of segments; two
# articles of three segments here, so that a run has fifteen groups to stop or kill between
BATCHING = ["--batch-segments", "6"]
ON_CLUSTER = ["--ray", "local", "--actors", "1", *BATCHING]


@pytest.fixture(scope="module")
def local_cluster():
    ray.init(num_cpus=2, object_store_memory=200 * 2**20, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    cluster_benchmark.compose_articles(folder, 30, sentences=2)
    return folder


@pytest.fixture(scope="module")
def local_out(archive, tmp_path_factory) -> Path:
    """The plain local run of the archive (no Ray): what the cluster must write."""
    out = tmp_path_factory.mktemp("local-out")
    assert main(["translate", str(archive), "--out", str(out), "--quiet", *BATCHING]) == 0
    return out


def same_but_timestamp(a: Path, b: Path) -> bool:
    """The two files are byte for byte the same once each one's JSON `created` time is blanked,
    as the JSON and HTML write it and as TMX does (its `creationdate`, 20240117T141007Z)."""
    import datetime as dt
    import json

    def blanked(path: Path) -> bytes:
        created = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["created"]
        tmx_form = dt.datetime.fromisoformat(created).strftime("%Y%m%dT%H%M%SZ")
        return path.read_bytes().replace(created.encode(), b"<created>").replace(tmx_form.encode(), b"<created>")

    return blanked(a) == blanked(b)


def segment_count(out: Path) -> int:
    from vi2en import document

    return sum(len(document.load(p).segments) for p in out.glob("*.json"))


def mtimes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix in (".json", ".html", ".tmx")}


def test_the_cluster_writes_the_bytes_of_a_local_run(local_cluster, archive, local_out, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["translate", str(archive), "--out", str(out), *ON_CLUSTER]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in local_out.iterdir())
    assert len(list(out.glob("*.json"))) == 30
    different = [p.name for p in sorted(out.iterdir()) if not same_but_timestamp(p, local_out / p.name)]
    assert different == []
    printed = capsys.readouterr().out
    assert "[30/30] " in printed and "[1/30] " in printed  # progress as results come back
    assert f"30 of 30 articles: 30 translated ({segment_count(local_out)} segments), 0 already done, 0 failed" in printed


def test_a_stopped_run_resumes_without_redoing_finished_articles(local_cluster, archive, local_out, tmp_path, capsys):
    # a run stopped after ten articles left their outputs; one source has changed since
    out = tmp_path / "out"
    out.mkdir()
    finished = sorted(archive.glob("*.txt"))[:10]
    for source in finished:
        for suffix in (".json", ".html", ".tmx"):
            shutil.copy2(local_out / (source.stem + suffix), out)
    sources = tmp_path / "archive"
    shutil.copytree(archive, sources)
    changed = sources / finished[0].name
    changed.write_text(changed.read_text(encoding="utf-8").replace("\n\n", "\n\nTheo TTXVN.\n\n", 1), encoding="utf-8")
    before = mtimes(out)

    assert main(["translate", str(sources), "--out", str(out), *ON_CLUSTER]) == 0
    printed = capsys.readouterr().out
    assert "30 of 30 articles: 21 translated" in printed and "9 already done, 0 failed" in printed
    after = mtimes(out)
    untouched = {name for name in before if Path(name).stem != changed.stem}
    assert {name: after[name] for name in untouched} == {name: before[name] for name in untouched}
    assert after[changed.stem + ".json"] != before[changed.stem + ".json"]  # its source changed: translated again
    assert len(list(out.glob("*.json"))) == 30

    assert main(["translate", str(sources), "--out", str(out), *ON_CLUSTER]) == 0  # and again: nothing left to do
    assert "0 translated (0 segments), 30 already done" in capsys.readouterr().out
    assert mtimes(out) == after


def actor_processes() -> list[int]:
    """The translator actors of this test's cluster (their process title names the class)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and title.startswith(b"ray::") and b"ArticleTranslator" in title and entry.stat().st_uid == os.getuid():
            pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_run_redoes_nothing_it_finished(local_cluster, archive, tmp_path, capsys):
    """Ray restarts the actor and gives it the batch again; what was written before is skipped."""
    out = tmp_path / "out"
    outcome = {}
    run = threading.Thread(target=lambda: outcome.setdefault("rc", main(["translate", str(archive), "--out", str(out), *ON_CLUSTER])))
    run.start()
    deadline = time.monotonic() + 300
    while len(list(out.glob("*.json"))) < 5 and run.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    actors = actor_processes()
    assert actors, "no translator actor to kill"
    for pid in actors:
        os.kill(pid, signal.SIGKILL)
    finished = {p.stem for p in out.glob("*.json")}  # the JSON goes into place last: these have all their outputs
    done_before_kill = {name: mtime for name, mtime in mtimes(out).items() if Path(name).stem in finished}
    run.join(timeout=300)
    assert 5 <= len(finished) < 30, "the worker was not killed mid-run"

    assert outcome["rc"] == 0  # Ray started the actor again and retried its batch
    assert "0 failed" in capsys.readouterr().out
    assert len(list(out.glob("*.json"))) == 30
    after = mtimes(out)
    assert {name: after[name] for name in done_before_kill} == done_before_kill  # nothing finished was redone
    assert not list(out.glob(".*.tmp"))  # what the killed worker was writing was cleaned up

    assert main(["translate", str(archive), "--out", str(out), *ON_CLUSTER]) == 0  # the command again: nothing left
    assert "0 translated (0 segments), 30 already done" in capsys.readouterr().out
    assert mtimes(out) == after


def test_a_corrupt_article_is_reported_while_the_others_finish(local_cluster, archive, tmp_path, capsys):
    sources = tmp_path / "archive"
    sources.mkdir()
    for source in sorted(archive.glob("*.txt"))[:5]:
        shutil.copy(source, sources)
    (sources / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip file")
    out = tmp_path / "out"

    assert main(["translate", str(sources), "--out", str(out), *ON_CLUSTER]) == 1
    captured = capsys.readouterr()
    assert f"6 of 6 articles: 5 translated ({segment_count(out)} segments), 0 already done, 1 failed" in captured.out
    problem = [line for line in captured.err.splitlines() if line.startswith("vi2en: ") and "broken.docx" in line]
    assert len(problem) == 1 and "Traceback" not in captured.err
    assert captured.err.count("broken.docx") == 2  # as it happens, and in the list of failures at the end
    assert sorted(p.stem for p in out.glob("*.json")) == sorted(p.stem for p in sources.glob("*.txt"))
    assert not list(out.glob("broken.*"))



def test_a_model_the_actors_cannot_load_stops_the_run_in_one_line(local_cluster, archive, tmp_path, capsys):
    model = tmp_path / "damaged-model"
    shutil.copytree(ROOT / "models" / "compact-vi-en", model)
    (model / "ct2-int8" / "model.bin").write_bytes(b"not a model")
    out = tmp_path / "out"

    assert main(["translate", str(archive), "--out", str(out), "--model", str(model), *ON_CLUSTER]) == 2
    err = capsys.readouterr().err
    problem = [line for line in err.splitlines() if line.startswith("vi2en: ")]
    assert len(problem) == 1 and "cannot load model" in problem[0] and "the cluster run stopped after 0 of 30 articles" in problem[0]
    assert "Traceback" not in err
    assert not list(out.glob("*.json"))

def test_without_ray_the_option_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    """A machine without the extra: one line saying what to install, nothing written."""
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    article = tmp_path / "a.txt"
    article.write_text("Tiêu đề\n\nMột câu.\n", encoding="utf-8")
    assert main(["translate", str(article), "--out", str(tmp_path / "out"), "--ray", "local"]) == 2
    assert "pip install 'vi2en[cluster]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_saved_outputs_are_current_only_for_the_same_source_model_and_glossary(translated_seed, tiny_model, test_glossary, seed_article, tmp_path):
    """What the cluster skips (pipeline.current_output): the seed article as `translate` saved it."""
    from vi2en import pipeline
    from vi2en.backends import DEFAULT_BEAM, open_translator
    from vi2en.glossary import Glossary

    def translator(beam: int = DEFAULT_BEAM):  # as `translate --model TINY --max-length 8` opens it
        opened = open_translator(tiny_model, beam_size=beam, max_length=8)
        opened.selected_by = "--model"
        return opened

    out, glossary, doc = translated_seed.parent, Glossary.load(test_glossary), pipeline.build_document(seed_article)
    assert pipeline.current_output(doc, out, translator(), glossary).source_sha256 == doc.source_sha256
    assert pipeline.current_output(doc, out, translator(DEFAULT_BEAM + 1), glossary) is None  # the model run another way
    assert pipeline.current_output(doc, out, translator(), Glossary([], version="another")) is None
    edited = tmp_path / seed_article.name
    edited.write_text(seed_article.read_text(encoding="utf-8") + "\nThêm một câu.\n", encoding="utf-8")
    assert pipeline.current_output(pipeline.build_document(edited), out, translator(), glossary) is None
    assert pipeline.current_output(doc, tmp_path, translator(), glossary) is None  # nothing saved there
