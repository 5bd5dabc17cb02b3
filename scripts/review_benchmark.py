"""Review desk throughput with several editors at once: article pages and saves per second.

Builds a folder of articles from corpus/dev.tsv sentences (dev, not a test set; the reference
English stands in for the machine draft), adds two accounts, starts `vi2en review` in its own
process as a newsroom would, and runs CLIENTS logged-in clients for SECONDS per phase:

  page   GET /a/ARTICLE (merge with the memory, re-checks, memory matches, rendering)
  save   POST /a/ARTICLE/save, each client editing sentences of its own (optimistic versions)
  static GET /static/review.css, the floor: what the server costs without any vi2en work

Timings on a shared machine are noisy, so the page and save rates are also given as ratios to
the static rate of the same run. Every acknowledged save is checked against the memory at the
end: the count of history rows must equal the saves the server answered 200.

  python scripts/review_benchmark.py                     # 4 clients, 10 s per phase
  python scripts/review_benchmark.py --clients 8 --seconds 20 --sentences 60
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vi2en import document  # noqa: E402
from vi2en.document import Block, Document, Segment  # noqa: E402
from vi2en.memory import Memory  # noqa: E402


def build_folder(folder: Path, articles: int, sentences: int) -> list[str]:
    pairs = [line.split("\t") for line in (ROOT / "corpus" / "dev.tsv").read_text(encoding="utf-8").splitlines() if "\t" in line]
    names = []
    for a in range(articles):
        chosen = pairs[a * sentences:(a + 1) * sentences]
        blocks = [Block(f"p{i}", "paragraph", vi, [Segment(f"p{i}.s1", vi, en.strip(), score=60.0)]) for i, (vi, en) in enumerate(chosen, 1)]
        name = f"bench-{a}"
        document.save(Document(f"{name}.txt", f"{a:064x}", blocks, date="2024-01-01", summary={"segments": len(blocks), "mean_score": 60.0, "flagged": 0}), folder / f"{name}.json")
        names.append(name)
    return names


def log_in(base: str, name: str, password: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(base + "login").text).group(1)
    session.post(base + "login", data={"name": name, "password": password, "csrf_token": token}).raise_for_status()
    page = session.get(base)
    page.raise_for_status()
    return session, re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def run_phase(clients: list[tuple[requests.Session, str]], seconds: float, work) -> tuple[int, int]:
    """(requests answered 2xx, others) by all clients together in `seconds`."""
    done, failed, stop = [0] * len(clients), [0] * len(clients), time.monotonic() + seconds

    def loop(i: int) -> None:
        n = 0
        while time.monotonic() < stop:
            ok = work(i, n, *clients[i])
            done[i] += ok
            failed[i] += not ok
            n += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), sum(failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--sentences", type=int, default=40, help="sentences per article (default: 40)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "out"
        folder.mkdir()
        names = build_folder(folder, args.articles, args.sentences)
        memory = Memory(folder / "vi2en-tm.sqlite", create=True)
        memory.add_user("lan", "reviewer", "lan-password")
        memory.add_user("minh", "translator", "minh-password")
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen([sys.executable, "-m", "vi2en", "review", str(folder), "--port", "0"], stdout=subprocess.PIPE, text=True, env=env)
        try:
            base = re.search(r"(http://127\.0\.0\.1:\d+/)", server.stdout.readline()).group(1)
            clients = [log_in(base, *(("lan", "lan-password") if i % 2 else ("minh", "minh-password"))) for i in range(args.clients)]
            versions: dict[tuple[str, str], int] = {}

            def static(i, n, session, token):
                return session.get(base + "static/review.css").ok

            def page(i, n, session, token):
                return session.get(f"{base}a/{names[n % len(names)]}").ok

            def save(i, n, session, token):
                # each client its own sentences, so no two clients race for one (conflicts are tested elsewhere)
                owned = range(i, args.sentences, args.clients)
                name, sid = names[n % len(names)], f"p{owned[(n // len(names)) % len(owned)] + 1}.s1"
                key = (name, sid)
                reply = session.post(f"{base}a/{name}/save", headers={"X-CSRFToken": token},
                                     json={"changes": [{"id": sid, "en": f"Edit {n} by client {i}.", "version": versions.get(key, 0)}]})
                if reply.ok:
                    versions[key] = reply.json()["entries"][sid]["version"]
                return reply.ok

            rates = {}
            for label, work in (("static", static), ("page", page), ("save", save)):
                ok, failed = run_phase(clients, args.seconds, work)
                rates[label] = ok / args.seconds
                print(f"{label:6} {rates[label]:7.1f} /s  ({ok} answered, {failed} refused or failed, {args.clients} clients, {args.seconds:g} s)", flush=True)
                if label == "save":
                    saved = ok
        finally:
            server.terminate()
            server.wait(timeout=10)
        rows = sqlite3.connect(folder / "vi2en-tm.sqlite").execute("SELECT COUNT(*) FROM history").fetchone()[0]
        print(f"page / static {rates['page'] / rates['static']:.3f} · save / static {rates['save'] / rates['static']:.3f}")
        print(f"acknowledged saves {saved}, history rows {rows}: {'none lost' if rows == saved else 'MISMATCH'}")
        return 0 if rows == saved else 1


if __name__ == "__main__":
    sys.exit(main())
