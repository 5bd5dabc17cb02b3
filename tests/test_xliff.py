"""XLIFF 2.1 round trip and all-or-nothing import; TM export in TMX and TSV."""

from __future__ import annotations


import pytest
from lxml import etree

from vi2en import document
from vi2en.cli import main
from vi2en.memory import Change, Memory
from vi2en.xliff import NS, VERSION_ATTR

X = f"{{{NS}}}"


@pytest.fixture
def out(seed_out):
    return seed_out


def export(json_path, xlf):
    assert main(["xliff", "export", str(json_path), "-o", str(xlf)]) == 0
    return etree.parse(str(xlf))


def test_export_has_one_unit_per_segment_with_state(out, translated_seed, tmp_path):
    doc_path = out / translated_seed.name
    doc = document.load(doc_path)
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    first, second = doc.segments[:2]
    memory.save(doc, [Change(first.id, first.vi, "Approved.", True, 0), Change(second.id, second.vi, "Edited.", False, 0)], "lan")
    root = export(doc_path, tmp_path / "doc.xlf").getroot()
    assert (root.tag, root.get("version"), root.get("srcLang"), root.get("trgLang")) == (f"{X}xliff", "2.1", "vi", "en")
    assert root.find(f"{X}file").get("original") == f"{doc.stem}.json#sha256={doc.source_sha256}"
    units = root.findall(f".//{X}unit")
    assert [u.get("id") for u in units] == [s.id for s in doc.segments]
    assert [u.find(f"{X}segment/{X}source").text for u in units] == [s.vi for s in doc.segments]
    states = [u.find(f"{X}segment").get("state") for u in units]
    assert states[:3] == ["final", "reviewed", "translated"]
    assert units[0].find(f"{X}segment/{X}target").text == "Approved." and units[0].get(VERSION_ATTR) == "1"


def test_import_applies_edits_and_approvals_in_one_go(out, translated_seed, tmp_path):
    doc_path = out / translated_seed.name
    xlf = tmp_path / "doc.xlf"
    tree = export(doc_path, xlf)
    units = tree.getroot().findall(f".//{X}unit")
    units[0].find(f"{X}segment/{X}target").text = "Edited in a CAT tool."
    for unit in units:
        unit.find(f"{X}segment").set("state", "final")
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    assert main(["xliff", "import", str(xlf), "--out", str(out), "--editor", "translator"]) == 0
    doc = document.load(doc_path)
    merged, state = Memory(out / "vi2en-tm.sqlite").merged(doc)
    assert merged.segments[0].en == "Edited in a CAT tool." and state.approved(doc)
    assert Memory(out / "vi2en-tm.sqlite").history(doc, doc.segments[0].id)[0]["via"] == "xliff:doc.xlf"
    # importing the same (now stale) file again is refused: the review moved on since it was exported
    assert main(["xliff", "import", str(xlf), "--out", str(out), "--editor", "translator"]) == 1


def test_import_reports_every_mismatch_and_imports_nothing(out, translated_seed, tmp_path, capsys):
    doc_path = out / translated_seed.name
    xlf = tmp_path / "doc.xlf"
    tree = export(doc_path, xlf)
    file = tree.getroot().find(f"{X}file")
    units = file.findall(f"{X}unit")
    units[0].find(f"{X}segment/{X}target").text = "Would be a good edit."
    units[1].find(f"{X}segment/{X}source").text = "Câu khác hẳn."
    units[2].set("id", "p99.s1")
    file.remove(units[3])
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    assert main(["xliff", "import", str(xlf), "--out", str(out), "--editor", "translator"]) == 1
    err = capsys.readouterr().err
    assert "not imported, 4 problems" in err
    assert f"unit {units[1].get('id')}: source differs" in err and "unit p99.s1: no such segment" in err
    assert f"segment {units[3].get('id')}: missing from the file" in err
    assert Memory(out / "vi2en-tm.sqlite").state(document.load(doc_path)).entries == {}


def test_import_of_another_documents_file_is_refused(out, translated_seed, tmp_path, capsys):
    doc_path = out / translated_seed.name
    xlf = tmp_path / "doc.xlf"
    tree = export(doc_path, xlf)
    file = tree.getroot().find(f"{X}file")
    file.set("original", file.get("original").replace("sha256=", "sha256=0"))
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    assert main(["xliff", "import", str(xlf), "--out", str(out), "--editor", "translator"]) == 1
    assert "belongs to" in capsys.readouterr().err
    (tmp_path / "junk.xlf").write_text("<html><body>not xliff", encoding="utf-8")
    assert main(["xliff", "import", str(tmp_path / "junk.xlf"), "--out", str(out), "--editor", "x"]) == 1
    assert "junk.xlf: not imported, 1 problem:\n  not well-formed XML" in capsys.readouterr().err


def test_tm_export_tmx_and_tsv(out, translated_seed, tmp_path):
    doc = document.load(out / translated_seed.name)
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    first, second = doc.segments[:2]
    memory.save(doc, [Change(first.id, first.vi, "Approved\twith tab.", True, 0), Change(second.id, second.vi, "Not approved.", False, 0)], "lan")
    assert main(["tm", "export", str(out), "--format", "tsv", "-o", str(tmp_path / "tm.tsv")]) == 0
    assert (tmp_path / "tm.tsv").read_text(encoding="utf-8") == f"{first.vi}\tApproved with tab.\n"
    assert main(["tm", "export", str(memory.path), "--format", "tmx", "-o", str(tmp_path / "tm.tmx")]) == 0
    units = etree.parse(str(tmp_path / "tm.tmx")).getroot().findall(".//tu")
    assert [(u.get("tuid"), [t.findtext("seg") for t in u.findall("tuv")]) for u in units] == [(f"{doc.stem}:{first.id}", [first.vi, "Approved\twith tab."])]
