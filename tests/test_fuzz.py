"""Property-based fuzzing of everything that reads what real folders contain (issue #15).

Each `FuzzKind` pairs a Hypothesis strategy for one kind of input with a check that runs it
through the code and raises `Finding` when a promise is broken: an exception other than the
module's own error, a CLI exit that is neither 0 nor one clear line naming the file, or an
output folder holding part of an article's set. The tests run every kind a few dozen times;
`scripts/fuzz.py` runs the same kinds for 10,000+ cases, each in a watched worker process.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vi2en.cli import main
from vi2en.read import RawArticle, ReadError, display_name, read_article
from vi2en.text import drop_controls, has_controls

# ------------------------------------------------------------------ what is checked


class Finding(Exception):
    """A broken promise; `what` is the count it goes to: traceback, unclear or partial."""

    def __init__(self, what: str, detail: str):
        self.what = what
        super().__init__(f"{what}: {detail}")


@dataclass
class Context:
    workdir: Path  # empty, the case's own
    model: Path | None  # a tiny Marian model for `translate`; None skips translating


def run_cli(*argv: str) -> tuple[int, str]:
    """`vi2en …` in-process: (exit status, stderr); an escaping exception is a finding."""
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(list(argv))
    except SystemExit as e:  # argparse
        code = e.code if isinstance(e.code, int) else 2
    except Exception as e:
        raise Finding("traceback", f"vi2en {' '.join(argv)[:200]}: {type(e).__name__}: {e}") from e
    return code, err.getvalue()


def expect_clear(code: int, err: str, path: Path, *, one_line: bool = True) -> None:
    """Exit 0, or a non-zero exit whose message names the file (on one line)."""
    if "Traceback" in err or "could not be translated (" in err:
        raise Finding("traceback", err[-500:])
    if code == 0:
        return
    # transformers' own lines (its "Loading weights" bar, a generation-config warning it prints
    # once) are the backend's noise, not vi2en's message about the file
    lines = [line for line in err.splitlines() if line.strip() and "it/s]" not in line and not line.startswith("[transformers]")]
    if not lines or not lines[0].startswith("vi2en: ") or display_name(path) not in lines[0]:
        raise Finding("unclear", f"exit {code}, message {err[:300]!r} does not name {path.name}")
    if one_line and len(lines) != 1:
        raise Finding("unclear", f"exit {code}, {len(lines)} lines: {err[:300]!r}")


def expect_whole_sets(out: Path) -> None:
    """Every article in the folder has all its outputs, and no temporary file is left."""
    if not out.exists():
        return
    names = [p.name for p in out.iterdir()]
    if any(n.endswith(".tmp") for n in names):
        raise Finding("partial", f"temporary files left: {names}")
    stems: dict[str, set[str]] = {}
    for n in names:
        stem, _, suffix = n.rpartition(".")
        stems.setdefault(stem, set()).add(suffix)
    broken = {s: sorted(x) for s, x in stems.items() if x & {"json", "html", "tmx"} and x != {"json", "html", "tmx"}}
    if broken:
        raise Finding("partial", f"incomplete output sets: {broken}")


def expect_read(path: Path) -> RawArticle | None:
    try:
        return read_article(path)
    except ReadError as e:
        if display_name(path) not in str(e) or "\n" in str(e):
            raise Finding("unclear", f"{e}")
        return None
    except Exception as e:
        raise Finding("traceback", f"read_article({path.name}): {type(e).__name__}: {e}") from e


# ------------------------------------------------------------------ generators

# Pieces real articles are made of, and the bytes that break readers: Vietnamese letters in NFC
# and NFD, punctuation segmenting depends on, markup, entities and control characters.
_PIECES = ["Tỉnh ủy", "Tỉnh uỷ", "Nghệ An", "họp", "phiên", "thường kỳ", "TP.", "Hà Nội", "Q. 1", "ngày 17/01/2024", "21-NQ/TW",
           "Ông", "Bà", "nói", "“", "”", "\"", "(", ")", ".", "..", "…", "!", "?", ":", ";", ",", "-", "–", "1.", "a)", "•",
           " ", " ", " ", "\n", "\n\n", "\r\n", "\t", "Theo TTXVN", "Ảnh: Minh Châu", "PV", "Tiêu đề",
           "e\u0302\u0301", "\u0301", "\u00a0", "\u200b", "\u2028", "\ufeff", "\x00", "\x07", "\x1b", "\x85", "\x9b", "\ufffe",
           "&amp;", "&#7899;", "&nbsp;", "&x;", "<", ">", "<p>", "</p>", "<h1>", "</h1>", "<h2>", "<br>", "<div class=\"share\">",
           "</div>", "<b>", "</b>", "<!--", "-->", "<script>", "</script>", "<html>", "<body>", "<?xml version=\"1.0\"?>",
           "A" * 120, "x" * 2000]

words = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258"]


@st.composite
def text_bytes(draw) -> bytes:
    """Article text in an encoding, sometimes cut short or with bytes flipped, or plain noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    data = draw(words).encode(draw(st.sampled_from(ENCODINGS)), errors="ignore")
    return _damage(draw, data)


