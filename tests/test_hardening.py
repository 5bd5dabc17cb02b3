"""What real folders contain: each bad input gets one clear line naming the file, the batch goes
on, and nothing is written half-way (regression tests for the fuzzing run's findings, issue #15).

The eleven cases of the issue, and their tests here:
 1 malformed .docx               test_a_malformed_docx_is_one_line_and_the_batch_goes_on
 2 glossary field too long       test_a_glossary_import_is_checked_field_by_field_before_anything_is_written,
                                 test_a_glossary_file_with_an_overlong_field_is_a_problem_with_its_line_not_a_crash
 3 quadratic structuring         test_structuring_and_segmenting_are_linear_in_the_number_of_paragraphs
 4 no limits                     test_a_zip_bomb_is_refused_before_it_is_unpacked, test_files_that_are_not_regular_files_are_refused,
                                 test_size_limits_are_clear_and_adjustable
 5 same stem                     test_inputs_with_the_same_stem_are_refused_before_anything_is_written
 6 XLIFF export/import           test_xliff_export_survives_control_characters_and_import_refuses_a_bad_original,
                                 test_control_characters_never_reach_a_writer
 7 TMX XML errors, entities      test_a_broken_or_hostile_tmx_is_one_line_and_expands_nothing
 8 non-UTF-8 file name           test_a_file_name_that_is_not_utf8_is_one_line
 9 cut UTF-8, HTML fragment      test_utf8_cut_inside_a_character_is_named_never_mojibake_and_an_html_fragment_is_html
10 kill -9 during translate      test_kill_9_during_translate_never_leaves_a_json_without_its_html_and_tmx
11 long name, TBX errors, entity test_a_244_character_input_name_is_named_in_the_message_never_a_temporary_file,
                                 test_tbx_import_errors_name_the_file_and_the_line, test_an_entity_reference_in_a_docx_keeps_the_text_after_it
The fuzz suite itself is tests/test_fuzz.py; scripts/fuzz.py runs it for 10,000+ cases.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from vi2en.cli import main
from vi2en.read import Limits, ReadError, read_article

from test_read import cp1258_bytes  # tests/ is on the path (pytest prepend mode)

ARTICLE = "Tiêu đề bài viết\n\nTỉnh ủy Nghệ An họp phiên thường kỳ.\n"


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_a_malformed_docx_is_one_line_and_the_batch_goes_on(tiny_model, tmp_path, capsys):
    broken = tmp_path / "a-broken.docx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:  # a zip with a document part that is not WordprocessingML
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document><w:body><w:p>&undefined;</w:p></w:body></w:document>")
    broken.write_bytes(buffer.getvalue())
    good = tmp_path / "b-good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    code, err = run(capsys, "translate", str(broken), str(good), "--out", str(tmp_path / "out"), "--model", str(tiny_model), "--max-length", "4", "--quiet")
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"vi2en: {broken}: not a readable .docx file")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b-good.html", "b-good.json", "b-good.tmx"]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (3 * 2**20))
    with pytest.raises(ReadError, match=r"bomb\.docx: unpacks to 3 MB, over the 1 MB limit for a \.docx"):
        read_article(bomb, Limits(docx_bytes=2**20))


def test_files_that_are_not_regular_files_are_refused(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match=r"pipe\.txt: not a regular file"):
        read_article(fifo)  # would block for ever
    with pytest.raises(ReadError, match=r"/dev/zero: not a regular file"):
        read_article("/dev/zero")  # would never end


def test_size_limits_are_clear_and_adjustable(tmp_path, capsys):
    big = tmp_path / "big.txt"
    big.write_text("Tiêu đề\n\n" + "Một câu. " * 200_000, encoding="utf-8")
    with pytest.raises(ReadError, match=r"big\.txt: 2\.3 MB is over the 1 MB limit for one article \(--max-file-mb\)"):
        read_article(big, Limits(file_bytes=2**20))
    many = tmp_path / "many.txt"
    many.write_text("\n\n".join(f"Đoạn {i}." for i in range(30)), encoding="utf-8")
    with pytest.raises(ReadError, match=r"many\.txt: 30 paragraphs, over the limit of 20"):
        read_article(many, Limits(paragraphs=20))
    code, err = run(capsys, "segment", str(many), "--max-paragraphs", "20")
    assert code == 1 and "over the limit of 20 for one article (--max-paragraphs)" in err
    assert run(capsys, "segment", str(many), "--max-paragraphs", "30")[0] == 0


def test_inputs_with_the_same_stem_are_refused_before_anything_is_written(tiny_model, tmp_path, capsys):
    (tmp_path / "same.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "same.html").write_text(f"<html><body><h1>Tiêu đề</h1><p>{ARTICLE}</p></body></html>", encoding="utf-8")
    code, err = run(capsys, "translate", str(tmp_path / "same.html"), str(tmp_path / "same.txt"), "--out", str(tmp_path / "out"), "--model", str(tiny_model), "--quiet")
    assert code == 2 and f"{tmp_path / 'same.html'} and {tmp_path / 'same.txt'} would write the same outputs" in err
    assert not (tmp_path / "out").exists()


def test_a_file_name_that_is_not_utf8_is_one_line(tmp_path, capsys):
    name = os.fsdecode(b"bai-\xff.txt")
    (tmp_path / name).write_text(ARTICLE, encoding="utf-8")
    code, err = run(capsys, "segment", str(tmp_path / name))
    assert code == 1 and "bai-\ufffd.txt: the file name is not valid UTF-8; rename the file" in err


def test_control_characters_never_reach_a_writer(tmp_path):
    path = tmp_path / "ctrl.txt"
    path.write_text("Tiêu\x1b đề\n\nCâu\x07 một\x9b có\x7f ký tự lạ.\n", encoding="utf-8")
    article = read_article(path)
    assert [t for t, _ in article.paragraphs] == ["Tiêu đề", "Câu một có ký tự lạ."]
    page = tmp_path / "ctrl.html"  # lxml parses these, then refuses them when a comment's tail is moved
    page.write_text("<html><body><h1>Tiêu đề bài viết</h1><p>Câu một<?php x ?>\ufffe có\x07 ký tự lạ, đủ dài cho một đoạn văn.</p></body></html>", encoding="utf-8")
    assert [t for t, _ in read_article(page).paragraphs] == ["Tiêu đề bài viết", "Câu một có ký tự lạ, đủ dài cho một đoạn văn."]
    path.write_text("Tiêu\x00 đề\n", encoding="utf-8")  # a NUL: a binary file, not an article
    with pytest.raises(ReadError, match=r"ctrl\.txt: binary file, not text"):
        read_article(path)


def test_a_broken_or_hostile_tmx_is_one_line_and_expands_nothing(tmp_path):
    from vi2en.corpus import DataError, read_tmx

    broken = tmp_path / "broken.tmx"
    broken.write_text('<tmx version="1.4"><body><tu><tuv xml:lang="vi"><seg>Một', encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.tmx: not a readable TMX file"):
        read_tmx(broken)
    laughs = tmp_path / "laughs.tmx"
    laughs.write_text('<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                      '<tmx version="1.4"><body><tu><tuv xml:lang="vi"><seg>Một &b;</seg></tuv><tuv xml:lang="en"><seg>One</seg></tuv></tu></body></tmx>', encoding="utf-8")
    assert read_tmx(laughs) == [("Một &b;", "One")]  # the reference stays as written, never expanded into a hundred a's


def test_xliff_export_survives_control_characters_and_import_refuses_a_bad_original(seed_out, translated_seed, tmp_path, capsys):
    from vi2en import document
    from vi2en.memory import Change, Memory

    doc_path = seed_out / translated_seed.name
    doc = document.load(doc_path)
    first = doc.segments[0]
    # the save API (review desk, tm import) let an editor's pasted control characters through
    Memory(seed_out / "vi2en-tm.sqlite", create=True).save(doc, [Change(first.id, first.vi, "Bell\x07 and\x1b escape\ufffe.", False, 0)], "lan")
    xlf = tmp_path / "doc.xlf"
    assert run(capsys, "xliff", "export", str(doc_path), "-o", str(xlf))[0] == 0
    assert "Bell and escape." in xlf.read_text(encoding="utf-8")
    (seed_out / "folder.json").mkdir()
    for name in ("folder", "n" * 300):
        text = xlf.read_text(encoding="utf-8")
        bad = tmp_path / "bad.xlf"
        bad.write_text(text.replace(f'original="{doc.stem}.json', f'original="{name}.json'), encoding="utf-8")
        code, err = run(capsys, "xliff", "import", str(bad), "--out", str(seed_out), "--editor", "lan")
        assert code == 1 and err.startswith(f"vi2en: {bad}: not imported") and "Traceback" not in err
        assert "cannot read" in err and "Errno" not in err


def _docx_with_body(tmp_path, name: str, doctype: str, body: str) -> Path:
    """A real .docx (made by python-docx) whose document part is replaced by the given XML."""
    import docx

    made = tmp_path / f"made-{name}"
    docx.Document().save(made)
    path = tmp_path / name
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
                data = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
                        f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>').encode("utf-8")
            dst.writestr(item, data)
    return path


def test_utf8_cut_inside_a_character_is_named_never_mojibake_and_an_html_fragment_is_html(tmp_path):
    cut = tmp_path / "cut.txt"
    cut.write_bytes("Tiêu đề\n\nTỉnh ủy họp phiên thường kỳ".encode("utf-8")[:-1])  # the last ỳ loses a byte
    with pytest.raises(ReadError, match=r"cut\.txt: the file ends inside a UTF-8 character \(cut short\?\)"):
        read_article(cut)
    short = tmp_path / "short.txt"
    short.write_bytes("Tiê".encode("utf-8")[:-1])  # as cp1258 this would read "TiÃ"
    with pytest.raises(ReadError, match=r"short\.txt: the file ends inside a UTF-8 character"):
        read_article(short)
    broken = tmp_path / "broken.txt"
    broken.write_bytes("Tiêu đề\n\nTỉnh ủy họp ".encode("utf-8") + b"\xff\xfe" + "phiên thường kỳ.\n".encode("utf-8"))
    with pytest.raises(ReadError, match=r"broken\.txt:3: broken UTF-8 text \(2 bytes that are not UTF-8\)"):
        read_article(broken)
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes(cp1258_bytes("Tiêu đề\n\nTỉnh ủy họp phiên thường kỳ.\n"))  # a real Windows-1258 file still reads
    assert read_article(legacy).paragraphs[1][0] == "Tỉnh ủy họp phiên thường kỳ."
    fragment = tmp_path / "fragment.html"
    fragment.write_text("<h2>Tiêu đề bài viết hôm nay</h2>\n<b>Tỉnh ủy</b> Nghệ An họp phiên thường kỳ.<br>Câu thứ hai.\n", encoding="utf-8")
    article = read_article(fragment)
    assert article.format == "html"
    assert [t for t, _ in article.paragraphs] == ["Tiêu đề bài viết hôm nay", "Tỉnh ủy Nghệ An họp phiên thường kỳ.", "Câu thứ hai."]


def test_an_entity_reference_in_a_docx_keeps_the_text_after_it(tmp_path):
    path = _docx_with_body(tmp_path, "entities.docx", '<!DOCTYPE w:document [<!ENTITY vna "TTXVN">]>',
                           "<w:p><w:r><w:t>Tiêu đề &amp; phụ đề</w:t></w:r></w:p>"
                           "<w:p><w:r><w:t>Theo &vna; và b&#7899;i người viết, hết câu.</w:t></w:r></w:p>")
    assert [t for t, _ in read_article(path).paragraphs] == ["Tiêu đề & phụ đề", "Theo &vna; và bới người viết, hết câu."]


def _tbx(*terms: tuple[str, str], notes: str = "<note>vi2en-kind: body</note>", domain: str = "imported") -> str:
    concepts = "".join(f'<conceptEntry id="c{n}"><descrip type="subjectField">{domain}</descrip>{notes}'
                       f'<langSec xml:lang="vi"><termSec><term>{vi}</term></termSec></langSec>'
                       f'<langSec xml:lang="en"><termSec><term>{en}</term></termSec></langSec></conceptEntry>'
                       for n, (vi, en) in enumerate(terms, start=1))
    return f'<?xml version="1.0"?>\n<tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic" style="dca" xml:lang="vi">\n<text><body>\n{concepts}\n</body></text></tbx>\n'


@pytest.mark.parametrize("vi, en, message", [
    ("Ủy ban " * 20_000, "Committee", r":4: vi: 139999 characters, over the limit of 1000 for a glossary field"),
    ("Ủy ban\nnhân dân", "People's Committee", r":4: vi: a tab or line break inside the field"),
    ("Ủy ban\tnhân dân", "People's Committee", r":4: vi: a tab or line break inside the field"),
    ("Ủy ban\u2028nhân dân", "People's Committee", r":4: vi: a tab or line break inside the field"),
    ("Ủy ban\x85nhân dân", "People's Committee", r":4: vi: a control character \(U\+0085\) inside the field"),
    ("Ủy ban", " ", r":4: entry without both a Vietnamese and an English term"),
])
def test_a_glossary_import_is_checked_field_by_field_before_anything_is_written(tiny_model, test_glossary, tmp_path, capsys, vi, en, message):
    import shutil

    glossary = tmp_path / "glossary"
    shutil.copytree(test_glossary, glossary)
    before = {p.name: p.read_bytes() for p in glossary.iterdir()}
    tbx = tmp_path / "terms.tbx"
    tbx.write_text(_tbx(("Bộ Chính trị", "Politburo"), (vi, en)), encoding="utf-8")
    code, err = run(capsys, "glossary", "import", str(tbx), "--glossary", str(glossary))
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"vi2en: {tbx}:")
    assert re.search(message, err), err
    assert {p.name: p.read_bytes() for p in glossary.iterdir()} == before  # nothing written
    assert run(capsys, "glossary", "check", "--glossary", str(glossary))[0] == 0
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    assert main(["translate", str(article), "--out", str(tmp_path / "out"), "--model", str(tiny_model), "--glossary", str(glossary), "--max-length", "4", "--quiet"]) == 0


def test_a_glossary_file_with_an_overlong_field_is_a_problem_with_its_line_not_a_crash(tmp_path, capsys):
    glossary = tmp_path / "glossary"
    glossary.mkdir()
    (glossary / "long.tsv").write_text("vi\ten\tkind\nBộ Chính trị\tPolitburo\tbody\n" + "Ủy " * 50_000 + "\tCommittee\tbody\n", encoding="utf-8")
    assert main(["glossary", "check", "--glossary", str(glossary)]) == 1
    assert "long.tsv:3: error: vi: 150000 characters, over the limit of 1000 for a glossary field" in capsys.readouterr().out


@pytest.mark.parametrize("notes, domain, message", [
    ("<note>vi2en-kind</note>", "imported", r":4: note 'vi2en-kind' has no value \(vi2en-COLUMN: VALUE\)"),
    ("<note>vi2en-kind: body</note>", "Chính trị", r":4: domain 'Chính trị': use lower-case letters"),
])
def test_tbx_import_errors_name_the_file_and_the_line(tmp_path, capsys, notes, domain, message):
    tbx = tmp_path / "cat-tool.tbx"
    tbx.write_text(_tbx(("Bộ Chính trị", "Politburo"), notes=notes, domain=domain), encoding="utf-8")
    code, err = run(capsys, "glossary", "import", str(tbx), "--glossary", str(tmp_path / "g"))
    assert code == 1 and err.count("\n") == 1 and re.search(re.escape(str(tbx)) + message, err), err
    assert not (tmp_path / "g").exists()


def test_an_error_quoting_line_breaks_or_control_characters_is_still_one_line(tmp_path, capsys):
    """Found by scripts/fuzz.py: lxml's message for a NUL in a TBX holds a line break, and a CSV
    header's form feed was printed as it was, so both errors took two lines."""
    tbx = tmp_path / "nul.tbx"
    tbx.write_text(_tbx(("Bộ Chính trị", "Politburo")).replace("Politburo", "Polit\x00buro"), encoding="utf-8")
    code, err = run(capsys, "glossary", "import", str(tbx), "--glossary", str(tmp_path / "g"))
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"vi2en: {tbx}:") and "not a TBX file (XML error: " in err, err
    csv = tmp_path / "header.csv"
    csv.write_text("vi,en\x0ckind\nBộ Chính trị,Politburo\n", encoding="utf-8")
    code, err = run(capsys, "glossary", "import", str(csv), "--glossary", str(tmp_path / "g"))
    assert code == 1 and err.count("\n") == 1 and "unknown: en\\x0ckind" in err, err
    assert not (tmp_path / "g").exists()


