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
# rebind.test resolves to this machine: a DNS-rebinding page, as the browser would reach it
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP rebind.test 127.0.0.1"]
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
    proc = subprocess.Popen([sys.executable, "-m", "vi2en", "review", str(out), "--port", str(port), "--editor", "Lan"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def review_thread(out: Path, port: int = 0, editor: str = "Lan", glossary: Path | None = None):
    app = create_app(out, Memory(out / "vi2en-tm.sqlite", create=True), editor, glossary=glossary)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def open_article(page, url: str, stem: str):
    page.goto(url)
    page.click(f"a[href='/a/{stem}']")
    expect(page.locator("#segments[data-ready=yes]")).to_be_attached()  # review.js has run


def log_in(page, url: str, name: str, password: str):
    page.goto(url)
    expect(page.locator("h1")).to_have_text("Log in to the review desk")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form.login button")
    expect(page.locator("h1")).to_have_text("Articles to review")


def approve_all(page, include_flagged: bool):
    """The reviewer's way: the button, the question with the count, the confirmation."""
    page.click("#approve-all")
    dialog = page.locator("#approve-dialog")
    expect(dialog).to_be_visible()
    if include_flagged and page.locator("#approve-flagged").is_enabled():
        page.check("#approve-flagged")
    question = page.locator("#approve-question").text_content()
    page.click("#approve-confirm")
    return question


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
        open_article(page, url, stem)
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
        question = approve_all(page, include_flagged=True)
        assert question == f"Approve {len(doc.segments) - 1} sentence(s) of the whole article, whatever the filter shows?"
        expect(page.locator("#status")).to_have_text(f"Saved {len(doc.segments) - 1} sentence(s).")
        page.reload()
        expect(row(page, flagged[0]).locator("textarea.edit")).to_have_value(edit)
        expect(page.locator("#approved-count")).to_have_text(str(len(doc.segments)))
    with review_process(out, port) as url:  # the server was stopped and started again
        page.goto(url)
        expect(page.locator("tr.article")).to_contain_text(f"{len(doc.segments)} of {len(doc.segments)}")
        open_article(page, url, stem)
        expect(row(page, flagged[0]).locator("textarea.edit")).to_have_value(edit)
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
        open_article(page, url, stem)
        row(page, second).locator("textarea.edit").fill("Typed, not yet saved")
        page.reload()
        expect(row(page, second).locator("textarea.edit")).to_have_value("Typed, not yet saved")
        expect(row(page, second).locator(".state")).to_have_text("unsaved")
    # the server is gone: the save fails visibly and the text stays
    row(page, second).locator("button.save").click()
    expect(page.locator("#status")).to_contain_text("Not saved: the server cannot be reached")
    expect(row(page, second).locator("textarea.edit")).to_have_value("Typed, not yet saved")
    with review_thread(out, port) as url:
        page.reload()
        expect(row(page, second).locator("textarea.edit")).to_have_value("Typed, not yet saved")
        row(page, second).locator("button.save").click()
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
    entry = Memory(out / "vi2en-tm.sqlite").state(document.load(translated_seed)).entries[second]
    assert (entry.en, entry.editor, entry.approved) == ("Typed, not yet saved", "Lan", False)
    context.close()


def test_two_editors_saving_the_same_sentence_see_a_conflict(browser, out, translated_seed):
    stem = translated_seed.stem
    lan, minh = browser.new_context(), browser.new_context()  # two people: separate browsers, separate storage
    accounts = Memory(out / "vi2en-tm.sqlite", create=True)
    accounts.add_user("Lan", "reviewer", "lan-password")
    accounts.add_user("Minh", "reviewer", "minh-password")
    with review_thread(out) as url:
        page_lan, page_minh = lan.new_page(), minh.new_page()
        log_in(page_lan, url, "Lan", "lan-password")
        log_in(page_minh, url, "Minh", "minh-password")
        open_article(page_lan, url, stem)
        open_article(page_minh, url, stem)
        row(page_lan, "p1.s1").locator("textarea.edit").fill("Lan's title")
        row(page_lan, "p1.s1").locator("button.save").click()
        expect(page_lan.locator("#status")).to_have_text("Saved 1 sentence(s).")
        row(page_minh, "p1.s1").locator("textarea.edit").fill("Minh's title")
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
        open_article(page, url, "xss")
        expect(row(page, "p1.s1").locator("td.vi")).to_contain_text(f"Tiêu đề {XSS}")
        row(page, "p1.s1").locator("textarea.edit").fill(f"Title {XSS}")
        approve_all(page, include_flagged=True)  # the unsaved edit is saved first, then everything approved
        expect(page.locator("#approved-count")).to_have_text(str(len(document.load(out / "xss.json").segments)))
        page.reload()
        expect(row(page, "p1.s1").locator("textarea.edit")).to_have_value(f"Title {XSS}")
    assert main(["publish", str(out), "--site", str(tmp_path / "site")]) == 0
    for name in ("index.html", "xss.html", "xss.bilingual.html"):
        page.goto((tmp_path / "site" / name).as_uri())
        expect(page.locator("body")).to_contain_text(f"Title {XSS}")
    assert dialogs == []
    assert main(["xliff", "export", str(out / "xss.json"), "-o", str(tmp_path / "xss.xlf")]) == 0
    raw = (tmp_path / "xss.xlf").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    source = etree.parse(str(tmp_path / "xss.xlf")).getroot().find(".//{*}source")  # XLIFF 1.2 or 2
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
        open_article(page, url, "later")
        suggestion = row(page, long.id).locator(".suggestion")
        expect(suggestion).to_have_count(1)
        expect(suggestion).to_contain_text("The approved rendering.")
        expect(suggestion.locator(".diff ins")).to_have_count(1)  # the source words that differ, marked
        expect(suggestion.locator(".diff del")).to_have_count(1 if "2023" in long.vi else 0)
        expect(row(page, draft.segments[0].id).locator(".suggestion")).to_have_count(0)
        suggestion.locator("button.use").click()
        expect(row(page, long.id).locator("textarea.edit")).to_have_value("The approved rendering.")
        row(page, long.id).locator("button.save").click()
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
    assert memory.state(later).entries[long.id].en == "The approved rendering."
    page.close()


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two computed CSS colours ("rgb(r, g, b)")."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_a_translator_edits_and_a_reviewer_approves(browser, out, translated_seed):
    """Two accounts of different roles: the translator cannot approve (not even by calling the
    server), an edit that drops a term raises the flag on save, the reviewer approves with confirmation."""
    stem = translated_seed.stem
    doc = document.load(translated_seed)
    with_term = next(s for s in doc.segments if any(not t.is_entity and t.found for t in s.terms))
    term = next(t for t in with_term.terms if not t.is_entity and t.found)
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    memory.add_user("minh", "translator", "minh-password")
    memory.add_user("lan", "reviewer", "lan-password")
    translator, reviewer = browser.new_context(), browser.new_context()
    with review_thread(out) as url:
        page = translator.new_page()
        page.goto(url + f"a/{stem}")
        expect(page.locator("h1")).to_have_text("Log in to the review desk")  # no account, no article
        page.fill("input[name=name]", "minh")
        page.fill("input[name=password]", "wrong password")
        page.click("form.login button")
        expect(page.locator(".error")).to_have_text("Wrong name or password.")
        log_in(page, url, "minh", "minh-password")
        open_article(page, url, stem)
        expect(page.locator("nav.account")).to_contain_text("minh (translator)")
        expect(page.locator("button.approve")).to_have_count(0)
        expect(page.locator("#approve-all")).to_have_count(0)
        # the server refuses an approval however it is sent
        status = page.evaluate("""async id => (await fetch(document.getElementById("segments").dataset.base + "/save", {method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content},
            body: JSON.stringify({changes: [{id, en: "x", version: 0, approved: true}]})})).status""", with_term.id)
        assert status == 403
        # the translator's English without the glossary's rendering: flagged as soon as it is saved
        target = row(page, with_term.id)
        expect(target.locator(".flag", has_text="term-missing")).to_have_count(0)
        target.locator("textarea.edit").fill("A sentence that leaves the term out.")
        target.locator("button.save").click()
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
        expect(target.locator(".flag", has_text="term-missing")).to_have_count(1)
        expect(target.locator(".term-hit", has_text=term.en).first).to_contain_text("(missing)")
        expect(target.locator(".status-label")).to_have_text("edited")
        page.reload()
        expect(target.locator(".flag", has_text="term-missing")).to_have_count(1)  # the flag is the server's, not the page's

        page = reviewer.new_page()
        log_in(page, url, "lan", "lan-password")
        open_article(page, url, stem)
        expect(page.locator("nav.account")).to_contain_text("lan (reviewer)")
        flagged = page.locator("tr.segment[data-flagged=yes]").count()
        page.click("#approve-all")
        expect(page.locator("#approve-question")).to_have_text(
            f"Approve {len(doc.segments) - flagged} sentence(s) of the whole article, whatever the filter shows? {flagged} with open flags stay unapproved.")
        page.click("#approve-dialog button[value=cancel]")
        expect(page.locator("#status")).to_have_text("Nothing approved.")
        assert memory.state(doc).approved_count(doc) == 0
        approve_all(page, include_flagged=False)
        expect(page.locator("#status")).to_have_text(f"Saved {len(doc.segments) - flagged} sentence(s).")
        expect(row(page, with_term.id)).not_to_have_class(re.compile(r"\bapproved\b"))  # its flag is still open
    state = memory.state(doc)
    assert state.approved_count(doc) == len(doc.segments) - flagged
    assert state.entries[with_term.id].editor == "minh" and not state.entries[with_term.id].approved
    assert {e.editor for e in state.entries.values() if e.approved} == {"lan"}
    translator.close()
    reviewer.close()


def test_a_cross_site_form_and_a_foreign_host_are_refused(browser, out, translated_seed, tmp_path):
    stem = translated_seed.stem
    page = browser.new_page()
    with review_thread(out) as url:
        open_article(page, url, stem)  # the editor is using the desk in this browser
        attack = tmp_path / "attack.html"
        attack.write_text(f'<form method="post" action="{url}a/{stem}/save" enctype="text/plain">'
                          f'<input name=\'{{"changes": [{{"id": "p1.s1", "en": "pwned", "version": 0, "approved": true, "x": "\' value=\'"}}]}}\'>'
                          '<button>Win a prize</button></form>', encoding="utf-8")
        page.goto(attack.as_uri())
        page.click("button")
        expect(page.locator("body")).to_contain_text("refused")
        # DNS rebinding: an attacker's name that now resolves to this machine
        port = url.rsplit(":", 1)[1].strip("/")
        response = page.goto(f"http://rebind.test:{port}/a/{stem}")
        assert response.status == 400
        expect(page.locator("body")).to_contain_text("Host 'rebind.test")
    assert Memory(out / "vi2en-tm.sqlite").state(document.load(translated_seed)).entries == {}
    page.close()


def test_concordance_undo_history_and_comments(browser, out, translated_seed):
    stem = translated_seed.stem
    doc = document.load(translated_seed)
    target = doc.segments[1]
    phrase = " ".join(target.vi.split()[1:3])
    page = browser.new_page()
    with review_thread(out) as url:
        open_article(page, url, stem)
        page.fill("nav.account input[name=q]", phrase.upper())  # case does not matter, diacritics and all
        page.click("nav.account button")
        hits = page.locator("tr.hit")
        expect(hits.first).to_be_visible()
        expect(page.locator(f"tr.hit a[href='/a/{stem}#{target.id}']")).to_have_count(1)
        expect(page.locator("tr.hit td[lang=vi] mark").first).to_have_text(re.compile(re.escape(phrase), re.IGNORECASE))

        open_article(page, url, stem)
        box = row(page, target.id).locator("textarea.edit")
        box.fill("First version.")
        row(page, target.id).locator("button.save").click()
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
        box.fill("Second version.")
        row(page, target.id).locator("button.save").click()
        expect(page.locator("#status")).to_have_text("Saved 1 sentence(s).")
        row(page, target.id).locator("button.undo").click()
        expect(page.locator("#status")).to_have_text(f"Undone: {target.id} is back to its previous version.")
        expect(box).to_have_value("First version.")
        row(page, target.id).locator("button.undo").click()
        expect(box).to_have_value(target.en)  # back to the machine draft
        row(page, target.id).locator(".history summary").click()
        expect(row(page, target.id).locator(".history-list li")).to_have_count(4)
        expect(row(page, target.id).locator(".history-list li").nth(1)).to_contain_text("Second version.")

        row(page, target.id).locator(".comment summary").click()
        row(page, target.id).locator(".comment-text").fill("Check the figure with the desk.")
        row(page, target.id).locator("button.save-comment").click()
        expect(page.locator("#status")).to_have_text(f"Comment on {target.id} saved.")
        page.reload()
        expect(row(page, target.id).locator(".comment-text")).to_have_value("Check the figure with the desk.")
    page.close()


def test_layout_grows_edit_boxes_fits_a_phone_and_labels_are_readable(browser, out, translated_seed):
    stem = translated_seed.stem
    doc = document.load(translated_seed)
    longest = max(doc.segments, key=lambda s: len(s.vi))
    page = browser.new_page()
    with review_thread(out) as url:
        open_article(page, url, stem)
        box = row(page, longest.id).locator("textarea.edit")
        box.fill(" ".join(["A long sentence the editor writes out in full."] * 12))
        scroll, client = box.evaluate("b => [b.scrollHeight, b.clientHeight]")
        assert client >= scroll - 4, "the edit box grows with the text: nothing hidden behind a scroll bar"
        for kind in page.locator(".kind").all()[:3]:
            fg, bg = kind.evaluate("""k => { const row = k.closest("tr"); return [getComputedStyle(k).color,
                getComputedStyle(row).backgroundColor === "rgba(0, 0, 0, 0)" ? "rgb(255, 255, 255)" : getComputedStyle(row).backgroundColor]; }""")
            assert contrast(fg, bg) >= 4.5, (fg, bg)
        assert page.locator("td.vi").count() == page.locator("td.vi[lang=vi]").count() > 0
        page.set_viewport_size({"width": 390, "height": 844})
        for path in ("", f"a/{stem}", f"search?q={longest.vi.split()[0]}"):
            page.goto(url + path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        page.goto(url + f"a/{stem}")
        assert row(page, longest.id).locator("textarea.edit").evaluate("b => b.getBoundingClientRect().width") > 300
    page.close()


def test_a_reviewer_adds_a_term_to_the_glossary(browser, out, translated_seed, tmp_path):
    glossary = tmp_path / "glossary"
    glossary.mkdir()
    stem = translated_seed.stem
    first = document.load(translated_seed).segments[0]
    page = browser.new_page()
    with review_thread(out, glossary=glossary) as url:
        open_article(page, url, stem)
        panel = row(page, first.id).locator(".add-term")
        panel.locator("summary").click()
        panel.locator(".term-vi").fill("Thường trực Ban Bí thư")
        panel.locator(".term-en").fill("Permanent Member of the Secretariat")
        panel.locator(".term-kind").fill("title")
        panel.locator(".term-domain").fill("central")
        panel.locator(".add-term-button").click()
        expect(page.locator("#status")).to_have_text("Added to central.tsv: Thường trực Ban Bí thư → Permanent Member of the Secretariat (used from the next translation).")
    from vi2en.glossary_edit import load_file
    assert [(e.vi, e.en, e.kind) for e in load_file(glossary, "central.tsv")] == [("Thường trực Ban Bí thư", "Permanent Member of the Secretariat", "title")]
    page.close()
