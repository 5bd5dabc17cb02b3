"""Contract tests every output format inherits: rendered from the JSON alone, article and model
text escaped everywhere (attributes too), written whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import html5lib
import pytest
from lxml import etree

from vi2en import document
from vi2en.document import Block, Document, Segment, TermHit
from vi2en.writers import WRITERS, write_outputs

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)> \' & \u00a0'


def hostile_document() -> Document:
    """Every text field a writer shows holds markup that must stay text."""
    hit = TermHit("Ban Bí thư" + HOSTILE, "Secretariat" + HOSTILE, "body", "central-party.tsv:2", 0, 10, found=True)
    segment = Segment("p1.s1", "Ban Bí thư họp." + HOSTILE, en="The Secretariat met." + HOSTILE, score=55.0,
                      flags=["number-missing"], signals={"numbers_missing": ['1" onmouseover="alert(3)']}, terms=[hit])
    block = Block("p1", "paragraph", segment.vi, [segment])
    return Document(source_path="hostile" + HOSTILE.replace("/", "") + ".txt", source_sha256="0" * 64, blocks=[block],
                    model={"name": "m" + HOSTILE, "notice": HOSTILE, "licence": HOSTILE}, summary={"segments": 1, "mean_score": 55.0, "flagged": 1})


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.name)
def test_rendering_the_saved_json_gives_the_same_bytes(writer, tmp_path):
    doc = hostile_document()
    document.save(doc, tmp_path / "doc.json")
    assert writer.render(document.load(tmp_path / "doc.json")) == writer.render(doc)


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.name)
def test_article_and_model_text_stays_text(writer):
    doc = hostile_document()
    out = writer.render(doc)
    data = out.encode("utf-8") if isinstance(out, str) else out
    if writer.suffix == ".json":
        assert json.loads(data)["blocks"][0]["segments"][0]["en"] == doc.segments[0].en
    elif writer.suffix in (".tmx", ".xlf", ".xliff", ".tbx"):
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
        assert doc.segments[0].en in ["".join(e.itertext()) for e in root.iter()]
    else:
        tree = html5lib.parse(data, namespaceHTMLElements=False)
        assert not tree.findall(".//script") and not tree.findall(".//img")  # no element came from the text
        assert not [e for e in tree.iter() for a in e.attrib if a.startswith("on")]  # nor any handler in an attribute
        assert doc.segments[0].en in "".join(tree.itertext())


def test_every_output_is_written_whole_and_nothing_else_is_left(tmp_path, monkeypatch):
    doc = hostile_document()
    doc.source_path = "article.txt"
    paths = write_outputs(doc, tmp_path)
    assert [p.suffix for p in paths] == [w.suffix for w in WRITERS]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    before = {p: p.read_bytes() for p in paths}

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    doc.segments[0].en = "Changed."
    with pytest.raises(OSError):
        write_outputs(doc, tmp_path)
    assert {p: p.read_bytes() for p in paths} == before  # the old files stand, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temporary file left


def test_a_json_is_never_left_without_its_other_outputs(tmp_path, monkeypatch):
    """Regression: kill -9 during translate left a JSON without its HTML and TMX. The JSON goes
    into place last, so where it stands, the rest of its set stands too."""
    doc = hostile_document()
    doc.source_path = "article.txt"
    real = os.replace
    calls = []

    def killed_after_one(src, dst):
        calls.append(Path(dst).suffix)
        if len(calls) > 1:
            raise KeyboardInterrupt  # the run dies between two renames
        real(src, dst)

    monkeypatch.setattr(os, "replace", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(doc, tmp_path)
    assert calls[-1] != ".json" or len(calls) == len(WRITERS)
    assert not (tmp_path / "article.json").exists()


def test_temporaries_a_killed_run_left_are_cleaned_by_the_next(tmp_path):
    doc = hostile_document()
    doc.source_path = "article.txt"
    (tmp_path / ".article.json.x1y2.tmp").write_text("half", encoding="utf-8")
    (tmp_path / ".other.json.x1y2.tmp").write_text("another article's", encoding="utf-8")
    write_outputs(doc, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".other.json.x1y2.tmp"] + [f"article{w.suffix}" for w in WRITERS])
