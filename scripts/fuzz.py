"""The long fuzz run of issue #15: the kinds of tests/test_fuzz.py for 10,000+ cases.

Hypothesis draws each case here; a worker process runs it (so a hang in C code, which no
signal interrupts, is still caught): a case that uses --timeout seconds of CPU, or waits six
times that long (a blocking read), is a hang; the worker is killed and a fresh one goes on. CPU
time, not wall time, on a machine shared with others: a busy machine slows a case, it never
makes one loop. Prints the counts per input kind: cases, tracebacks, hangs,
unclear messages, partial output sets.

example:
  nice python scripts/fuzz.py                      # 10,500 cases, all kinds
  python scripts/fuzz.py --cases 700 --kinds reader tmx --show 3
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

# one thread a worker: on a busy machine torch's thread pool makes a tiny model's step 7x slower
os.environ.setdefault("OMP_NUM_THREADS", "1")
TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
OUTCOMES = ["traceback", "hang", "unclear", "partial"]


def worker(conn, model: Path | None) -> None:
    import test_fuzz

    while True:
        job = conn.recv()
        if job is None:
            return
        kind, value = job
        try:
            test_fuzz.run_case(kind, value, model)
            conn.send(("ok", ""))
        except test_fuzz.Finding as f:
            conn.send((f.what, str(f)[:2000]))
        except BaseException:  # anything the check itself did not expect
            conn.send(("traceback", traceback.format_exc()[-2000:]))


class Watched:
    """A worker process and the one case it runs at a time, under a timeout."""

    def __init__(self, model: Path | None, timeout: float):
        self.model, self.timeout = model, timeout
        self.context = multiprocessing.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self.conn, child = self.context.Pipe()
        self.process = self.context.Process(target=worker, args=(child, self.model), daemon=True)
        self.process.start()
        self.fresh = True  # its first case also pays for the imports

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def run(self, kind: str, value) -> tuple[str, str]:
        self.conn.send((kind, value))
        started, cpu = time.monotonic(), self.cpu_seconds()
        allowance = 20 if self.fresh else 0  # its imports (torch, for translating)
        while not self.conn.poll(0.5):
            if not self.process.is_alive():
                self._start()
                return "traceback", f"the worker died (exit {self.process.exitcode})"
            used, waited = self.cpu_seconds() - cpu, time.monotonic() - started
            if used > self.timeout + allowance or waited > 6 * (self.timeout + allowance):
                self.process.kill()
                self.process.join()
                self._start()
                return "hang", f"no answer after {used:.0f} s of CPU, {waited:.0f} s"
        self.fresh = False
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(10)


def run_kind(kind: str, cases: int, watched: Watched, counts: dict[str, Counter], examples: dict[str, list[str]]) -> None:
    import test_fuzz
    from hypothesis import HealthCheck, Phase, given, settings

    counter = counts[kind]
    watched.fresh = True  # the first case of a kind pays for its imports (torch, for translating)

    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(test_fuzz.KINDS[kind].strategy)
    def case(value):
        outcome, detail = watched.run(kind, value)
        counter["cases"] += 1
        if outcome != "ok":
            counter[outcome] += 1
            examples.setdefault(outcome, []).append(f"[{kind}] {detail}\n    input: {value!r:.300}")
        if counter["cases"] % 100 == 0:
            print(f"  {kind}: {counter['cases']} of {cases}", file=sys.stderr, flush=True)

    case()


def _row(kind: str, c: Counter) -> None:
    print(f"{kind:16} {c['cases']:6d} " + " ".join(f"{c[o]:9d}" for o in OUTCOMES), flush=True)


def main(argv: list[str] | None = None) -> int:
    import test_fuzz

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_500, help="cases in all, shared out over the kinds by their weight in the tests (default: 10500)")
    parser.add_argument("--kinds", nargs="+", choices=list(test_fuzz.KINDS), default=list(test_fuzz.KINDS))
    parser.add_argument("--timeout", type=float, default=10, help="CPU seconds one case may use before it counts as a hang (default: 10)")
    parser.add_argument("--model", help="model folder for the translate cases (default: a tiny random Marian model built here)")
    parser.add_argument("--show", type=int, default=5, help="findings shown per outcome (default: 5)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vi2en-fuzz-model-") as folder:
        model = Path(args.model) if args.model else None
        if model is None and "cli-translate" in args.kinds:
            from conftest import build_tiny_model

            model = build_tiny_model(Path(folder))
        watched = Watched(model, args.timeout)
        counts = {k: Counter() for k in args.kinds}
        examples: dict[str, list[str]] = {}
        kind = args.kinds[0]
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # a stopped run still prints its counts
        print(f"{'kind':16} {'cases':>6} " + " ".join(f"{o:>9}" for o in OUTCOMES), flush=True)
        try:
            # shared out as the test suite weighs the kinds: a translate case costs a hundred reads
            weights = {k: test_fuzz.KINDS[k].examples for k in args.kinds}
            for kind in args.kinds:
                run_kind(kind, max(1, round(args.cases * weights[kind] / sum(weights.values()))), watched, counts, examples)
                _row(kind, counts[kind])
        except KeyboardInterrupt:
            print(f"stopped during {kind}: its {counts[kind]['cases']} cases so far are counted", flush=True)
            _row(kind, counts[kind])
        finally:
            watched.close()
    _row("all", sum(counts.values(), Counter()))
    total = sum(counts.values(), Counter())
    print(f"in {time.monotonic() - started:.0f} s, {args.timeout:.0f} s of CPU a case at most")
    for outcome, found in examples.items():
        print(f"\n{outcome} ({len(found)}):")
        for line in found[: args.show]:
            print(f"  {line}")
    return 1 if any(total[o] for o in OUTCOMES) else 0


if __name__ == "__main__":
    raise SystemExit(main())
