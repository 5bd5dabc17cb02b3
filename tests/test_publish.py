"""The static site: only approved articles (or labelled drafts), valid HTML5, escaped text, atomic rebuilds."""

from __future__ import annotations

import html5lib
import pytest

from vi2en import document
from vi2en.cli import main
from vi2en.document import Block, Document, Segment
from vi2en.memory import Change, Memory

XSS = "<script>alert(1)</script>"


def article(out, name, date, vi_title, en_title, body_vi, body_en) -> Document:
    doc = Document(
        source_path=f"articles/{name}.txt", source_sha256=name.ljust(64, "0"), date=date,
        blocks=[Block("t1", "title", vi_title, [Segment("t1.s1", vi_title, en_title)]),
                Block("p1", "paragraph", body_vi, [Segment("p1.s1", body_vi, body_en)]),
                Block("p2", "source", "Nguồn: Báo Nghệ An", [Segment("p2.s1", "Nguồn: Báo Nghệ An", "Source: Nghe An newspaper")]),
                Block("p3", "boilerplate", "Chia sẻ Facebook")],
        model={"name": "tiny-test-model"}, glossary={"version": "g-2024.1"}, created="2024-01-18T00:00:00+00:00",
        summary={"segments": 3, "mean_score": 50.0, "flagged": 0},
    )
    document.save(doc, out / f"{name}.json")
    return doc


def approve_all(memory, doc, editor, **edits):
    memory.save(doc, [Change(s.id, s.vi, edits.get(s.id.replace(".", "_"), s.en), True, 0) for s in doc.segments], editor)


def assert_valid_html5(text: str):
    html5lib.HTMLParser(strict=True).parse(text)  # raises on any HTML5 parse error
    assert text.startswith("<!DOCTYPE html>") and '<meta name="viewport" content="width=device-width, initial-scale=1">' in text


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_only_approved_articles_are_published_newest_first(out, tmp_path, capsys):
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    old = article(out, "old", "2023-05-01", "Tin cũ", "Old news", "Một câu.", "One sentence.")
    new = article(out, "new", "2024-01-17", "Tin mới", "New news", "Hai câu.", "Two sentences.")
    article(out, "pending", "2024-02-01", "Chưa duyệt", "Pending", "Ba câu.", "Three.")
    approve_all(memory, old, "lan")
    approve_all(memory, new, "minh", p1_s1="Two sentences, edited.")
    assert main(["publish", str(out), "--site", str(tmp_path / "site")]) == 0
    captured = capsys.readouterr()
    assert "pending.json: not approved (0 of 3 sentences)" in captured.err and "2 articles published (0 drafts)" in captured.out
    site = tmp_path / "site"
    assert sorted(p.name for p in site.iterdir()) == [".vi2en-site", "index.html", "new.bilingual.html", "new.html", "old.bilingual.html", "old.html"]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert index.index("New news") < index.index("Old news") and "Pending" not in index
    page = (site / "new.html").read_text(encoding="utf-8")
    assert "<h1>New news</h1>" in page and "<p>Two sentences, edited.</p>" in page and '<time datetime="2024-01-17">' in page
    assert "tiny-test-model" in page and "glossary version g-2024.1" in page and "approved by minh" in page
    assert "Nghe An newspaper" not in page.split("<footer>")[0]  # the source line is attribution, in the footer
    assert "Chia sẻ Facebook" not in page and "Draft" not in page
    bilingual = (site / "new.bilingual.html").read_text(encoding="utf-8")
    assert '<td lang="vi">Hai câu.</td><td lang="en">Two sentences, edited.</td>' in bilingual
    for path in site.glob("*.html"):
        assert_valid_html5(path.read_text(encoding="utf-8"))


def test_drafts_are_published_only_on_request_and_labelled(out, tmp_path, capsys):
    Memory(out / "vi2en-tm.sqlite", create=True)
    article(out, "pending", "2024-02-01", "Chưa duyệt", "Pending", "Ba câu.", "Three.")
    assert main(["publish", str(out), "--site", str(tmp_path / "site")]) == 0
    assert "No approved articles yet." in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert main(["publish", str(out), "--site", str(tmp_path / "site"), "--drafts"]) == 0
    assert '<span class="draft-label">Draft</span>' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    for name in ("pending.html", "pending.bilingual.html"):
        page = (tmp_path / "site" / name).read_text(encoding="utf-8")
        assert "Draft — not approved by an editor" in page and "Not yet approved by an editor." in page
        assert_valid_html5(page)


def test_article_text_is_escaped_on_every_page(out, tmp_path):
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    doc = article(out, "xss", "2024-01-01", f"Tiêu đề {XSS}", f"Title {XSS}", f"Câu có {XSS}.", f"Sentence with {XSS}.")
    approve_all(memory, doc, f"ed{XSS}")
    assert main(["publish", str(out), "--site", str(tmp_path / "site")]) == 0
    for path in (tmp_path / "site").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path.name


def test_failed_build_leaves_the_old_site_and_foreign_folders_are_refused(out, tmp_path, monkeypatch, capsys):
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    approve_all(memory, article(out, "one", "2024-01-01", "Một", "One", "Câu.", "Sentence."), "lan")
    site = tmp_path / "site"
    assert main(["publish", str(out), "--site", str(site)]) == 0
    before = {p.name: p.read_bytes() for p in site.iterdir()}

    from vi2en import html

    real_render = html.render

    def failing_render(template, **context):  # a disk-full style failure half-way through the build
        if template == "site/bilingual.html":
            raise OSError("No space left on device")
        return real_render(template, **context)

    monkeypatch.setattr(html, "render", failing_render)
    approve_all(memory, article(out, "two", "2024-01-02", "Hai", "Two", "Câu hai.", "Second."), "lan")
    assert main(["publish", str(out), "--site", str(site)]) == 1
    assert {p.name: p.read_bytes() for p in site.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]  # no build folder left behind

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["publish", str(out), "--site", str(foreign)]) == 1
    assert "was not built by vi2en publish" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
