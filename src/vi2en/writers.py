"""The output formats `vi2en translate` writes, each rendered from the aligned document.

A new format is one `Writer` in `WRITERS`: the pipeline, the CLI and the contract tests that
every writer must pass (rendering the saved JSON gives the same bytes, article text escaped,
atomic writes) loop over this list.
"""

from __future__ import annotations

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
    """Every format, JSON first (the canonical form), each file written whole or not at all."""
    paths = []
    for writer in WRITERS:
        path = Path(out_dir) / f"{doc.stem}{writer.suffix}"
        document.write_atomic(path, writer.render(doc))
        paths.append(path)
    return paths
