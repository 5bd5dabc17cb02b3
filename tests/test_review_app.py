"""The review app's HTTP surface with bad input: other schemas, paths outside the folder, bad saves, bad databases."""

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

import pytest

from vi2en import document
from vi2en.cli import main
from vi2en.document import Block, Document, Segment
from vi2en.memory import Memory
from vi2en.review import create_app


@pytest.fixture
def out(seed_out, translated_seed, tmp_path):
    folder = seed_out
    newer = json.loads(translated_seed.read_text(encoding="utf-8"))
    newer["schema"] = "vi2en.aligned/2"
    (folder / "newer.json").write_text(json.dumps(newer), encoding="utf-8")
    (folder / "broken.json").write_text("{", encoding="utf-8")
    (tmp_path / "secret.json").write_text(translated_seed.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.fixture
def client(out):
    return create_app(out, Memory(out / "vi2en-tm.sqlite", create=True)).test_client()


def test_index_shows_unreadable_articles_and_serves_the_others(client, translated_seed):
    page = client.get("/").get_data(as_text=True)
    assert "newer.json: schema vi2en.aligned/2 is not supported by this version" in page
    assert "broken.json: not a vi2en JSON document" in page
    total = len(document.load(translated_seed).segments)
    assert f'href="/a/{translated_seed.stem}"' in page and f"0 of {total}" in page
    response = client.get("/a/newer")
    assert response.status_code == 422 and "schema vi2en.aligned/2 is not supported" in response.get_data(as_text=True)
    assert client.get(f"/a/{translated_seed.stem}").status_code == 200


@pytest.mark.parametrize("path", ["/a/..%2Fsecret", "/a/../secret", "/a/%2E%2E%2Fsecret", "/a/secret", "/a/..%2Fout%2Fnewer"])
def test_articles_outside_the_folder_are_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert client.post(path + "/save", json={"editor": "x", "changes": []}).status_code == 404


def test_bad_saves_are_refused_with_a_reason(client, translated_seed, out):
    url = f"/a/{translated_seed.stem}/save"
    assert client.post(url, data="en=x").status_code == 415
    response = client.post(url, json={"changes": [{"id": "p1.s1", "en": "x", "version": 0}]})
    assert response.status_code == 400 and "editor name" in response.json["error"]
    response = client.post(url, json={"editor": "lan", "changes": [{"id": "p99.s9", "en": "x", "version": 0}]})
    assert response.status_code == 400 and "p99.s9" in response.json["error"]
    for body in ([1, 2], {"editor": "lan", "changes": ["p1.s1"]}, {"editor": "lan", "changes": {"p1.s1": "x"}}):
        assert client.post(url, json=body).status_code == 400
    assert Memory(out / "vi2en-tm.sqlite").state(document.load(translated_seed)).entries == {}


def test_second_save_from_the_same_version_is_a_conflict_showing_both(client, translated_seed):
    url = f"/a/{translated_seed.stem}/save"
    first = client.post(url, json={"editor": "lan", "changes": [{"id": "p1.s1", "en": "Lan's title", "version": 0}]})
    assert first.status_code == 200 and first.json["entries"]["p1.s1"]["version"] == 1
    second = client.post(url, json={"editor": "minh", "changes": [{"id": "p1.s1", "en": "Minh's title", "version": 0, "approved": True}]})
    assert second.status_code == 409
    conflict = second.json["conflicts"][0]
    assert (conflict["yours"]["en"], conflict["theirs"]["en"], conflict["theirs"]["editor"]) == ("Minh's title", "Lan's title", "lan")
    assert "Lan&#39;s title" in client.get(f"/a/{translated_seed.stem}").get_data(as_text=True)


def test_filters_and_flagged_first(client, out):
    flags = {"p1.s1": [], "p1.s2": ["number-missing"], "p1.s3": [], "p1.s4": ["term-missing"]}
    segments = [Segment(sid, f"Câu {sid}.", f"Sentence {sid}.", score=90.0, flags=f) for sid, f in flags.items()]
    document.save(Document("mini.txt", "m" * 64, [Block("p1", "paragraph", "…", segments)]), out / "mini.json")

    def order(query):
        page = client.get(f"/a/mini{query}").get_data(as_text=True)
        return re.findall(r'<tr id="(p1\.s\d)"', page)

    assert order("") == ["p1.s1", "p1.s2", "p1.s3", "p1.s4"]
    assert order("?order=flagged") == ["p1.s2", "p1.s4", "p1.s1", "p1.s3"]
    assert order("?flag=any") == ["p1.s2", "p1.s4"]
    assert order("?flag=term-missing&order=flagged") == ["p1.s4"]


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
    """SIGKILL right after an approve-all request is sent: the memory holds every change or none, and is intact."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "vi2en", "review", str(out), "--port", "0"], stdout=subprocess.PIPE, text=True, env=env)
    port = int(re.search(r"127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
    doc = document.load(translated_seed)
    body = json.dumps({"editor": "lan", "changes": [{"id": s.id, "en": f"en {s.id}", "version": 0, "approved": True} for s in doc.segments]}).encode()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"POST /a/{translated_seed.stem}/save HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    memory = Memory(out / "vi2en-tm.sqlite")
    assert len(memory.state(doc).entries) in (0, len(doc.segments))
    assert sqlite3.connect(memory.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_terms_forced_into_the_output_are_pointed_out(client, translated_seed):
    """The tiny random model renders no term itself: the ones forced in are marked for the editor, the missing ones too."""
    doc = document.load(translated_seed)
    hits = [h for s in doc.segments for h in s.terms]
    forced = sum(h.fix == "forced" for h in hits)
    missing = sum(not h.found for h in hits)
    assert forced > 0
    page = client.get(f"/a/{translated_seed.stem}").get_data(as_text=True)
    assert page.count("(forced in: check the words around it)") == forced
    assert page.count("</mark> (missing)") == missing
