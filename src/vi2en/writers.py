"""The output formats `vi2en translate` writes, each rendered from the aligned document.

A new format is one `Writer` in `WRITERS`: the pipeline, the CLI and the contract tests that
every writer must pass (rendering the saved JSON gives the same bytes, article text escaped,
atomic writes) loop over this list.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from vi2en import document, html, tmx
from vi2en.document import Document


@dataclass(frozen=True)
class Writer:
    name: str
    suffix: str
    render: Callable[[Document], str | bytes]
    what: str  # for --help and the README


WRITERS = [
    Writer("json", ".json", document.dumps, "the canonical aligned document (vi2en.aligned/1); every other output is rendered from it"),
    Writer("html", ".html", html.render_html, "side-by-side page: Vietnamese left, English right, scores, flags and terms"),
    Writer("tmx", ".tmx", tmx.render_tmx, "TMX 1.4b, one translation unit per sentence pair, for CAT tools"),
]


def write_outputs(doc: Document, out_dir: Path) -> list[Path]:
    """Every format, as one set: all are rendered and written to temporary files first, then
    renamed into place with the JSON last, so an article whose JSON is there has all its
    outputs, from this run or the one before (a crash never leaves a JSON without its HTML)."""
    paths = [Path(out_dir) / f"{doc.stem}{writer.suffix}" for writer in WRITERS]
    for path in paths:
        if len(os.fsencode(path.name)) > document.NAME_MAX:  # refused by name, before anything is written
            raise document.DocumentError(f"{doc.source_path}: its output {path.name[:30]}… would be over the {document.NAME_MAX} bytes a file name may have; shorten the article's name")
        for stale in Path(out_dir).glob(f"{glob.escape(document.temp_prefix(path))}*.tmp"):  # what a killed run left
            stale.unlink(missing_ok=True)
    rendered = [writer.render(doc) for writer in WRITERS]  # a renderer that fails writes nothing
    staged: list[Path] = []
    try:
        staged = [document.stage(path, data) for path, data in zip(paths, rendered)]
        canonical = [w.name for w in WRITERS].index("json")
        for k in [k for k in range(len(paths)) if k != canonical] + [canonical]:
            os.replace(staged[k], paths[k])
    finally:
        for tmp in staged:
            tmp.unlink(missing_ok=True)
    return paths