def _damage(draw, data: bytes) -> bytes:
    how = draw(st.sampled_from(["none", "none", "cut", "flip"]))
    if how == "cut" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data


@functools.lru_cache(maxsize=1)
def _seed_docx() -> bytes:
    import docx

    made = docx.Document()
    made.add_heading("Tiêu đề bài viết", level=1)
    made.add_paragraph("Tỉnh ủy Nghệ An họp phiên thường kỳ.")
    buffer = io.BytesIO()
    made.save(buffer)
    return buffer.getvalue()


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_XML_PIECES = ["<w:p>", "</w:p>", "<w:r>", "</w:r>", "<w:t>", "</w:t>", "<w:br/>", "<w:tab/>", "&amp;", "&#7899;", "&vna;",
               "&#0;", "<w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr>", "<w:b/>"]


@st.composite
def docx_bytes(draw) -> bytes:
    """The seed .docx with its document part rewritten, declared entities included, or its bytes damaged."""
    seed = _seed_docx()
    if draw(st.booleans()):
        return _damage(draw, seed) if draw(st.booleans()) else seed[: draw(st.integers(0, len(seed)))]
    body = draw(st.lists(st.one_of(st.sampled_from(_XML_PIECES), words.map(_xml_escape)), max_size=40).map("".join))
    doctype = draw(st.sampled_from(["", '<!DOCTYPE w:document [<!ENTITY vna "TTXVN">]>']))
    part = f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<w:document {_W}><w:body>{body}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(seed)) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, part.encode("utf-8", "surrogatepass") if item.filename == "word/document.xml" else src.read(item))
    return buffer.getvalue()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


article_files = st.one_of(
    st.tuples(st.sampled_from([".txt", ".md", ".html", ".htm", ""]), text_bytes()),
    st.tuples(st.just(".docx"), docx_bytes()),
)


# ------------------------------------------------------------------ checks, one per kind


def check_reader(case: tuple[str, bytes], ctx: Context) -> None:
    suffix, data = case
    path = ctx.workdir / f"article{suffix}"
    path.write_bytes(data)
    article = expect_read(path)
    if article is not None:
        for text, _ in article.paragraphs:
            if not text or text != text.strip() or has_controls(text):
                raise Finding("traceback", f"reader gave a paragraph a writer cannot hold: {text[:80]!r}")


paragraph_lists = st.lists(st.tuples(words, st.sampled_from([None, "title", "heading", "caption", "lead", "quote"])), max_size=20)