def test_a_244_character_input_name_is_named_in_the_message_never_a_temporary_file(tiny_model, tmp_path, capsys):
    out = tmp_path / "out"
    fits = tmp_path / ("b" * 240 + ".txt")  # its outputs fit, and now their temporary files too
    too_long = tmp_path / ("c" * 251 + ".txt")  # c….json fits, c….html does not
    good = tmp_path / "good.txt"
    for path in (fits, too_long, good):
        path.write_text(ARTICLE, encoding="utf-8")
    code, err = run(capsys, "translate", str(fits), str(too_long), str(good), "--out", str(out), "--model", str(tiny_model), "--max-length", "4", "--quiet")
    lines = [line for line in err.splitlines() if line.startswith("vi2en: ")]
    assert code == 1 and lines == [f"vi2en: {too_long}: its output {'c' * 30}… would be over the 255 bytes a file name may have; shorten the article's name"]
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{'b' * 240}.{s}" for s in ("html", "json", "tmx")] + ["good.html", "good.json", "good.tmx"])


def _lines_run(work) -> int:
    """Lines of Python that `work()` runs, a loop's condition counted each time round: a count the
    same on every machine, unlike time."""
    import sys

    count = 0

    def trace(frame, event, arg):
        nonlocal count
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def test_structuring_and_segmenting_are_linear_in_the_number_of_paragraphs():
    from vi2en.read import RawArticle
    from vi2en.segment import segment_block
    from vi2en.structure import structure

    lines = ["Tiêu đề bài viết", "Nghệ An, ngày 17/01/2024", "Tỉnh ủy Nghệ An họp phiên thường kỳ. TP. Vinh đón khách.",
             "Quang cảnh hội nghị", "“Phải làm ngay” – đồng chí Bí thư nói.", "1. Một việc cần làm.", "Thanh Hương", "Theo TTXVN"]

    def work(paragraphs: int):
        article = RawArticle("x.txt", "", "txt", [(lines[i % len(lines)], None) for i in range(paragraphs)])
        return lambda: [segment_block(b) for b in structure(article) if b.translated]

    small, large = _lines_run(work(500)), _lines_run(work(2_000))
    assert large / small < 4.5  # four times the paragraphs, four times the work (quadratic: sixteen)


