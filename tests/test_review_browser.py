"""The review loop as an editor lives it, in a real headless Chromium.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs
it) and the `playwright` package; the tests fail, never skip, when the browser is missing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from vi2en import document
from vi2en.cli import main
from vi2en.memory import Change, Memory
from vi2en.review import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SRC = Path(__file__).resolve().parents[1] / "src"
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).is_file(), f"the browser tests need {CHROMIUM}: apt-get install -y chromium (.ci/run installs it)"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def out(seed_out):
    return seed_out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def review_process(out: Path, port: int):
    """`vi2en review` as a user starts it, in its own process."""
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-m", "vi2en", "review", str(out), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def review_thread(out: Path, port: int = 0):
    server = make_server("127.0.0.1", port, create_app(out, Memory(out / "vi2en-tm.sqlite", create=True)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def open_article(page, url: str, stem: str, editor: str | None = None):
    page.goto(url)
    page.click(f"a[href='/a/{stem}']")
    expect(page.locator("h1")).to_be_visible()
    if editor:
        page.fill("#editor", editor)
        page.keyboard.press("Escape")


def row(page, segment_id: str):
    return page.locator(f"tr[id='{segment_id}']")


def test_translate_review_approve_reuse_publish_on_the_seed_article(browser, out, translated_seed, seed_article, tiny_model, test_glossary, tmp_path):
    stem = translated_seed.stem
    doc = document.load(out / translated_seed.name)
    flagged = [s.id for s in doc.segments if s.flags or s.score < 40]
    edit = "Permanent Member of the Secretariat holds 2023 work briefing with secretaries of Provincial Party Committees"
    page = browser.new_page()
    port = free_port()
    with review_process(out, port) as url:
        page.goto(url)
        expect(page.locator("tr.article")).to_contain_text(f"0 of {len(doc.segments)}")
        open_article(page, url, stem, "Lan")
        expect(page.locator("tr.segment")).to_have_count(len(doc.segments))
        expect(row(page, "p1.s1").locator("td.vi mark.term").first).to_be_visible()  # glossary terms highlighted
        # keyboard: j to the first flagged sentence, e to edit, Esc to leave, a to approve
        page.keyboard.press("j")
        expect(page.locator("tr.current")).to_have_attribute("id", flagged[0])
        page.keyboard.press("j")
        page.keyboard.press("k")
        expect(page.locator("tr.current")).to_have_attribute("id", flagged[0])
        page.keyboard.press("e")
        page.keyboard.press("Control+A")
        page.keyboard.type(edit)
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
        expect(row(page, flagged[0]).locator(".state")).to_contain_text("approved by Lan")
        page.click("#approve-all")
        expect(page.locator("#status")).to_have_text(f"Saved {len(doc.segments) - 1} sentence(s).")
        page.reload()
        expect(row(page, flagged[0]).locator("textarea")).to_have_value(edit)
        expect(page.locator("#approved-count")).to_have_text(str(len(doc.segments)))
    with review_process(out, port) as url:  # the server was stopped and started again
        page.goto(url)
        expect(page.locator("tr.article")).to_contain_text(f"{len(doc.segments)} of {len(doc.segments)}")
        open_article(page, url, stem)
        expect(row(page, flagged[0]).locator("textarea")).to_have_value(edit)
        expect(row(page, flagged[0])).to_have_class(re.compile(r"\bapproved\b"))

    # translate again: the approved sentences come from the memory (OUT/vi2en-tm.sqlite by default), not the model
    args = ["--model", str(tiny_model), "--glossary", str(test_glossary), "--max-length", "8", "--quiet"]
    assert main(["translate", str(seed_article), "--out", str(out), *args]) == 0
    again = {s.id: s for s in document.load(out / translated_seed.name).segments}
    assert (again[flagged[0]].origin, again[flagged[0]].en) == ("tm", edit)
    assert all(s.origin == "tm" for s in again.values())

    site = tmp_path / "site"
    assert main(["publish", str(out), "--site", str(site)]) == 0
    page.goto((site / "index.html").as_uri())
    page.click(f"a[href='{stem}.html']")
    english = page.locator("article")
    if flagged[0] == "p1.s1":
        expect(page.locator("h1")).to_have_text(edit)
    else:
        expect(english).to_contain_text(edit)
    expect(page.locator("footer")).to_contain_text("approved by Lan")
    page.click("a[href$='.bilingual.html']")
    expect(row(page, flagged[0]).locator("td[lang=en]")).to_have_text(edit)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling on either page
    for name in (f"{stem}.html", f"{stem}.bilingual.html"):
        page.goto((site / name).as_uri())
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    page.close()


def test_unsaved_text_survives_refresh_and_a_stopped_server(browser, out, translated_seed):
    stem = translated_seed.stem
    second = document.load(translated_seed).segments[1].id
    port = free_port()
    context = browser.new_context()
    page = context.new_page()
    with review_thread(out, port) as url:
        open_article(page, url, stem, "Lan")
        row(page, second).locator("textarea").fill("Typed, not yet saved")
        page.reload()
        expect(row(page, second).locator("textarea")).to_have_value("Typed, not yet saved")
        expect(row(page, second).locator(".state")).to_have_text("unsaved")
    # the server is gone: the save fails visibly and the text stays
    row(page, second).locator("button.save").click()
    expect(page.locator("#status")).to_contain_text("Not saved: the server cannot be reached")
    expect(row(page, second).locator("textarea")).to_have_value("Typed, not yet saved")
    with review_thread(out, port) as url:
        page.reload()
        expect(row(page, second).locator("textarea")).to_have_value("Typed, not yet saved")
        row(page, second).locator("button.save").click()
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
    entry = Memory(out / "vi2en-tm.sqlite").state(document.load(translated_seed)).entries[second]
    assert (entry.en, entry.editor, entry.approved) == ("Typed, not yet saved", "Lan", False)
    context.close()


def test_two_editors_saving_the_same_sentence_see_a_conflict(browser, out, translated_seed):
    stem = translated_seed.stem
    lan, minh = browser.new_context(), browser.new_context()  # two people: separate browsers, separate storage
    with review_thread(out) as url:
        page_lan, page_minh = lan.new_page(), minh.new_page()
        open_article(page_lan, url, stem, "Lan")
        open_article(page_minh, url, stem, "Minh")
        row(page_lan, "p1.s1").locator("textarea").fill("Lan's title")
        row(page_lan, "p1.s1").locator("button.save").click()
        expect(page_lan.locator("#status")).to_have_text("Saved 1 sentence(s).")
        row(page_minh, "p1.s1").locator("textarea").fill("Minh's title")
        row(page_minh, "p1.s1").locator("button.approve").click()
        conflict = row(page_minh, "p1.s1").locator(".conflict")
        expect(conflict).to_contain_text("Saved meanwhile by Lan")
        expect(conflict).to_contain_text("Lan's title")
        expect(conflict).to_contain_text("Minh's title")
        memory = Memory(out / "vi2en-tm.sqlite")
        doc = document.load(translated_seed)
        assert memory.state(doc).entries["p1.s1"].en == "Lan's title"
        conflict.locator("button.keep-mine").click()
        expect(page_minh.locator("#status")).to_have_text("Saved 1 sentence(s).")
        entry = memory.state(doc).entries["p1.s1"]
        assert (entry.en, entry.editor, entry.version, entry.approved) == ("Minh's title", "Minh", 2, True)
        assert [h["previous_en"] for h in memory.history(doc, "p1.s1")][1] == "Lan's title"
    lan.close()
    minh.close()


def test_script_in_an_article_is_text_in_review_site_and_xliff(browser, tiny_model, tmp_path):
    article = tmp_path / "xss.txt"
    article.write_text(f"Tiêu đề {XSS}\n\nĐoạn văn có {XSS} ở giữa. Câu thứ hai.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["translate", str(article), "--out", str(out), "--model", str(tiny_model), "--max-length", "8", "--quiet"]) == 0
    dialogs = []
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with review_thread(out) as url:
        open_article(page, url, "xss", "Lan")
        expect(row(page, "p1.s1").locator("td.vi")).to_contain_text(f"Tiêu đề {XSS}")
        row(page, "p1.s1").locator("textarea").fill(f"Title {XSS}")
        page.click("#approve-all")
        expect(page.locator("#status")).to_contain_text("Saved")
        page.reload()
        expect(row(page, "p1.s1").locator("textarea")).to_have_value(f"Title {XSS}")
    assert main(["publish", str(out), "--site", str(tmp_path / "site")]) == 0
    for name in ("index.html", "xss.html", "xss.bilingual.html"):
        page.goto((tmp_path / "site" / name).as_uri())
        expect(page.locator("body")).to_contain_text(f"Title {XSS}")
    assert dialogs == []
    assert main(["xliff", "export", str(out / "xss.json"), "-o", str(tmp_path / "xss.xlf")]) == 0
    raw = (tmp_path / "xss.xlf").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    source = etree.parse(str(tmp_path / "xss.xlf")).getroot().find(".//{*}unit/{*}segment/{*}source")
    assert source.text == f"Tiêu đề {XSS}"
    page.close()


def test_close_match_from_the_memory_is_offered_and_used(browser, out, translated_seed):
    draft = document.load(translated_seed)
    long = max(draft.segments, key=lambda s: len(s.vi))
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    memory.save(draft, [Change(long.id, long.vi, "The approved rendering.", True, 0)], "Lan")
    # a later article with the same sentence but one year changed
    later = document.load(translated_seed)
    later.source_path, later.source_sha256 = "later.txt", "f" * 64
    changed = next(s for s in later.segments if s.id == long.id)
    changed.vi = changed.vi.replace("2023", "2024") if "2023" in changed.vi else changed.vi + " Nay."
    document.save(later, out / "later.json")
    page = browser.new_page()
    with review_thread(out) as url:
        open_article(page, url, "later", "Minh")
        suggestion = row(page, long.id).locator(".suggestion")
        expect(suggestion).to_have_count(1)
        expect(suggestion).to_contain_text("The approved rendering.")
        expect(row(page, draft.segments[0].id).locator(".suggestion")).to_have_count(0)
        suggestion.locator("button.use").click()
        expect(row(page, long.id).locator("textarea")).to_have_value("The approved rendering.")
        row(page, long.id).locator("button.save").click()
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
    assert memory.state(later).entries[long.id].en == "The approved rendering."
    page.close()
