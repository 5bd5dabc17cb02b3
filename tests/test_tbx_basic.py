"""Glossary exports for CAT tools: TBX-Basic as TBX 2 (martif) and OmegaT's glossary, beside TBX v3."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree
from translate.storage import factory

from vi2en.cli import main
from vi2en.glossary import PROJECT_GLOSSARY, read_folder
from vi2en.glossary_export import Options, export_glossary, examples

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
TODAY = "2026-01-01"


def entries():
    return [e for f in read_folder(PROJECT_GLOSSARY)[0].values() for e in f]


def export(tmp_path, capsys, name, *options) -> tuple[Path, str]:
    path = tmp_path / name
    assert main(["glossary", "export", str(path), *options]) == 0
    return path, capsys.readouterr().out


def test_tbx_basic_is_tbx2_that_translate_toolkit_reads_with_terms_only(tmp_path, capsys):
    path, out = export(tmp_path, capsys, "glossary.tbx", "--format", "tbx-basic")
    root = etree.parse(str(path)).getroot()
    assert (root.tag, root.get("type")) == ("martif", "TBX-Basic")
    today = dt.date.today().isoformat()
    terms = [e for e in entries() if not e.slots and not (e.valid_until and e.valid_until < today)]
    patterns = [e for e in entries() if e.slots and not (e.valid_until and e.valid_until < today)]  # an expired one counts as expired
    store = factory.getobject(str(path))
    assert sorted((u.source, u.target) for u in store.units) == sorted((e.vi, e.en) for e in terms)
    assert f"{len(terms)} entries" in out and f"{len(patterns)} slot patterns left out" in out
    # each entry keeps its domain and kind, so the file imports back as it was
    first = root.find("text/body/termEntry")
    assert first.findtext("descrip[@type='subjectField']") and first.findtext("note").startswith("vi2en-kind: ")
    assert [ls.get("{http://www.w3.org/XML/1998/namespace}lang") for ls in first.findall("langSet")] == ["vi", "en"]


def test_tbx_basic_imports_back_into_the_same_entries(tmp_path, capsys):
    path, _ = export(tmp_path, capsys, "glossary.tbx", "--format", "tbx-basic")
    assert main(["glossary", "import", str(path), "--format", "tbx-basic", "--glossary", str(tmp_path / "copy")]) == 0
    today = dt.date.today().isoformat()
    kept = sorted(e.row() for e in entries() if not e.slots and not (e.valid_until and e.valid_until < today))
    assert sorted(e.row() for f in read_folder(tmp_path / "copy")[0].values() for e in f) == kept


def test_tbx_v3_stays_lossless_and_valid_against_the_tbx_v3_schema(tmp_path, capsys):
    path, out = export(tmp_path, capsys, "glossary.tbx")
    rng = etree.RelaxNG(etree.parse(str(SCHEMAS / "tbx" / "TBXcoreStructV03.rng")))
    assert rng.validate(etree.parse(str(path))), rng.error_log
    assert f"{len(entries())} entries" in out and "left out" not in out


def test_expired_entries_are_left_out_or_marked(tmp_path):
    files = read_folder(PROJECT_GLOSSARY)[0]
    expired = [e for e in entries() if not e.slots and e.valid_until and e.valid_until < TODAY]
    assert expired  # the project glossary has the 2025 reorganisation's replaced bodies
    left = export_glossary(files, "omegat", Options(today=TODAY))
    assert left.expired_left_out == len(expired) + sum(1 for e in entries() if e.slots and e.valid_until and e.valid_until < TODAY)
    assert not any(line.split("\t")[:2] == [e.vi, e.en] for e in expired for line in left.data.splitlines())
    marked = export_glossary(files, "tbx-basic", Options(include_expired=True, today=TODAY))
    root = etree.fromstring(marked.data)
    statuses = {
        entry.findtext("langSet[@{http://www.w3.org/XML/1998/namespace}lang='vi']/tig/term"): entry.findtext(".//termNote[@type='administrativeStatus']")
        for entry in root.iter("termEntry")
    }
    assert all(statuses[e.vi] == "supersededTerm-admn-sts" for e in expired)
    assert statuses[next(e.vi for e in entries() if not e.slots and not e.valid_until)] is None


def test_patterns_expand_into_examples_of_real_terms():
    glossary = entries()
    pattern = next(e for e in glossary if e.vi == "Ban Chấp hành Trung ương khóa {ordinal}")
    assert examples(pattern, glossary, TODAY) == [("Ban Chấp hành Trung ương khóa XIII", "13th Party Central Committee")]
    # a slot filled by glossary entries takes the first few of them, each rendered as the glossary does
    filled = next(e for e in glossary if e.slots and all(s not in ("ordinal", "nth", "code", "year", "date") for s in e.slots) and not e.valid_until)
    found = examples(filled, glossary, TODAY)
    assert 1 <= len(found) <= 3 and all("{" not in vi and "{" not in en for vi, en in found)
    exported = export_glossary(read_folder(PROJECT_GLOSSARY)[0], "omegat", Options(expand_patterns=True, today=TODAY))
    lines = [line.split("\t") for line in exported.data.splitlines()]
    assert ["Ban Chấp hành Trung ương khóa XIII", "13th Party Central Committee"] in [line[:2] for line in lines]
    assert exported.examples > 0 and exported.patterns_left_out == 0 and not any("{" in line[0] for line in lines)


def test_omegat_glossary_is_source_target_comment(tmp_path, capsys):
    path, _ = export(tmp_path, capsys, "glossary.txt", "--format", "omegat")
    lines = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(len(line) == 3 for line in lines) and lines[0][0] != "vi"  # no header: OmegaT would read it as a term
    entry = next(e for e in entries() if e.file == "central-party.tsv" and not e.slots and not e.valid_until)
    comment = next(c for vi, en, c in lines if (vi, en) == (entry.vi, entry.en))
    assert comment.startswith(f"central-party; {entry.kind}")


@pytest.mark.parametrize("fmt", ["tbx-basic", "omegat"])
def test_a_glossary_export_for_cat_tools_names_what_it_left_out(tmp_path, capsys, fmt):
    _, out = export(tmp_path, capsys, f"g.{fmt}", "--format", fmt, "--expand-patterns", "--include-expired")
    assert "examples of patterns" in out and "expired entries marked expired" in out and "left out" not in out
