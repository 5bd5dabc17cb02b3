"""Throughput of `vi2en translate --ray local` against a plain local run on the same folder.

Composes a folder of short news articles from the frozen dev split's Vietnamese (corpus/dev.tsv;
dev, not a test set), translates it once on one machine without Ray and once on a local Ray
cluster, both in this process, and prints articles per hour, per CPU core, and the cluster's
overhead ratio, for the README's sizing table. The cluster figure is given with and without
its start-up (Ray itself, then each actor loading the model), which a long backfill pays once.

usage: python scripts/cluster_benchmark.py [--articles 30] [--sentences 6] [--actors N] [--model NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "corpus" / "dev.tsv"


def compose_articles(folder: Path, count: int, sentences: int, seed: int = 20) -> list[Path]:
    """`count` articles of a title and `sentences` paragraph sentences, drawn from the dev split."""
    pool = [line.split("\t")[0] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    draw = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(1, count + 1):
        title, *body = draw.sample(pool, sentences + 1)
        path = folder / f"composed-{k:03d}.txt"
        path.write_text("\n\n".join([title.rstrip(". "), *body]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def without_timestamp(path: Path) -> dict:
    """An aligned JSON without its `created` time, the one field two runs of the same input differ in."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("created")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--sentences", type=int, default=6, help="paragraph sentences per article")
    parser.add_argument("--actors", type=int, default=os.cpu_count(), help="translator actors, one CPU each (default: the CPU count)")
    parser.add_argument("--model", help="model name or folder (default: the one translate uses)")
    options = parser.parse_args()

    import ray

    from vi2en.cli import main as vi2en

    cores = os.cpu_count()
    model = ["--model", options.model] if options.model else []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        compose_articles(folder, options.articles, options.sentences)
        t = time.perf_counter()
        assert vi2en(["translate", str(folder), "--out", f"{tmp}/plain", "--quiet", *model]) == 0
        plain = time.perf_counter() - t

        t = time.perf_counter()
        ray.init(num_cpus=cores, object_store_memory=200 * 2**20, include_dashboard=False, logging_level="WARNING")
        ray_start = time.perf_counter() - t
        # two articles alone: about what starting the actors and loading the model costs each run
        warm = Path(tmp) / "warm"
        compose_articles(warm, 2, options.sentences, seed=99)
        t = time.perf_counter()
        assert vi2en(["translate", str(warm), "--out", f"{tmp}/warm-out", "--ray", "local", "--actors", str(options.actors), "--quiet", *model]) == 0
        warm_up = time.perf_counter() - t
        t = time.perf_counter()
        assert vi2en(["translate", str(folder), "--out", f"{tmp}/cluster", "--ray", "local", "--actors", str(options.actors), "--quiet", *model]) == 0
        cluster = time.perf_counter() - t
        ray.shutdown()
        same = all(without_timestamp(Path(tmp) / "plain" / p.name) == without_timestamp(p) for p in sorted((Path(tmp) / "cluster").glob("*.json")))

    n = options.articles
    per_hour = lambda seconds: n / seconds * 3600  # noqa: E731
    print(f"{n} composed articles of {options.sentences + 1} segments, {cores} CPU cores, {options.actors} actor(s) of 1 CPU")
    print(f"plain local run:          {plain:6.1f} s  {per_hour(plain):7.0f} articles/h  {per_hour(plain) / cores:6.0f} per core")
    print(f"local Ray cluster:        {cluster:6.1f} s  {per_hour(cluster):7.0f} articles/h  {per_hour(cluster) / options.actors:6.0f} per core")
    print(f"  both include loading the model; the cluster also starts its actors: a run of 2 articles takes {warm_up:.1f} s; starting Ray {ray_start:.1f} s")
    print(f"overhead ratio (cluster time / plain time): {cluster / plain:.2f}; with Ray's start {(cluster + ray_start) / plain:.2f}")
    print(f"JSON outputs identical before the timestamp: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