def check_segmenter(paragraphs: list[tuple[str, str | None]], ctx: Context) -> None:
    """structure → segment_block on any paragraphs: every character of a block lands in one segment."""
    from vi2en.segment import segment_block
    from vi2en.structure import article_date, structure

    paragraphs = [(" ".join(t.split()), h) for t, h in paragraphs if t.strip()]
    try:
        blocks = structure(RawArticle("x.txt", "", "txt", paragraphs))
        article_date(blocks)
        for block in blocks:
            if block.translated:
                segments = segment_block(block)
                if "".join("".join(s.vi for s in segments).split()) != "".join(block.text.split()):
                    raise Finding("traceback", f"segments lose text of {block.text[:80]!r}")
    except Finding:
        raise
    except Exception as e:
        raise Finding("traceback", f"structure/segment: {type(e).__name__}: {e}") from e


_FIELDS = st.one_of(st.sampled_from(["Bộ Chính trị", "Politburo", "Tỉnh ủy {province}", "{province}", "body", "place", "title",
                                     "2024-01-01", "2023-13-40", "", " ", "province"]), words,
                    words.map(lambda w: w * 300))
glossary_rows = st.lists(st.fixed_dictionaries({"vi": _FIELDS, "en": _FIELDS, "kind": st.sampled_from(["body", "place", "part", "", "odd"]),
                                                "slot": st.sampled_from(["", "province", "Bad Slot"]), "valid_from": _FIELDS,
                                                "domain": st.sampled_from(["imported", "extra", "Bad Domain", ""])}), max_size=6)
glossary_files = st.tuples(st.sampled_from(["tsv", "csv", "tbx"]), glossary_rows, st.sampled_from(["none", "none", "cut", "flip"]),
                           st.integers(0, 2**16))


def render_glossary(fmt: str, rows: list[dict[str, str]]) -> bytes:
    from vi2en.glossary_edit import EXPORT_COLUMNS

    if fmt == "tbx":
        def x(value: str) -> str:
            return _xml_escape(drop_controls(value))

        notes = lambda r: "".join(f"<note>vi2en-{c}: {x(r[c])}</note>" for c in ("kind", "slot", "valid_from") if r[c])  # noqa: E731
        concepts = "".join(f'<conceptEntry id="c{n}"><descrip type="subjectField">{x(r["domain"])}</descrip>{notes(r)}'
                           f'<langSec xml:lang="vi"><termSec><term>{x(r["vi"])}</term></termSec></langSec>'
                           f'<langSec xml:lang="en"><termSec><term>{x(r["en"])}</term></termSec></langSec></conceptEntry>\n'
                           for n, r in enumerate(rows, 1))
        return (f'<?xml version="1.0"?>\n<tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic" style="dca" xml:lang="vi">'
                f"<text><body>\n{concepts}</body></text></tbx>\n").encode("utf-8", "surrogatepass")
    columns = [c for c in EXPORT_COLUMNS if c in ("vi", "en", "kind", "slot", "valid_from", "domain")]
    if fmt == "tsv":
        lines = ["\t".join(columns)] + ["\t".join(r[c] for c in columns) for r in rows]
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([columns] + [[r[c] for c in columns] for r in rows])
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def _small_glossary(folder: Path) -> Path:
    folder.mkdir()
    (folder / "titles.tsv").write_text("vi\ten\tkind\nBan Bí thư\tSecretariat\tbody\nTỉnh ủy\tProvincial Party Committee\tbody\n", encoding="utf-8")
    return folder


def check_glossary_import(case: tuple[str, list[dict[str, str]], str, int], ctx: Context) -> None:
    """Whatever is imported, the glossary is left usable: `glossary check` passes and it loads."""
    fmt, rows, damage, at = case
    data = render_glossary(fmt, rows)
    if damage == "cut":
        data = data[: at % (len(data) + 1)]
    elif damage == "flip" and data:
        data = data[: at % len(data)] + bytes([at % 256]) + data[at % len(data) + 1 :]
    glossary = _small_glossary(ctx.workdir / "glossary")
    source = ctx.workdir / f"import.{fmt}"
    source.write_bytes(data)
    expect_clear(*run_cli("glossary", "import", str(source), "--glossary", str(glossary)), source)
    code, err = run_cli("glossary", "check", "--glossary", str(glossary))
    if code != 0:
        raise Finding("traceback", f"the glossary is broken after an import that was accepted or refused: {err[-300:]!r}")


