"""Mutation testing: does the suite notice when the code it covers is broken?

Each mutant changes one thing in a module (a comparison, an arithmetic or boolean operator,
a `not`, a number, True/False), the given tests run against it, and a mutant the tests do not
notice survives. The share killed says how much the tests really pin down; the survivors,
listed with their line, are where to look.

    python scripts/mutate.py src/vi2en/score.py src/vi2en/terms.py --tests tests/test_score.py tests/test_terms.py

Mutants are written into a copy of the repository beside it (so `../shared` still resolves)
and the tests run there: the working tree is never touched, and other work can go on.
"""

from __future__ import annotations

import argparse
import ast
import copy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.And: ast.Or, ast.Or: ast.And,
}


def sites(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every place one mutation can be made, with a description of it."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            found += [(node, f"comparison {type(op).__name__} #{k}") for k, op in enumerate(node.ops) if type(op) in SWAPS]
        elif isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in SWAPS:
            found.append((node, f"operator {type(node.op).__name__}"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append((node, "not removed"))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            found.append((node, f"constant {node.value!r}"))
    return found


def mutated(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return 1.0 if value != 1.0 else 0.5


class _Apply(ast.NodeTransformer):
    def __init__(self, target: ast.AST, what: str):
        self.target, self.what = target, what

    def visit(self, node):
        if node is not self.target:
            return self.generic_visit(node)
        if isinstance(node, ast.Compare):
            k = int(self.what.rsplit("#", 1)[1])
            node.ops[k] = SWAPS[type(node.ops[k])]()
        elif isinstance(node, (ast.BinOp, ast.BoolOp)):
            node.op = SWAPS[type(node.op)]()
        elif isinstance(node, ast.UnaryOp):
            return node.operand
        elif isinstance(node, ast.Constant):
            node.value = mutated(node.value)
        return node


def annotation_nodes(tree: ast.AST) -> set[int]:
    """Numbers inside type annotations and default arguments are not behaviour worth mutating."""
    skip = set()
    for node in ast.walk(tree):
        for ann in [getattr(node, "annotation", None), getattr(node, "returns", None)]:
            if ann is not None:
                skip |= {id(n) for n in ast.walk(ann)}
    return skip


def run(module: Path, tests: list[str], timeout: float, copy_root: Path) -> tuple[int, int, list[str]]:
    source = module.read_text(encoding="utf-8")
    target_file = copy_root / module.resolve().relative_to(ROOT)
    tree = ast.parse(source)
    skip = annotation_nodes(tree)
    candidates = [(n, w) for n, w in sites(tree) if id(n) not in skip]
    killed, survivors = 0, []
    # the copy's src/ first: the editable install would otherwise import the working tree's modules
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", f"pythonpath={copy_root / 'src'}", *tests]
    try:
        for k, (node, what) in enumerate(candidates, 1):
            index = [i for i, (n, _) in enumerate(sites(tree)) if n is node][0]
            copy_tree = copy.deepcopy(tree)
            target = sites(copy_tree)[index][0]
            mutant = ast.unparse(ast.fix_missing_locations(_Apply(target, what).visit(copy_tree)))
            target_file.write_text(mutant, encoding="utf-8")
            try:
                result = subprocess.run(command, capture_output=True, timeout=timeout, cwd=copy_root)
                dead = result.returncode != 0
            except subprocess.TimeoutExpired:
                dead = True  # a mutant that hangs the tests is noticed too
            killed += dead
            if not dead:
                survivors.append(f"{module}:{getattr(node, 'lineno', '?')}: {what}")
                print(f"  survived: {survivors[-1]}", flush=True)
            print(f"\r{module.name}: {k}/{len(candidates)} mutants, {killed} killed", end="", file=sys.stderr, flush=True)
    finally:
        target_file.write_text(source, encoding="utf-8")
        print(file=sys.stderr)
    return len(candidates), killed, survivors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="+", type=Path)
    parser.add_argument("--tests", nargs="+", required=True, help="the test files that cover the modules")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per mutant's test run (default 120)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    total = killed = 0
    copy_root = Path(tempfile.mkdtemp(prefix=".mutants-", dir=ROOT.parent))
    try:
        shutil.copytree(ROOT, copy_root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "out"))
        for module in args.modules:
            n, k, survivors = run(module, args.tests, args.timeout, copy_root)
            total, killed = total + n, killed + k
            print(f"{module}: {k} of {n} mutants killed ({k / max(1, n):.0%})")
    finally:
        shutil.rmtree(copy_root, ignore_errors=True)
    print(f"all: {killed} of {total} mutants killed ({killed / max(1, total):.1%}) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
