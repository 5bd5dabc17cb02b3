"""The review app's HTTP surface with bad input: other schemas, paths outside the folder, bad
saves, bad databases, and requests a desk must refuse (no token, another site, another Host)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import html5lib
import pytest

from vi2en import document
from vi2en.cli import main
from vi2en.document import Block, Document, Segment
from vi2en.memory import Memory
from vi2en.review import create_app


def csrf(client, path: str = "/") -> str:
    """The token the page gives its own scripts, as a browser would read it."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def post(client, url: str, body, **kwargs):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf(client)}, **kwargs)


@pytest.fixture
def out(seed_out, translated_seed, tmp_path):
    folder = seed_out
    newer = json.loads(translated_seed.read_text(encoding="utf-8"))
    newer["schema"] = "vi2en.aligned/2"
    (folder / "newer.json").write_text(json.dumps(newer), encoding="utf-8")
    (folder / "broken.json").write_text("{", encoding="utf-8")
    (folder / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    (folder / "odd.json").write_text('{"schema": 5, "blocks": 1}', encoding="utf-8")
    (tmp_path / "secret.json").write_text(translated_seed.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.fixture
def client(out):
    return create_app(out, Memory(out / "vi2en-tm.sqlite", create=True), "Lan").test_client()


def test_index_lists_every_unreadable_file_and_serves_the_others(client, translated_seed):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "newer.json: schema vi2en.aligned/2 is not supported by this version" in page
    assert "broken.json: not a vi2en JSON document" in page
    assert "deep.json: malformed document (RecursionError" in page
    assert "odd.json: malformed document" in page
    total = len(document.load(translated_seed).segments)
    assert f'href="/a/{translated_seed.stem}"' in page and f"0 of {total}" in page
    response = client.get("/a/newer")
    assert response.status_code == 422 and "schema vi2en.aligned/2 is not supported" in response.get_data(as_text=True)
    assert client.get("/a/deep").status_code == 422
    assert client.get(f"/a/{translated_seed.stem}").status_code == 200


@pytest.mark.parametrize("path", ["/a/..%2Fsecret", "/a/../secret", "/a/%2E%2E%2Fsecret", "/a/secret", "/a/..%2Fout%2Fnewer"])
def test_articles_outside_the_folder_are_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert post(client, path + "/save", {"changes": [{"id": "p1.s1", "en": "x", "version": 0}]}).status_code == 404


BAD_BODIES = [
    ([1, 2], 400, "must be a JSON object"),
    ({"changes": ["p1.s1"]}, 400, "change 0: expected an object"),
    ({"changes": {"p1.s1": "x"}}, 400, "expected"),
    ({"changes": []}, 400, "1 to 5000 changes"),
    ({"changes": [{"id": ["p1.s1"], "en": "x", "version": 0}]}, 400, "is not a segment"),
    ({"changes": [{"id": {"a": 1}, "en": "x", "version": 0}]}, 400, "is not a segment"),
    ({"changes": [{"id": "p99.s9", "en": "x", "version": 0}]}, 400, "p99.s9"),
    ({"changes": [{"id": "p1.s1", "en": 5, "version": 0}]}, 400, "en must be text"),
    ({"changes": [{"id": "p1.s1", "en": "x" * 20_001, "version": 0}]}, 400, "at most 20000 characters"),
    ({"changes": [{"id": "p1.s1", "en": "x", "version": True}]}, 400, "version must be a whole number"),
    ({"changes": [{"id": "p1.s1", "en": "x", "version": "0"}]}, 400, "version must be a whole number"),
    ({"changes": [{"id": "p1.s1", "en": "x", "version": -1}]}, 400, "version must be a whole number"),
    ({"changes": [{"id": "p1.s1", "en": "x", "version": 0, "approved": "false"}]}, 400, "approved must be true or false"),
    ({"changes": [{"id": "p1.s1", "en": "x", "version": 0, "approved": 1}]}, 400, "approved must be true or false"),
]


@pytest.mark.parametrize("body, code, message", BAD_BODIES)
def test_bad_save_bodies_are_refused_with_a_reason_and_change_nothing(client, translated_seed, out, body, code, message):
    response = post(client, f"/a/{translated_seed.stem}/save", body)
    assert (response.status_code, message in response.json["error"]) == (code, True), response.json
    assert Memory(out / "vi2en-tm.sqlite").state(document.load(translated_seed)).entries == {}


def test_bodies_that_are_not_json_deep_or_huge_are_400_413_415(client, translated_seed, out):
    url = f"/a/{translated_seed.stem}/save"
    token = {"X-CSRFToken": csrf(client)}
    assert client.post(url, data="en=x", headers=token).status_code == 415
    response = client.post(url, data="{", content_type="application/json", headers=token)
    assert response.status_code == 400 and "error" in response.json
    response = client.post(url, data="[" * 200_000 + "]" * 200_000, content_type="application/json", headers=token)
    assert response.status_code == 400 and response.json["error"] == "the JSON is nested too deeply"
    huge = json.dumps({"changes": [{"id": "p1.s1", "en": "x" * 3_000_000, "version": 0}]})
    response = client.post(url, data=huge, content_type="application/json", headers=token)
    assert response.status_code == 413 and "larger than the 2 MB" in response.json["error"]
    assert Memory(out / "vi2en-tm.sqlite").state(document.load(translated_seed)).entries == {}


def test_saves_without_the_token_from_another_site_or_for_another_host_are_refused(client, translated_seed, out):
    url = f"/a/{translated_seed.stem}/save"
    change = {"changes": [{"id": "p1.s1", "en": "Saved by an attacker", "version": 0, "approved": True}]}
    response = client.post(url, json=change)
    assert response.status_code == 400 and "CSRF token is missing" in response.json["error"]
    csrf(client)  # a session of its own, but not its token
    response = client.post(url, json=change, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400 and "CSRF token is invalid" in response.json["error"]
    # a form another site's page submits: no token, a foreign Origin
    response = client.post(url, data={"changes": "x"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and "https://evil.example" in response.get_data(as_text=True)
    # DNS rebinding: the browser talks to 127.0.0.1 but names the attacker's host
    for path in ("/", f"/a/{translated_seed.stem}"):
        response = client.get(path, headers={"Host": "rebind.evil.example:8765"})
        assert response.status_code == 400 and "is not trusted" in response.get_data(as_text=True)
    assert Memory(out / "vi2en-tm.sqlite").state(document.load(translated_seed)).entries == {}


def test_every_page_carries_the_security_headers_and_no_inline_script(client, translated_seed):
    for path in ("/", f"/a/{translated_seed.stem}", "/search?q=x", "/a/nowhere"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
        page = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page) and not re.search(r"\son[a-z]+=", page) and "<style" not in page
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Strict"


def test_second_save_from_the_same_version_is_a_conflict_showing_both(client, translated_seed, out):
    url = f"/a/{translated_seed.stem}/save"
    first = post(client, url, {"changes": [{"id": "p1.s1", "en": "Lan's title", "version": 0}]})
    assert first.status_code == 200 and first.json["entries"]["p1.s1"]["version"] == 1
    second = post(client, url, {"changes": [{"id": "p1.s1", "en": "Minh's title", "version": 0, "approved": True}]})
    assert second.status_code == 409
    conflict = second.json["conflicts"][0]
    assert (conflict["yours"]["en"], conflict["theirs"]["en"], conflict["theirs"]["editor"]) == ("Minh's title", "Lan's title", "Lan")
    assert "Lan&#39;s title" in client.get(f"/a/{translated_seed.stem}").get_data(as_text=True)


def test_filters_by_flag_and_status_and_flagged_first(client, out):
    flags = {"p1.s1": [], "p1.s2": ["number-missing"], "p1.s3": [], "p1.s4": ["term-missing"]}
    segments = [Segment(sid, f"Câu {sid}.", f"Sentence {sid}.", score=90.0, flags=f) for sid, f in flags.items()]
    doc = Document("mini.txt", "m" * 64, [Block("p1", "paragraph", "…", segments)])
    document.save(doc, out / "mini.json")
    post(client, "/a/mini/save", {"changes": [{"id": "p1.s1", "en": "Sentence p1.s1.", "version": 0, "approved": True},
                                              {"id": "p1.s3", "en": "Sentence p1.s3, edited.", "version": 0}]})

    def order(query):
        page = client.get(f"/a/mini{query}").get_data(as_text=True)
        return re.findall(r'<tr id="(p1\.s\d)"', page)

    assert order("") == ["p1.s1", "p1.s2", "p1.s3", "p1.s4"]
    assert order("?order=flagged") == ["p1.s2", "p1.s4", "p1.s1", "p1.s3"]
    assert order("?flag=any") == ["p1.s2", "p1.s4"]
    assert order("?flag=term-missing&order=flagged") == ["p1.s4"]
    assert order("?status=approved") == ["p1.s1"]
    assert order("?status=edited") == ["p1.s3"]
    assert order("?status=new") == ["p1.s2", "p1.s4"]
    assert order("?status=unapproved&flag=any") == ["p1.s2", "p1.s4"]
    page = client.get("/a/mini").get_data(as_text=True)
    assert re.findall(r'data-status="(\w+)"', page) == ["approved", "new", "edited", "new"]


def test_review_refuses_a_corrupt_database_and_leaves_it(out, tmp_path, capsys):
    bad = tmp_path / "tm.sqlite"
    bad.write_bytes(b"\x00garbage" * 500)
    before = bad.read_bytes()
    assert main(["review", str(out), "--db", str(bad), "--port", "0"]) == 2
    assert f"{bad}: translation memory unreadable" in capsys.readouterr().err
    assert bad.read_bytes() == before
    assert main(["review", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err


def test_a_server_killed_during_a_save_keeps_all_or_nothing(out, translated_seed):
    """SIGKILL right after a real, accepted approve request is sent: the memory holds every change or none, and is intact."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "vi2en", "review", str(out), "--port", "0"], stdout=subprocess.PIPE, text=True, env=env)
    port = int(re.search(r"127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
    host = f"127.0.0.1:{port}"
    with socket.create_connection(("127.0.0.1", port)) as s:  # the page first, for the session cookie and its token
        s.sendall(f"GET /a/{translated_seed.stem} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        reply = b"".join(iter(lambda: s.recv(65536), b"")).decode()
    cookie = re.search(r"Set-Cookie: (session=[^;]+)", reply).group(1)
    token = re.search(r'name="csrf-token" content="([^"]+)"', reply).group(1)
    doc = document.load(translated_seed)
    body = json.dumps({"changes": [{"id": s.id, "en": f"en {s.id}", "version": 0, "approved": True} for s in doc.segments]}).encode()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"POST /a/{translated_seed.stem}/save HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nX-CSRFToken: {token}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    memory = Memory(out / "vi2en-tm.sqlite")
    assert len(memory.state(doc).entries) in (0, len(doc.segments))
    assert sqlite3.connect(memory.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_editors_racing_for_the_same_sentences_lose_no_acknowledged_save(out, translated_seed):
    """Four editors save the same two sentences at once through the real server, each from the
    version it last saw, taking the other's version from a 409 and trying again: every save the
    server acknowledged is in the history exactly once, with versions 1, 2, 3... and no gaps,
    and the memory holds the last one acknowledged."""
    import threading

    import requests

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "vi2en", "review", str(out), "--port", "0"], stdout=subprocess.PIPE, text=True, env=env)
    doc = document.load(translated_seed)
    contested = [s.id for s in doc.segments[:2]]
    acknowledged: dict[str, list[tuple[int, str]]] = {sid: [] for sid in contested}
    conflicts = [0]
    try:
        base = re.search(r"(http://127\.0\.0\.1:\d+/)", proc.stdout.readline()).group(1)

        def editor(i: int) -> None:
            session = requests.Session()
            token = re.search(r'name="csrf-token" content="([^"]+)"', session.get(f"{base}a/{translated_seed.stem}").text).group(1)
            seen = {sid: 0 for sid in contested}
            for n in range(24):
                sid = contested[n % 2]
                text = f"Edit {n} by editor {i}."
                while True:
                    reply = session.post(f"{base}a/{translated_seed.stem}/save", headers={"X-CSRFToken": token},
                                         json={"changes": [{"id": sid, "en": text, "version": seen[sid]}]}, timeout=60)
                    if reply.status_code == 409:
                        conflicts[0] += 1
                        seen[sid] = reply.json()["conflicts"][0]["theirs"]["version"]
                        continue
                    reply.raise_for_status()
                    seen[sid] = reply.json()["entries"][sid]["version"]
                    acknowledged[sid].append((seen[sid], text))  # list.append is atomic under the GIL
                    break

        threads = [threading.Thread(target=editor, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    memory = Memory(out / "vi2en-tm.sqlite")
    state = memory.state(doc)
    assert conflicts[0] > 0, "the editors never raced: the test proves nothing"
    for sid in contested:
        saves = sorted(acknowledged[sid])
        assert len(saves) == 48  # 4 editors x 12 saves each, every one eventually acknowledged
        history = [(row["version"], row["en"]) for row in memory.history(doc, sid)]
        assert history == saves and [v for v, _ in saves] == list(range(1, 49))
        assert (state.entries[sid].version, state.entries[sid].en) == saves[-1]


def test_terms_forced_into_the_output_are_pointed_out(client, translated_seed):
    """The tiny random model renders no term itself: the ones forced in are marked for the editor, the missing ones too."""
    doc = document.load(translated_seed)
    hits = [h for s in doc.segments for h in s.terms]
    forced = sum(h.fix == "forced" for h in hits)
    missing = sum(not h.found for h in hits)
    assert forced > 0
    page = client.get(f"/a/{translated_seed.stem}").get_data(as_text=True)
    assert page.count("(forced in: check the words around it)") == forced
    assert page.count('</mark><span class="term-note"> (missing)') == missing


def test_crafted_signals_stay_text_in_the_flag_explanation(client, out):
    """Regression: `signals | tojson` in a title attribute let a quote end the attribute and add a handler."""
    evil = '" onmouseover="alert(1)" x="'
    segment = Segment("p1.s1", "Câu.", "Sentence.", score=10.0, flags=["repetition"], signals={"repeated": [evil]})
    document.save(Document("evil.txt", "e" * 64, [Block("p1", "paragraph", "Câu.", [segment])]), out / "evil.json")
    page = html5lib.parse(client.get("/a/evil").get_data(as_text=True), namespaceHTMLElements=False)
    flag = page.find(".//span[@class='flag']")
    why = page.find(".//span[@class='why']")
    assert set(flag.attrib) == {"class"} and flag.text == "repetition"
    assert why.text == f"The English repeats itself: {evil}."  # the flag's explanation, as text
    assert not [e for e in page.iter() if any(a.startswith("on") for a in e.attrib)]
