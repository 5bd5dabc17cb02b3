"""XLIFF 1.2 and 2.1 round trips and all-or-nothing import, each file valid against its OASIS schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from translate.storage import factory

from vi2en import document
from vi2en.cli import main
from vi2en.memory import Change, Memory
from vi2en.xliff import NS, VERSION_ATTR
from vi2en.xliff12 import NS as NS12

X = f"{{{NS}}}"
X12 = f"{{{NS12}}}"
SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"


def schema(xsd: Path) -> etree.XMLSchema:
    """An OASIS schema, its import of the xml: namespace pointed at the local copy (no network)."""
    tree = etree.parse(str(xsd))
    for imp in tree.getroot().iter("{http://www.w3.org/2001/XMLSchema}import"):
        if imp.get("namespace") == "http://www.w3.org/XML/1998/namespace":
            imp.set("schemaLocation", str(xsd.parent / "xml.xsd"))
    return etree.XMLSchema(tree)


XLIFF12_XSD = SCHEMAS / "xliff12" / "xliff-core-1.2-strict.xsd"
XLIFF20_XSD = SCHEMAS / "xliff20" / "xliff_core_2.0.xsd"  # XLIFF 2.1 core keeps the 2.0 core schema


def assert_valid(xsd: Path, tree) -> None:
    checker = schema(xsd)
    assert checker.validate(tree), checker.error_log


@pytest.fixture
def out(seed_out):
    return seed_out


def export(json_path, xlf, *options):
    assert main(["xliff", "export", str(json_path), "-o", str(xlf), *options]) == 0
    return etree.parse(str(xlf))


def export21(json_path, xlf):
    return export(json_path, xlf, "--format", "2.1")


def test_export_has_one_unit_per_segment_with_state(out, translated_seed, tmp_path):
    doc_path = out / translated_seed.name
    doc = document.load(doc_path)
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    first, second = doc.segments[:2]
    memory.save(doc, [Change(first.id, first.vi, "Approved.", True, 0), Change(second.id, second.vi, "Edited.", False, 0)], "lan")
    root = export21(doc_path, tmp_path / "doc.xlf").getroot()
    assert (root.tag, root.get("version"), root.get("srcLang"), root.get("trgLang")) == (f"{X}xliff", "2.1", "vi", "en")
    assert root.find(f"{X}file").get("original") == f"{doc.stem}.json#sha256={doc.source_sha256}"
    units = root.findall(f".//{X}unit")
    assert [u.get("id") for u in units] == [s.id for s in doc.segments]
    assert [u.find(f"{X}segment/{X}source").text for u in units] == [s.vi for s in doc.segments]
    states = [u.find(f"{X}segment").get("state") for u in units]
    assert states[:3] == ["final", "reviewed", "translated"]
    assert units[0].find(f"{X}segment/{X}target").text == "Approved." and units[0].get(VERSION_ATTR) == "1"
    assert_valid(XLIFF20_XSD, root)


def test_import_applies_edits_and_approvals_in_one_go(out, translated_seed, tmp_path):
    doc_path = out / translated_seed.name
    xlf = tmp_path / "doc.xlf"
    tree = export21(doc_path, xlf)
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
    tree = export21(doc_path, xlf)
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
    tree = export21(doc_path, xlf)
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


# ---------------------------------------------------------------- XLIFF 1.2


def _reviewed(out, translated_seed):
    """The seed document with its first segment approved and its second edited."""
    doc = document.load(out / translated_seed.name)
    first, second = doc.segments[:2]
    Memory(out / "vi2en-tm.sqlite", create=True).save(doc, [Change(first.id, first.vi, "Approved.", True, 0), Change(second.id, second.vi, "Edited.", False, 0)], "lan")
    return doc


def test_xliff12_is_the_default_valid_and_states_follow_the_review(out, translated_seed, tmp_path):
    doc = _reviewed(out, translated_seed)
    tree = export(out / translated_seed.name, tmp_path / "doc.xlf")
    assert_valid(XLIFF12_XSD, tree)
    root = tree.getroot()
    assert (root.tag, root.get("version")) == (f"{X12}xliff", "1.2")
    file = root.find(f"{X12}file")
    assert (file.get("original"), file.get("source-language"), file.get("target-language")) == (f"{doc.stem}.json#sha256={doc.source_sha256}", "vi", "en")
    units = file.findall(f".//{X12}trans-unit")
    assert [u.get("id") for u in units] == [s.id for s in doc.segments]
    targets = [u.find(f"{X12}target") for u in units]
    assert [(t.get("state"), t.get("state-qualifier")) for t in targets[:3]] == [("signed-off", None), ("translated", None), ("new", "mt-suggestion")]
    assert [u.get("approved") for u in units[:3]] == ["yes", None, None]
    assert [u.get("extradata") for u in units[:3]] == ["vi2en:version=1", "vi2en:version=1", "vi2en:version=0"]
    assert [t.text for t in targets[:2]] == ["Approved.", "Edited."] and targets[2].text == doc.segments[2].en
    with_terms = next(k for k, s in enumerate(doc.segments) if s.terms)
    notes = {n.get("from"): n.text for n in units[with_terms].findall(f"{X12}note")}
    assert all(f"{t.vi} = {t.en}" in notes["vi2en-terms"] for t in doc.segments[with_terms].terms)
    flagged = next(k for k, s in enumerate(doc.segments) if s.flags and k >= 2)  # a draft: an editor's English is scored again
    assert ", ".join(doc.segments[flagged].flags) in units[flagged].findtext(f"{X12}note[@from='vi2en-flags']")


def test_translate_toolkit_reads_the_xliff12(out, translated_seed, tmp_path):
    doc = _reviewed(out, translated_seed)
    export(out / translated_seed.name, tmp_path / "doc.xlf")
    store = factory.getobject(str(tmp_path / "doc.xlf"))
    units = [u for u in store.units if not u.isheader()]
    # translate-toolkit names a unit by its file's original and its id
    assert [(u.getid(), u.source, u.target) for u in units[:2]] == [
        (f"{doc.stem}.json#sha256={doc.source_sha256}\x04{s.id}", s.vi, en) for s, en in zip(doc.segments, ["Approved.", "Edited."])
    ]
    assert len(units) == len(doc.segments) and units[0].isapproved() and not units[1].isapproved()


def test_xliff12_import_applies_edits_and_approvals_and_names_approved_changes(out, translated_seed, tmp_path, capsys):
    doc = _reviewed(out, translated_seed)
    xlf = tmp_path / "doc.xlf"
    tree = export(out / translated_seed.name, xlf)
    units = tree.getroot().findall(f".//{X12}trans-unit")
    units[0].find(f"{X12}target").text = "Approved, then corrected."  # an approved sentence changed, with its version
    units[2].find(f"{X12}target").text = "Edited in a CAT tool."
    units[2].find(f"{X12}target").set("state", "final")
    units[3].find(f"{X12}target").text = units[3].findtext(f"{X12}source")  # the source copied: left untranslated
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    assert main(["xliff", "import", str(xlf), "--out", str(out), "--editor", "translator"]) == 0
    assert f"2 of {len(doc.segments)} segments changed; approved sentences changed: {doc.segments[0].id}\n" in capsys.readouterr().out
    merged, state = Memory(out / "vi2en-tm.sqlite").merged(doc)
    assert [s.en for s in merged.segments[:4]] == ["Approved, then corrected.", "Edited.", "Edited in a CAT tool.", doc.segments[3].en]
    assert [state.is_approved(s.id, s.vi) for s in doc.segments[:4]] == [True, False, True, False]  # the file still marks the first approved


@pytest.mark.parametrize("change", ["approve", "rewrite-approved"])
def test_xliff12_without_review_versions_cannot_approve_or_change_an_approved_sentence(out, translated_seed, tmp_path, capsys, change):
    doc = _reviewed(out, translated_seed)
    before = Memory(out / "vi2en-tm.sqlite").state(doc).entries
    xlf = tmp_path / "doc.xlf"
    tree = export(out / translated_seed.name, xlf)
    units = tree.getroot().findall(f".//{X12}trans-unit")
    for unit in units:  # as a file written by another tool: no vi2en review versions
        del unit.attrib["extradata"]
    unit = units[2] if change == "approve" else units[0]
    if change == "approve":
        unit.set("approved", "yes")
    else:
        unit.find(f"{X12}target").text = "Silently different."
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    assert main(["xliff", "import", str(xlf), "--out", str(out), "--editor", "translator"]) == 1
    err = capsys.readouterr().err
    assert f"unit {unit.get('id')}: " in err and "carries no review version" in err and "1 problem" in err
    assert Memory(out / "vi2en-tm.sqlite").state(doc).entries == before


def test_xliff12_copy_source_holds_the_vietnamese_in_the_target(out, translated_seed, tmp_path):
    doc = _reviewed(out, translated_seed)
    tree = export(out / translated_seed.name, tmp_path / "doc.xlf", "--copy-source")
    assert_valid(XLIFF12_XSD, tree)
    units = tree.getroot().findall(f".//{X12}trans-unit")
    assert [u.findtext(f"{X12}target") for u in units] == [s.vi for s in doc.segments]
    # imported back untouched, nothing changes: a copied source is no translation
    assert main(["xliff", "import", str(tmp_path / "doc.xlf"), "--out", str(out), "--editor", "x"]) == 0
    assert Memory(out / "vi2en-tm.sqlite").history(doc, doc.segments[2].id) == []
    # XLIFF 2 tools translate the source: there the option is refused, not ignored
    assert main(["xliff", "export", str(out / translated_seed.name), "-o", str(tmp_path / "two.xlf"), "--format", "2.1", "--copy-source"]) == 2
    assert not (tmp_path / "two.xlf").exists()


def test_xliff12_unknown_state_is_refused(out, translated_seed, tmp_path, capsys):
    xlf = tmp_path / "doc.xlf"
    tree = export(out / translated_seed.name, xlf)
    unit = tree.getroot().find(f".//{X12}trans-unit")
    unit.find(f"{X12}target").set("state", "done")
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    assert main(["xliff", "import", str(xlf), "--out", str(out), "--editor", "x"]) == 1
    assert f"unit {unit.get('id')}: target state 'done' is not an XLIFF 1.2 state" in capsys.readouterr().err


# ---------------------------------------------------------------- TMX for CAT tools

TMX_DTD = SCHEMAS / "tmx14.dtd"


def tmx_units(path) -> list[dict]:
    tree = etree.parse(str(path))
    dtd = etree.DTD(str(TMX_DTD))
    assert dtd.validate(tree), dtd.error_log
    return [
        {**{k: u.get(k) for k in ("tuid", "creationid", "creationdate", "changeid", "changedate")},
         "status": u.findtext("prop[@type='x-vi2en-status']"), "segs": [t.findtext("seg") for t in u.findall("tuv")]}
        for u in tree.getroot().iter("tu")
    ]


def test_tm_export_is_the_approved_memory_with_who_and_when(out, translated_seed, tmp_path):
    doc = document.load(out / translated_seed.name)
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    first, second = doc.segments[:2]
    memory.save(doc, [Change(first.id, first.vi, "Drafted by lan.", False, 0), Change(second.id, second.vi, "Edited.", False, 0)], "lan")
    memory.save(doc, [Change(first.id, first.vi, "Approved by minh.", True, 1)], "minh")
    history = memory.history(doc, first.id)
    assert main(["tm", "export", str(out), "-o", str(tmp_path / "tm.tmx")]) == 0
    [unit] = tmx_units(tmp_path / "tm.tmx")  # the edited, unapproved sentence is no part of the memory's export
    stamp = lambda iso: iso[:19].replace("-", "").replace(":", "") + "Z"  # noqa: E731  (times are UTC)
    assert unit == {"tuid": f"{doc.stem}:{first.id}", "creationid": "lan", "creationdate": stamp(history[0]["at"]),
                    "changeid": "minh", "changedate": stamp(history[1]["at"]), "status": "approved", "segs": [first.vi, "Approved by minh."]}


def test_drafts_only_on_request_and_marked_as_no_persons_translation(out, translated_seed, tmp_path, capsys):
    doc = document.load(out / translated_seed.name)
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    first, second = doc.segments[:2]
    memory.save(doc, [Change(first.id, first.vi, "Approved.", True, 0), Change(second.id, second.vi, "Edited.", False, 0)], "lan")
    assert main(["tm", "export", str(out), "--include-drafts", "-o", str(tmp_path / "all.tmx")]) == 0
    units = {u["tuid"].split(":")[1]: u for u in tmx_units(tmp_path / "all.tmx")}
    with_english = [s for s in doc.segments if s.en]
    assert len(units) == len(with_english)
    assert (units[first.id]["status"], units[second.id]["status"], units[second.id]["creationid"], units[second.id]["changeid"]) == ("approved", "edited", "lan", None)
    machine = units[with_english[2].id]
    assert machine == {"tuid": f"{doc.stem}:{with_english[2].id}", "creationid": f"MT:{doc.model['name']}", "creationdate": machine["creationdate"],
                       "changeid": None, "changedate": None, "status": "machine", "segs": [with_english[2].vi, with_english[2].en]}
    # TSV cannot say what a line is: drafts are refused there
    assert main(["tm", "export", str(out), "--include-drafts", "--format", "tsv", "-o", str(tmp_path / "all.tsv")]) == 2
    assert "--include-drafts needs" in capsys.readouterr().err and not (tmp_path / "all.tsv").exists()


def test_the_articles_tmx_marks_every_unit_as_the_models(out, translated_seed):
    doc = document.load(out / translated_seed.name)
    units = tmx_units(translated_seed.with_suffix(".tmx"))
    assert {u["status"] for u in units} == {"machine"} and {u["creationid"] for u in units} == {f"MT:{doc.model['name']}"}
    assert not any(u["changeid"] or u["changedate"] for u in units)