def test_kill_9_during_translate_never_leaves_a_json_without_its_html_and_tmx(tiny_model, tmp_path, capsys):
    import signal
    import subprocess
    import sys
    import time

    articles, out = tmp_path / "in", tmp_path / "out"
    articles.mkdir()
    for n in range(12):
        (articles / f"bai-{n:02d}.txt").write_text(ARTICLE.replace("thường kỳ", f"thứ {n}"), encoding="utf-8")
    argv = ["translate", str(articles), "--out", str(out), "--model", str(tiny_model), "--max-length", "4", "--quiet"]
    run = subprocess.Popen([sys.executable, "-m", "vi2en", *argv], stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"})
    waited = time.monotonic()
    while not list(out.glob("*.json")) and run.poll() is None and time.monotonic() - waited < 120:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)  # no handler, no finally: whatever was half-done stays on disk
    run.wait()
    names = {p.name for p in out.iterdir()}
    for json in (n for n in names if n.endswith(".json")):
        stem = json.removesuffix(".json")
        assert {f"{stem}.html", f"{stem}.tmx"} <= names, f"{json} without its other outputs"
    assert main(argv) == 0  # the next run cleans what the killed one left and finishes the set
    names = {p.name for p in out.iterdir()}
    assert not [n for n in names if n.endswith(".tmp")] and len(names) == 3 * 12