@functools.lru_cache(maxsize=1)
def _seed_json() -> str:
    """An aligned JSON document of a two-sentence article (no model needed: the English is made up)."""
    from vi2en import document, pipeline

    with tempfile.TemporaryDirectory() as folder:
        article = Path(folder) / "bai.txt"
        article.write_text("Tiêu đề bài viết\n\nTỉnh ủy Nghệ An họp phiên thường kỳ. Hội nghị kết thúc.\n", encoding="utf-8")
        doc = pipeline.build_document(article)
    for s in doc.segments:
        s.en = f"English {s.id}."
    return document.dumps(doc)


def _seed_document(folder: Path) -> Path:
    path = folder / "out" / "bai.json"
    path.parent.mkdir()
    path.write_text(_seed_json(), encoding="utf-8")
    return path


@st.composite
def xliff_edits(draw) -> dict[str, Any]:
    return {
        "target": draw(st.one_of(st.none(), words.map(drop_controls))),  # set through lxml, which escapes
        "state": draw(st.sampled_from(["final", "reviewed", "translated", "initial", "bogus", None])),
        "original": draw(st.one_of(st.none(), st.sampled_from(["folder.json", "n" * 300 + ".json", "../bai.json", ".json", "", "bai.json#x"]),
                                   words.map(drop_controls))),
        "unit": draw(st.one_of(st.none(), st.sampled_from(["", "p1.s1", "p9.s9"]))),
        "version": draw(st.sampled_from([None, "0", "7", "x"])),
        "doctype": draw(st.booleans()),
        "cut": draw(st.one_of(st.none(), st.integers(0, 4000))),
    }


def check_xliff_import(edits: dict[str, Any], ctx: Context) -> None:
    from lxml import etree

    from vi2en.xliff import NS, VERSION_ATTR, render_xliff
    from vi2en import document

    doc_path = _seed_document(ctx.workdir)
    (doc_path.parent / "folder.json").mkdir()
    root = etree.fromstring(render_xliff(document.load(doc_path)))
    unit = root.find(f".//{{{NS}}}unit")
    seg = unit.find(f"{{{NS}}}segment")
    if edits["target"] is not None:
        seg.find(f"{{{NS}}}target").text = edits["target"]
    if edits["state"] is not None:
        seg.set("state", edits["state"])
    if edits["original"] is not None:
        root.find(f"{{{NS}}}file").set("original", edits["original"])
    if edits["unit"] is not None:
        unit.set("id", edits["unit"])
    if edits["version"] is not None:
        unit.set(VERSION_ATTR, edits["version"])
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if edits["doctype"]:
        data = data.replace(b"?>", b'?><!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>', 1)
    if edits["cut"] is not None:
        data = data[: edits["cut"]]
    xlf = ctx.workdir / "edited.xlf"
    xlf.write_bytes(data)
    expect_clear(*run_cli("xliff", "import", str(xlf), "--out", str(doc_path.parent), "--editor", "fuzz"), xlf, one_line=False)


@st.composite
def tmx_bytes(draw) -> bytes:
    seg = lambda: draw(words.map(_xml_escape))  # noqa: E731
    tus = "".join(f'<tu><tuv xml:lang="{draw(st.sampled_from(["vi", "en", "VI-vn", ""]))}"><seg>{seg()}</seg></tuv>'
                  f'<tuv xml:lang="en"><seg>{seg()}</seg></tuv></tu>' for _ in range(draw(st.integers(0, 4))))
    doctype = draw(st.sampled_from(["", '<!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>']))
    data = f'<?xml version="1.0"?>{doctype}<tmx version="1.4"><header/><body>{tus}&b;</body></tmx>'.encode("utf-8", "surrogatepass")
    return _damage(draw, data)


