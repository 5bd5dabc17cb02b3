"""Accounts and roles of the review desk: the command line, logging in, one-person mode, and
what each role may do, checked by the server whatever the page shows."""

from __future__ import annotations

import io
import re
import sqlite3

import pytest

from vi2en import document
from vi2en.cli import main
from vi2en.document import Block, Document, Segment
from vi2en.memory import Memory, TMError
from vi2en.review import create_app


def csrf(client, path: str = "/") -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def post(client, url: str, body):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf(client, "/login")})


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    segments = [Segment("p1.s1", "Ban Bí thư họp.", "The Secretariat met.", score=80.0),
                Segment("p1.s2", "Năm 2024.", "In 2023.", score=80.0, flags=["number-missing"]),
                Segment("p1.s3", "Hết.", "The end.", score=80.0)]
    document.save(Document("mini.txt", "m" * 64, [Block("p1", "paragraph", "…", segments)]), folder / "mini.json")
    return folder


@pytest.fixture
def memory(out):
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    memory.add_user("lan", "reviewer", "lan-password")
    memory.add_user("minh", "translator", "minh-password")
    return memory


def logged_in(out, memory, name):
    client = create_app(out, memory).test_client()
    response = client.post("/login", data={"name": name, "password": f"{name}-password", "csrf_token": csrf(client, "/login")})
    assert response.status_code == 302
    return client


