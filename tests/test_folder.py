"""A folder of articles (pipeline.translate_articles): segments batched across articles with the
model loaded once, outcomes in input order, a bad article never stopping the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vi2en import pipeline
from vi2en.backends import open_translator
from vi2en.glossary import Glossary

ARTICLES = [
    "Tỉnh ủy Nghệ An họp phiên thường kỳ\n\nSáng 17/1, Tỉnh ủy Nghệ An tổ chức hội nghị.\n\nHội nghị bàn về kế hoạch năm 2024. Các đại biểu thảo luận sôi nổi.\n",
    "Ban Bí thư làm việc tại Hà Tĩnh\n\nChiều 18/1, Ban Bí thư làm việc với Tỉnh ủy Hà Tĩnh.\n\nĐoàn đã thăm một số mô hình sản xuất.\n",
    "Mưa lớn ở miền Trung\n\nMưa lớn kéo dài gây ngập nhiều tuyến đường.\n\nChính quyền địa phương đã sơ tán người dân. Không có thiệt hại về người.\n",
]


@pytest.fixture(scope="module")
def translator(tiny_model):
    return open_translator(tiny_model, beam_size=1, max_length=6)


@pytest.fixture
def folder(tmp_path) -> list[str]:
    paths = []
    for n, text in enumerate(ARTICLES):
        path = tmp_path / "in" / f"a{n}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    bad = tmp_path / "in" / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02\x03 not an article")
    return paths[:1] + [str(bad)] + paths[1:]


def counting(translator) -> list[int]:
    """The number of sentences in each call the model gets (the model itself runs as it is)."""
    sizes: list[int] = []
    generate = translator.backend.generate

    def spy(sources):
        sizes.append(len(sources))
        return generate(sources)

    translator.backend.generate = spy
    return sizes


def test_segments_of_several_articles_share_the_models_batches(translator, folder, tmp_path, test_glossary):
    translator._cache.clear()
    sizes = counting(translator)
    read, done = [], []
    out = tmp_path / "out"
    outcomes = list(pipeline.translate_articles(folder, out, translator, Glossary.load(test_glossary), progress=done.append, read=read.append))
    assert [o.path for o in outcomes] == folder  # input order, the bad one in its place
    assert outcomes[1].error.startswith(folder[1]) and "binary file" in outcomes[1].error and not outcomes[1].outputs
    good = [o for o in outcomes if not o.error]
    segments = sum(len(o.doc.segments) for o in good)
    assert len(good) == 3 and len(read) == 3 and sum(done) == segments
    assert sizes[0] == segments  # one batch for all three articles' sentences, not one per article
    for o in good:
        saved = json.loads((out / f"{Path(o.path).stem}.json").read_text(encoding="utf-8"))
        assert len(saved["blocks"]) == len(o.doc.blocks) and all(s.en for s in o.doc.segments)
        assert sorted(p.name for p in o.outputs) == sorted(f"{Path(o.path).stem}.{ext}" for ext in ("json", "html", "tmx"))
    assert not (out / "bad.json").exists()


def test_groups_are_bounded_by_segments(translator, folder, tmp_path):
    translator._cache.clear()
    sizes = counting(translator)
    no_terms = tmp_path / "glossary"  # no terms, so no retry or forcing: one model call a group
    no_terms.mkdir()
    (no_terms / "titles.tsv").write_text("vi\ten\tkind\n", encoding="utf-8")
    outcomes = list(pipeline.translate_articles(folder, tmp_path / "out", translator, Glossary.load(no_terms), batch_segments=1))
    assert sizes == [len(o.doc.segments) for o in outcomes if not o.error]  # one article a group: its segments alone
    assert [o.path for o in outcomes] == folder


def test_the_command_translates_a_folder_and_names_the_bad_file(tiny_model, folder, tmp_path, test_glossary, capsys):
    from vi2en.cli import main

    out = tmp_path / "cli-out"
    assert main(["translate", str(Path(folder[0]).parent), "--out", str(out), "--model", str(tiny_model), "--glossary", str(test_glossary), "--max-length", "6"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert lines[-1].startswith("3 of 4 articles translated with")
    assert [line.split(":")[0] for line in lines[:-1]] == [p for p in sorted(folder) if "bad" not in p]
    assert f"{folder[1]}:" in captured.err and "binary file" in captured.err
    assert sorted(p.name for p in out.glob("*.json")) == ["a0.json", "a1.json", "a2.json"]