def check_tmx(data: bytes, ctx: Context) -> None:
    from vi2en.corpus import DataError, read_tmx

    path = ctx.workdir / "memory.tmx"
    path.write_bytes(data)
    try:
        pairs = read_tmx(path)
    except DataError as e:
        if str(path) not in str(e):
            raise Finding("unclear", str(e))
        return
    except Exception as e:
        raise Finding("traceback", f"read_tmx: {type(e).__name__}: {e}") from e
    if any("a" * 20 in vi + en for vi, en in pairs):
        raise Finding("traceback", "an internal entity was expanded")


def check_cli_segment(case: tuple[str, bytes], ctx: Context) -> None:
    suffix, data = case
    path = ctx.workdir / f"article{suffix}"
    path.write_bytes(data)
    expect_clear(*run_cli("segment", str(path)), path)


def check_cli_translate(case: tuple[str, bytes], ctx: Context) -> None:
    """A good article beside the fuzzed one: it is always translated, and every set is whole."""
    if ctx.model is None:
        return
    suffix, data = case
    path, good, out = ctx.workdir / f"fuzzed{suffix}", ctx.workdir / "good.txt", ctx.workdir / "out"
    path.write_bytes(data)
    good.write_text("Tiêu đề\n\nTỉnh ủy Nghệ An họp.\n", encoding="utf-8")
    code, err = run_cli("translate", str(path), str(good), "--out", str(out), "--model", str(ctx.model), "--max-length", "4", "--quiet")
    expect_clear(code, err, path)
    expect_whole_sets(out)
    if not (out / "good.json").exists():
        raise Finding("traceback", f"the good article after {path.name} was not translated: {err[:300]!r}")


@dataclass(frozen=True)
class FuzzKind:
    name: str
    strategy: st.SearchStrategy
    check: Callable[[Any, Context], None]
    examples: int  # in the test suite; scripts/fuzz.py shares out its cases in the same proportions


KINDS = {k.name: k for k in [
    FuzzKind("reader", article_files, check_reader, 60),
    FuzzKind("segmenter", paragraph_lists, check_segmenter, 60),
    FuzzKind("glossary-import", glossary_files, check_glossary_import, 30),
    FuzzKind("xliff-import", xliff_edits(), check_xliff_import, 25),
    FuzzKind("tmx", tmx_bytes(), check_tmx, 40),
    FuzzKind("cli-segment", article_files, check_cli_segment, 30),
    FuzzKind("cli-translate", article_files, check_cli_translate, 10),
]}


def run_case(kind: str, value: Any, model: Path | None) -> None:
    """One case in a fresh folder of its own."""
    with tempfile.TemporaryDirectory(prefix="vi2en-fuzz-") as folder:
        KINDS[kind].check(value, Context(Path(folder), model))


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("kind", list(KINDS))
def test_fuzz(kind, tiny_model):
    @settings(max_examples=KINDS[kind].examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(KINDS[kind].strategy)
    def case(value):
        run_case(kind, value, tiny_model)

    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model's steps: a thread pool only waits on a busy machine
    try:
        case()
    finally:
        torch.set_num_threads(threads)


def test_the_checks_catch_what_they_promise(tmp_path):
    """The fuzz checks themselves: a crash, a message that names no file and a half set are findings."""
    assert run_cli("glossary", "import")[0] == 2  # argparse's exit is a status, not a finding
    with pytest.raises(Finding, match="unclear"):
        expect_clear(1, "vi2en: something went wrong\n", tmp_path / "a.txt")
    expect_clear(1, f"vi2en: {tmp_path / 'a.txt'}: no such file\n", tmp_path / "a.txt")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.json").write_text("{}")
    with pytest.raises(Finding, match="partial"):
        expect_whole_sets(tmp_path / "out")
