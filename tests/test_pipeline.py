"""End-to-end: the seed article through the real pipeline with a tiny model built by the tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from vi2en import document, html, tmx
from vi2en.cli import main
from vi2en.glossary import Glossary
from vi2en.pipeline import build_document
from vi2en.score import signature


@pytest.fixture(scope="module")
def translated(tiny_model, seed_article, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    code = main(["translate", str(seed_article), "--out", str(out), "--model", str(tiny_model), "--max-length", "16", "--quiet"])
    assert code == 0
    return out / f"{seed_article.stem}.json"


def test_seed_article_structure(seed_article):
    doc = build_document(seed_article)
    kinds = [b.kind for b in doc.blocks]
    assert kinds[:2] == ["title", "dateline"]
    assert kinds[-4:] == ["source", "boilerplate", "boilerplate", "boilerplate"]
    assert kinds.count("caption") == 1
    assert doc.blocks[kinds.index("caption")].text.startswith("Đồng chí Hoàng Nghĩa Hiếu")
    assert doc.date == "2024-01-17"
    # boilerplate is kept, marked, and not translated
    assert all(not b.segments for b in doc.blocks if b.kind == "boilerplate")


def test_every_sentence_present_once_in_order(seed_article):
    doc = build_document(seed_article)
    for block in doc.blocks:
        if block.translated:
            assert " ".join(s.vi for s in block.segments) == " ".join(block.text.split())
    ids = [s.id for s in doc.segments]
    assert len(ids) == len(set(ids))
    assert ids[0] == "p1.s1" and all(re.fullmatch(r"p\d+\.s\d+", i) for i in ids)


def test_translate_writes_three_outputs(translated, seed_article):
    out = translated.parent
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{seed_article.stem}.{e}" for e in ("html", "json", "tmx"))
    data = json.loads(translated.read_text(encoding="utf-8"))
    assert data["schema"] == "vi2en.aligned/1"
    assert data["source_sha256"] == __import__("hashlib").sha256(seed_article.read_bytes()).hexdigest()
    assert data["model"]["name"] == "model"
    glossary = Glossary.load()
    assert data["glossary"] == {"version": glossary.version, "entries": len(glossary.entries)} and len(glossary.version) == 12
    assert data["scorer"] == signature()
    doc = document.load(translated)
    assert doc.segments and all(s.score is not None and 0 <= s.score <= 100 for s in doc.segments)
    assert doc.summary["segments"] == len(doc.segments)


def test_json_round_trips_to_identical_html_and_tmx(translated):
    doc = document.load(translated)
    assert document.dumps(doc) == translated.read_text(encoding="utf-8")
    assert html.render_html(doc) == translated.with_suffix(".html").read_text(encoding="utf-8")
    assert tmx.render_tmx(doc) == translated.with_suffix(".tmx").read_bytes()


def test_tmx_has_one_unit_per_segment(translated):
    doc = document.load(translated)
    root = etree.fromstring(translated.with_suffix(".tmx").read_bytes())
    assert root.get("version") == "1.4"
    units = root.findall(".//tu")
    assert len(units) == sum(1 for s in doc.segments if s.en)
    first = units[0].findall("tuv")
    assert first[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "vi"
    assert first[0].findtext("seg") == doc.segments[0].vi


def test_html_escapes_article_text(tiny_model, tmp_path):
    article = tmp_path / "xss.txt"
    article.write_text("Tiêu đề <b>đậm</b>\n\nĐoạn văn có <script>alert(1)</script> ở giữa. Câu thứ hai.\n", encoding="utf-8")
    assert main(["translate", str(article), "--out", str(tmp_path / "o"), "--model", str(tiny_model), "--max-length", "8", "--quiet"]) == 0
    page = (tmp_path / "o" / "xss.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_inputs_fail_clearly_and_batch_continues(tiny_model, tmp_path, capsys, seed_article):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    good = tmp_path / "good.txt"
    good.write_text("Tiêu đề\n\nMột câu ngắn.\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["translate", str(empty), str(binary), str(tmp_path / "missing.txt"), str(good), "--out", str(out), "--model", str(tiny_model), "--max-length", "8", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 3
    assert "empty.txt: no text" in err[0]
    assert "image.txt: binary file" in err[1]
    assert "missing.txt: no such file" in err[2]
    assert sorted(p.name for p in out.iterdir()) == ["good.html", "good.json", "good.tmx"]


def test_unreadable_model_folder(tmp_path, capsys, seed_article):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    code = main(["translate", str(seed_article), "--out", str(tmp_path / "out"), "--model", str(broken), "--quiet"])
    assert code == 2
    assert f"{broken}: unreadable config.json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_newer_schema_is_refused(translated, tmp_path):
    data = json.loads(translated.read_text(encoding="utf-8"))
    data["schema"] = "vi2en.aligned/99"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(document.DocumentError, match="newer.json: schema vi2en.aligned/99 is not supported"):
        document.load(newer)


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "doc.json"
    target.write_text("old", encoding="utf-8")

    class Boom(str):
        def encode(self, *a, **k):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        document.write_atomic(target, Boom("new"))
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]
