"""`vi2en glossary ...`: lint, edits that keep files sorted and never half-written, import/export, suggestions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from vi2en.cli import main
from vi2en.glossary import PROJECT_GLOSSARY

HEADER = "vi\ten\tkind\tslot\tnote\tsource\tvalid_from\tvalid_until\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the project glossary to edit."""
    return Path(shutil.copytree(PROJECT_GLOSSARY, tmp_path / "glossary"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.tsv"))}


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["glossary", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_project_glossary_passes_check(capsys):
    code, out, err = run(capsys, "check")
    assert code == 0, out
    assert "errors" in err and " 0 errors" in err


def test_check_reports_each_problem_with_file_and_line(tmp_path, capsys):
    (tmp_path / "a.tsv").write_text(
        HEADER
        + "Tỉnh ủy\tProvincial Party Committee\tbody\t\t\tVNA\t\t\n"
        + "Tỉnh uỷ\tProvince Party Committee\tbody\t\t\tVNA\t\t\n"  # same term, other tone placement, other target
        + "Bộ Chính trị\tPolitburo\tbody\t\t\tVNA\t\t\n"
        + "Bộ Chính trị\tPolitburo\tbody\t\t\tVNA\t2020-01-01\t\n"  # duplicate in an overlapping period
        + "Quốc hội\t\tbody\t\t\tVNA\t\t\n"  # empty target
        + "Ban Bi\u0302\u0301 thư\tSecretariat\tbody\t\t\tVNA\t\t\n"  # NFD
        + "Huyện ủy\tDistrict Party Committee\tbody\t\t\tVNA\t2025-07-01\t2025-06-30\n"
        + "Chính phủ\tGovernment\tbody\t\t\tVNA\t2025-13-01\t\n"
        + "Nghị quyết\tResolution\tpart\tdoctype\t\tVNA\t\t\n",  # fills a slot no pattern uses
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check", "--glossary", str(tmp_path))
    assert code == 1
    assert "a.tsv:3: error: same source as a.tsv:2 with a different target" in out and "never matches" in out
    assert "a.tsv:5: error: duplicate of a.tsv:4" in out
    assert "a.tsv:6: error: empty en field" in out
    assert "a.tsv:7: error: vi: text is not in NFC form" in out
    assert "a.tsv:8: error: valid_from 2025-07-01 is after valid_until 2025-06-30" in out
    assert "a.tsv:9: error: valid_from '2025-13-01' is not a date" in out
    assert "a.tsv:10: warning: fills slot {doctype}, which no pattern uses" in out


def test_add_keeps_the_file_sorted_and_the_change_one_line(folder, capsys):
    before = (folder / "provincial.tsv").read_text(encoding="utf-8").splitlines()
    code, out, _ = run(capsys, "add", "Sở Ngoại vụ tỉnh {province}", "{province} Department of External Relations", "--domain", "provincial", "--kind", "body", "--source", "VNA", "--glossary", str(folder))
    assert code == 0 and "added to provincial.tsv" in out
    after = (folder / "provincial.tsv").read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before) + 1 and [line for line in after if line not in before] == [
        "Sở Ngoại vụ tỉnh {province}\t{province} Department of External Relations\tbody\t\t\tVNA\t\t"
    ]
    from vi2en.glossary import Glossary

    assert [h.en for h in Glossary.load(folder).find("Sở Ngoại vụ tỉnh Nghệ An", "2024-01-01")] == ["Nghe An Department of External Relations"]
    code, out, _ = run(capsys, "remove", "Sở Ngoại vụ tỉnh {province}", "--domain", "provincial", "--glossary", str(folder))
    assert code == 0 and (folder / "provincial.tsv").read_text(encoding="utf-8").splitlines() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", "Quốc hội mới", "", "--domain", "state", "--kind", "body"], "empty en field"),
        (["add", "Quốc hội", "Parliament", "--domain", "state", "--kind", "body"], "'Quốc hội' is already there"),
        (["add", "Tỉnh ủy {nowhere}", "{nowhere} Committee", "--domain", "provincial", "--kind", "body"], "slot {nowhere} is filled by no entry"),
        (["add", "Ban {party_committee}", "Board", "--domain", "provincial", "--kind", "body", "--slot", "party_committee"], "cycle of slot patterns"),
        (["remove", "Không có mục này"], "no entry 'Không có mục này'"),
    ],
)
def test_a_refused_change_leaves_the_glossary_untouched(folder, capsys, args, message):
    before = sorted(folder.iterdir()), snapshot(folder)
    code, _, err = run(capsys, *args, "--glossary", str(folder))
    assert code == 1 and message in err
    assert (sorted(folder.iterdir()), snapshot(folder)) == before  # no temporary file left either


@pytest.mark.parametrize("fmt", ["tsv", "csv", "tbx"])
def test_export_then_import_round_trips_without_loss(tmp_path, capsys, fmt):
    exported = tmp_path / f"glossary.{fmt}"
    assert run(capsys, "export", str(exported))[0] == 0
    code, out, _ = run(capsys, "import", str(exported), "--glossary", str(tmp_path / "copy"))
    assert code == 0 and "0 updated" in out
    assert snapshot(tmp_path / "copy") == snapshot(PROJECT_GLOSSARY)


def test_tbx_export_is_tbx_basic_with_one_concept_per_entry(tmp_path, capsys):
    from vi2en.glossary import Glossary

    run(capsys, "export", str(tmp_path / "g.tbx"))
    root = etree.parse(str(tmp_path / "g.tbx")).getroot()
    ns = {"t": "urn:iso:std:iso:30042:ed-2"}
    assert root.tag == "{urn:iso:std:iso:30042:ed-2}tbx" and root.get("type") == "TBX-Basic" and root.get("style") == "dca"
    concepts = root.findall(".//t:conceptEntry", ns)
    assert len(concepts) == len(Glossary.load().entries)
    langs = [s.get("{http://www.w3.org/XML/1998/namespace}lang") for s in concepts[0].findall("t:langSec", ns)]
    assert langs == ["vi", "en"]


def test_import_reads_tbx_v2_from_cat_tools(tmp_path, capsys):
    (tmp_path / "memoq.tbx").write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX-Basic" xml:lang="en"><text><body>
<termEntry id="1"><langSet xml:lang="vi-VN"><tig><term>Sở Ngoại vụ</term></tig></langSet>
<langSet xml:lang="en-GB"><tig><term>Department of External Relations</term></tig></langSet></termEntry>
</body></text></martif>""",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "import", str(tmp_path / "memoq.tbx"), "--domain", "extra", "--glossary", str(tmp_path / "g"))
    # TBX v2 has no kind: the entry is refused rather than added half-described
    assert code == 1 and "memoq.tbx:3: empty kind field" in err
    assert not (tmp_path / "g" / "extra.tsv").exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("broken.tbx", "<tbx><body><conceptEntry>", "broken.tbx:1: not a TBX file (XML error"),
        ("other.tbx", "<html><body/></html>", "other.tbx:1: not a TBX file (root element <html>)"),
        ("short.tsv", "vi\ten\tkind\nTỉnh ủy\tProvincial Party Committee\n", "short.tsv:2: 2 fields, the header has 3"),
        ("bad.csv", 'vi,en,kind\n"Tỉnh ủy,Provincial Party Committee,body\n', "bad.csv:"),
        ("nodomain.csv", "vi,en,kind\nTỉnh ủy,Provincial Party Committee,body\n", "nodomain.csv:2: no domain column and no --domain given"),
    ],
)
def test_bad_import_files_fail_with_file_and_line_and_change_nothing(folder, tmp_path, capsys, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    before = snapshot(folder)
    code, _, err = run(capsys, "import", str(tmp_path / name), "--glossary", str(folder))
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1
    assert snapshot(folder) == before


def test_list_filters(capsys):
    code, out, _ = run(capsys, "list", "Nghệ An", "--kind", "place")
    assert code == 0 and out.splitlines()[0].endswith("\tNghệ An\t→ Nghe An\t(place, fills {province})")
    assert all("Nghệ An" in line for line in out.splitlines())
    code, out, _ = run(capsys, "list", "--domain", "places", "--on", "2026-01-01", "--kind", "place")
    assert "Hà Giang" not in out and "Tuyên Quang" in out


def test_suggest_ranks_uncovered_terms_with_context(tmp_path, capsys):
    article = tmp_path / "a.txt"
    article.write_text(
        "Tiêu đề\n\nĐồng chí Nguyễn Văn An – Phó Bí thư Huyện ủy Quỳnh Lưu dự họp. Theo ông Nguyễn Văn An, UBMTTQ tỉnh và Bộ Chính trị đã chỉ đạo theo Chỉ thị 99/XY-ZZ.\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "suggest", str(article))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["2", "person", "Nguyễn", "Văn", "An"]
    assert "a.txt: …Đồng chí Nguyễn Văn An" in lines[1]
    candidates = [" ".join(line.split()[2:]) for line in lines[0::2]]
    assert "UBMTTQ" in candidates and any("Huyện ủy Quỳnh Lưu" in c for c in candidates)
    assert not any("Bộ Chính trị" in c or "Chỉ thị" in c for c in candidates)  # covered by the glossary


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["glossary", "check", "--help"])
    assert "vi2en glossary export glossary.tbx" in capsys.readouterr().out


def test_export_refuses_a_glossary_with_unreadable_rows(tmp_path, capsys):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "a.tsv").write_text(HEADER + "Tỉnh ủy\tProvincial Party Committee\tbody\n", encoding="utf-8")
    code, _, err = run(capsys, "export", str(tmp_path / "out.tbx"), "--glossary", str(tmp_path / "g"))
    assert code == 1 and "a.tsv:2: 3 fields, the header has 8" in err
    assert not (tmp_path / "out.tbx").exists()
    code, _, err = run(capsys, "list", "--glossary", str(tmp_path / "missing"))
    assert code == 1 and "missing: no glossary folder there" in err