def test_users_are_added_listed_and_removed_from_the_command_line(out, monkeypatch, capsys):
    db = out / "vi2en-tm.sqlite"
    monkeypatch.setattr("sys.stdin", io.StringIO("a good password\n"))
    assert main(["review", "users", "add", "lan", "--role", "reviewer", "--db", str(out)]) == 0
    assert capsys.readouterr().out == f"added lan (reviewer) to {db}\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["review", "users", "add", "minh", "--db", str(db)]) == 1
    assert "too short" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert main(["review", "users", "add", "lan", "--db", str(db)]) == 1
    assert "already an account 'lan'" in capsys.readouterr().err
    assert main(["review", "users", "list", "--db", str(out)]) == 0
    assert capsys.readouterr().out == "lan\treviewer\n"
    stored = sqlite3.connect(db).execute("SELECT password FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "a good password" not in stored
    assert Memory(db).authenticate("lan", "a good password").role == "reviewer"
    assert Memory(db).authenticate("lan", "a bad password") is None and Memory(db).authenticate("nobody", "x") is None
    assert main(["review", "users", "remove", "lan", "--db", str(out)]) == 0
    assert main(["review", "users", "remove", "lan", "--db", str(out)]) == 1
    assert "no account 'lan'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse names the roles
        main(["review", "users", "add", "x", "--role", "boss", "--db", str(out)])
    assert "invalid choice: 'boss'" in capsys.readouterr().err


def test_no_other_address_than_loopback_without_accounts(out, capsys):
    assert main(["review", str(out), "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "refusing to listen on 0.0.0.0: without accounts" in capsys.readouterr().err
    Memory(out / "vi2en-tm.sqlite").add_user("lan", "reviewer", "lan-password")
    assert main(["review", str(out), "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "needs --allow-host" in capsys.readouterr().err


def test_without_accounts_only_this_machine_may_use_the_desk(out):
    app = create_app(out, Memory(out / "vi2en-tm.sqlite", create=True), "Lan")
    assert app.test_client().get("/").status_code == 200
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # a request from another machine
    assert client.get("/").status_code == 302 and client.get("/a/mini").headers["Location"].startswith("/login")


def test_with_accounts_every_page_and_save_needs_a_login(out, memory):
    client = create_app(out, memory).test_client()
    assert client.get("/a/mini").headers["Location"] == "/login?next=/a/mini"
    response = post(client, "/a/mini/save", {"changes": [{"id": "p1.s1", "en": "x", "version": 0}]})
    assert response.status_code == 401 and response.json["error"] == "log in first"
    response = client.post("/login", data={"name": "lan", "password": "wrong", "csrf_token": csrf(client, "/login")})
    assert response.status_code == 401 and "Wrong name or password." in response.get_data(as_text=True)
    response = client.post("/login?next=//evil.example/x", data={"name": "lan", "password": "lan-password", "csrf_token": csrf(client, "/login")})
    assert response.headers["Location"] == "/"  # never an open redirect
    assert client.get("/a/mini").status_code == 200
    memory.remove_user("lan")
    assert client.get("/a/mini").status_code == 302  # a removed account's session ends


def test_a_translator_edits_but_cannot_approve_and_history_names_the_account(out, memory):
    doc = document.load(out / "mini.json")
    minh = logged_in(out, memory, "minh")
    page = minh.get("/a/mini").get_data(as_text=True)
    assert 'class="approve"' not in page and 'id="approve-all"' not in page
    response = post(minh, "/a/mini/save", {"changes": [{"id": "p1.s1", "en": "Approved?", "version": 0, "approved": True}]})
    assert response.status_code == 403 and "minh is a translator" in response.json["error"]
    assert minh.get("/a/mini/approve-all").status_code == 403
    assert post(minh, "/a/mini/approve-all", {"include_flagged": True, "count": 3}).status_code == 403
    assert post(minh, "/glossary", {"vi": "a", "en": "b", "kind": "body", "domain": "x"}).status_code == 403
    response = post(minh, "/a/mini/save", {"editor": "somebody else", "changes": [{"id": "p1.s1", "en": "The Secretariat met today.", "version": 0}]})
    assert response.status_code == 200 and response.json["entries"]["p1.s1"]["editor"] == "minh"
    assert [h["editor"] for h in memory.history(doc, "p1.s1")] == ["minh"]
    assert memory.state(doc).approved_count(doc) == 0


def test_approve_all_leaves_flagged_sentences_unless_asked_and_checks_the_count(out, memory):
    doc = document.load(out / "mini.json")
    lan = logged_in(out, memory, "lan")
    assert lan.get("/a/mini/approve-all").json == {"clean": 2, "flagged": 1}
    response = post(lan, "/a/mini/approve-all", {"include_flagged": False, "count": 3})
    assert response.status_code == 409 and "2 sentences would be approved now, not the 3" in response.json["error"]
    assert post(lan, "/a/mini/approve-all", {"include_flagged": "no", "count": 2}).status_code == 400
    # a filter on the page changes nothing: the whole article is approved, the flagged sentence left
    response = post(lan, "/a/mini/approve-all", {"include_flagged": False, "count": 2})
    assert response.status_code == 200 and sorted(response.json["entries"]) == ["p1.s1", "p1.s3"]
    assert lan.get("/a/mini/approve-all").json == {"clean": 0, "flagged": 1}
    assert post(lan, "/a/mini/approve-all", {"include_flagged": True, "count": 1}).status_code == 200
    assert memory.state(doc).approved(doc)
    # unapprove: a reviewer's save with approved false
    response = post(lan, "/a/mini/save", {"changes": [{"id": "p1.s3", "en": "The end.", "version": 1, "approved": False}]})
    assert response.json["entries"]["p1.s3"]["status"] == "edited" and response.json["approved"] == 2


def test_an_edit_is_checked_again_on_save(out, memory):
    """The editor's English goes through the machine's checks: a fixed number clears the flag, a dropped one raises it."""
    lan = logged_in(out, memory, "lan")
    fixed = post(lan, "/a/mini/save", {"changes": [{"id": "p1.s2", "en": "In 2024.", "version": 0}]}).json["entries"]["p1.s2"]
    assert (fixed["flags"], fixed["flagged"], fixed["score"]) == ([], False, None)
    broken = post(lan, "/a/mini/save", {"changes": [{"id": "p1.s2", "en": "This year, Năm.", "version": 1}]}).json["entries"]["p1.s2"]
    assert {"number-missing", "untranslated"} <= set(broken["flags"]) and broken["flagged"]
    assert lan.get("/a/mini/approve-all").json == {"clean": 2, "flagged": 1}
    assert re.findall(r'data-flagged="(\w+)"', lan.get("/a/mini").get_data(as_text=True)) == ["no", "yes", "no"]


def test_undo_goes_back_one_save_at_a_time_and_comments_are_kept(out, memory):
    doc = document.load(out / "mini.json")
    lan = logged_in(out, memory, "lan")
    post(lan, "/a/mini/save", {"changes": [{"id": "p1.s1", "en": "First.", "version": 0}]})
    post(lan, "/a/mini/save", {"changes": [{"id": "p1.s1", "en": "Second.", "version": 1, "approved": True}]})
    assert post(lan, "/a/mini/undo", {"id": "p1.s1", "version": 1}).status_code == 409  # not the version on the server
    step = post(lan, "/a/mini/undo", {"id": "p1.s1", "version": 2}).json["entries"]["p1.s1"]
    assert (step["en"], step["approved"], step["version"]) == ("First.", False, 3)
    step = post(lan, "/a/mini/undo", {"id": "p1.s1", "version": 3}).json["entries"]["p1.s1"]
    assert step["en"] == "The Secretariat met."  # the machine draft
    response = post(lan, "/a/mini/undo", {"id": "p1.s1", "version": 4})
    assert response.status_code == 400 and "nothing to undo" in response.json["error"]
    assert [h["via"] for h in memory.history(doc, "p1.s1")] == ["review", "review", "undo:2", "undo:1"]
    assert post(lan, "/a/mini/comment", {"id": "p1.s1", "text": "Ask the desk about the date."}).json["comment"]["editor"] == "lan"
    assert memory.comments(doc)["p1.s1"].text == "Ask the desk about the date."
    assert post(lan, "/a/mini/comment", {"id": ["p1.s1"], "text": "x"}).status_code == 400
    assert post(lan, "/a/mini/comment", {"id": "p1.s1", "text": ""}).json["comment"] is None


def test_accounts_need_a_name_a_known_role_and_a_long_enough_password(out):
    memory = Memory(out / "vi2en-tm.sqlite", create=True)
    for name, role, password, message in [(" ", "reviewer", "long enough", "needs a name"), ("a", "chief", "long enough", "not one of"),
                                          ("a", "reviewer", "short", "too short")]:
        with pytest.raises(TMError, match=message):
            memory.add_user(name, role, password)
    assert memory.users() == []
