"""The review web app: editors correct and approve the machine draft sentence by sentence.

The aligned JSON files in the output folder are the draft and are only read; edits and
approvals go to the translation memory (memory.py), and every page merges the two. Each
saved English goes through the machine's checks again (memory.merged), so flags follow edits.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request, send_from_directory
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from vi2en import document
from vi2en.document import Document, DocumentError, Segment
from vi2en.glossary import Entry, GlossaryError
from vi2en.glossary_edit import add_entry
from vi2en.html import highlight
from vi2en.memory import ArticleState, Change, Memory, TMError
from vi2en.review import accounts
from vi2en.review.tools import Progress, concordance, source_diff
from vi2en.score import explain

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC = Path(__file__).resolve().parents[1] / "static"
MAX_CHANGES = 5000
MAX_TEXT = 20_000  # characters of one sentence's English or comment
STATUSES = ("new", "edited", "approved")


def is_flagged(segment: Segment) -> bool:
    # a low score raises a flag of its own, so the flags say it all
    return bool(segment.flags)


def shown(segment: Segment, status: str, flag: str, state_status: str) -> bool:
    """The page's filters: flag "" all, "any" the flagged, a flag name those raising it;
    status "" all, "unapproved", or one of STATUSES."""
    if flag == "any" and not is_flagged(segment) or flag not in ("", "any") and flag not in segment.flags:
        return False
    if status == "unapproved":
        return state_status != "approved"
    return not status or status == state_status


def read_document(path: Path) -> tuple[Document | None, str | None]:
    """One aligned JSON, or the error that keeps it out of review.

    Whatever is in the file (not JSON, JSON nested thousands deep, the wrong shapes), it is
    an error naming the file, never an exception that would stop the other articles."""
    try:
        return document.load(path), None
    except DocumentError as e:
        return None, str(e)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as e:
        return None, f"{path}: malformed document ({type(e).__name__}: {e})"[:500]


def scan(out_dir: Path) -> list[tuple[Path, Document | None, str | None]]:
    """Every aligned JSON in the folder, loaded, or with the error that keeps it out of review."""
    return [(path, *read_document(path)) for path in sorted(Path(out_dir).glob("*.json"))]


def readable(out_dir: Path) -> list[tuple[Path, Document]]:
    return [(path, doc) for path, doc, _ in scan(out_dir) if doc]


def load_article(out_dir: Path, name: str) -> Document:
    """The document `name` (a file stem) directly inside out_dir; anything else is not found."""
    candidates = {p.stem: p for p in Path(out_dir).glob("*.json")}
    if name not in candidates:
        abort(404, f"no article {name!r} in {out_dir}")
    doc, error = read_document(candidates[name])
    if doc is None:
        abort(422, error)
    return doc


def json_body() -> dict:
    """The request's JSON object, or a 400/413/415 naming the problem; never a 500."""
    if not request.is_json:
        abort(415, "send JSON (Content-Type: application/json)")
    try:
        body = request.get_json(silent=False)
    except RecursionError:
        abort(400, "the JSON is nested too deeply")
    except HTTPException:
        raise
    except Exception:  # werkzeug turns a JSON error into a 400, but a decode error can surface otherwise
        abort(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        abort(400, "the body must be a JSON object")
    return body


def entry_json(state: ArticleState, segment: Segment) -> dict:
    """What the page needs to redraw a row after a save: the stored entry and the re-checked flags."""
    entry = state.entries.get(segment.id)
    return {
        "id": segment.id, "en": segment.en, "version": entry.version if entry else 0,
        "approved": state.is_approved(segment.id, segment.vi), "status": state.status(segment.id, segment.vi),
        "editor": entry.editor if entry else "", "updated": entry.updated if entry else "",
        "flags": segment.flags, "flagged": is_flagged(segment), "score": segment.score,
        "explanations": [explain(f, segment.signals) for f in segment.flags],
        "terms": [{"en": t.en, "found": t.found} for t in segment.terms],
    }


def create_app(out_dir: Path, memory: Memory, editor: str = "", *, hosts: list[str] | None = None, glossary: Path | None = None) -> Flask:
    """The app for `out_dir`. `editor` names the one person of a desk without accounts; `hosts`
    are the Host names the app answers to (default: this machine's loopback names); `glossary`
    is the folder "add to glossary" writes to (none: reviewers cannot add terms)."""
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["source_diff"] = source_diff
    app.jinja_env.filters["explain"] = explain
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    out_dir = Path(out_dir)
    accounts.setup(app, memory, editor or "editor", list(hosts or accounts.LOOPBACK_NAMES))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if isinstance(e, CSRFError):
            e.description = f"refused: {e.description} Reload the page and try again."
        if e.code == 413:
            e.description = f"refused: the request is larger than the {accounts.MAX_BODY // 2**20} MB a save may be"
        if request.is_json or request.path.endswith(("/save", "/approve-all", "/undo", "/comment", "/glossary")) or "/history/" in request.path:
            return jsonify(error=e.description), e.code
        return render_template("review/error.html", code=e.code, message=e.description), e.code

    @app.errorhandler(TMError)
    def memory_error(e: TMError):
        return (jsonify(error=str(e)), 500) if request.is_json else (render_template("review/error.html", code=500, message=str(e)), 500)

    @app.get("/aligned.css")
    def aligned_css():
        return send_from_directory(TEMPLATES, "aligned.css")

    @app.get("/")
    def index():
        articles = []
        for path, doc, error in scan(out_dir):
            progress = Progress.of(doc, memory.state(doc)) if doc else None
            articles.append({"path": path, "doc": doc, "error": error, "progress": progress})
        ok = sorted((a for a in articles if a["doc"]), key=lambda a: a["doc"].date or "", reverse=True)
        articles = ok + [a for a in articles if not a["doc"]]  # newest first, unreadable ones last
        return render_template("review/index.html", articles=articles, out_dir=out_dir, db=memory.path)

    @app.get("/a/<name>")
    def article(name: str):
        draft = load_article(out_dir, name)
        merged, state = memory.merged(draft)
        flag, status = request.args.get("flag", ""), request.args.get("status", "")
        flagged_first = request.args.get("order") == "flagged"
        drafts = {s.id: s.en for s in draft.segments}
        comments = memory.comments(draft)
        rows = []
        for block in merged.blocks:
            for n, segment in enumerate(block.segments):
                row_status = state.status(segment.id, segment.vi)
                if not shown(segment, status, flag, row_status):
                    continue
                entry = state.entries.get(segment.id)
                rows.append({
                    "block": block, "first": n == 0, "seg": segment, "flagged": is_flagged(segment), "status": row_status,
                    "entry": entry if row_status != "new" else None, "version": entry.version if entry else 0,
                    "draft": drafts[segment.id], "comment": comments.get(segment.id),
                })
        if flagged_first:
            rows.sort(key=lambda r: not r["flagged"])  # stable: document order within each group
        all_flags = sorted({f for s in merged.segments for f in s.flags})
        return render_template(
            "review/article.html", doc=merged, name=name, rows=rows, flag=flag, status=status, statuses=STATUSES,
            flagged_first=flagged_first, all_flags=all_flags, suggestions=memory.suggestions(draft),
            progress=Progress.of(draft, state), glossary=glossary,
        )

    def changes_from(body: dict, doc: Document) -> list[Change]:
        items = body.get("changes")
        if not isinstance(items, list) or not 0 < len(items) <= MAX_CHANGES:
            abort(400, f'expected {{"changes": [{{"id", "en", "version", "approved"}}, ...]}} with 1 to {MAX_CHANGES} changes')
        segments = {s.id: s for s in doc.segments}
        changes = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                abort(400, f"change {n}: expected an object with id, en and version")
            sid, en, version, approved = item.get("id"), item.get("en"), item.get("version"), item.get("approved", False)
            if not isinstance(sid, str) or sid not in segments:
                abort(400, f"change {n}: id {str(sid)[:80]!r} is not a segment of {doc.stem}")
            if not isinstance(en, str) or len(en) > MAX_TEXT:
                abort(400, f"change {n} ({sid}): en must be text of at most {MAX_TEXT} characters")
            if not isinstance(version, int) or isinstance(version, bool) or version < 0:
                abort(400, f"change {n} ({sid}): version must be a whole number ≥ 0")
            if not isinstance(approved, bool):
                abort(400, f"change {n} ({sid}): approved must be true or false, not {approved!r}"[:200])
            if approved and not current_user.can_approve:
                abort(403, f"{current_user.name} is a translator: only a reviewer or an admin may approve")
            segment = segments[sid]
            changes.append(Change(sid, segment.vi, en, approved, version, draft=segment.en))
        return changes

    def saved(doc: Document, changes: list[Change], via: str = "review"):
        conflicts = memory.save(doc, changes, current_user.name, via)
        if conflicts:
            return jsonify(conflicts=[
                {"id": c.yours.segment_id, "yours": {"en": c.yours.en, "approved": c.yours.approved},
                 "theirs": vars(c.theirs) if c.theirs else None} for c in conflicts
            ]), 409
        merged, state = memory.merged(doc, only={c.segment_id for c in changes})
        segments = {s.id: s for s in merged.segments}
        return jsonify(entries={c.segment_id: entry_json(state, segments[c.segment_id]) for c in changes},
                       approved=state.approved_count(doc), progress=vars(Progress.of(doc, state)))

    @app.post("/a/<name>/save")
    def save(name: str):
        doc = load_article(out_dir, name)
        return saved(doc, changes_from(json_body(), doc))

    def approvable(doc: Document, include_flagged: bool) -> tuple[list[Change], int]:
        """Every unapproved sentence of the article (whatever the page's filter), and how many of
        them were left out because they still raise a flag."""
        merged, state = memory.merged(doc)
        changes, flagged = [], 0
        for segment in merged.segments:
            if state.is_approved(segment.id, segment.vi):
                continue
            if is_flagged(segment) and not include_flagged:
                flagged += 1
                continue
            entry = state.entries.get(segment.id)
            changes.append(Change(segment.id, segment.vi, segment.en, True, entry.version if entry else 0, draft=segment.en))
        return changes, flagged

    @app.get("/a/<name>/approve-all")
    @accounts.approvers_only
    def approve_all_count(name: str):
        doc = load_article(out_dir, name)
        clean, flagged = approvable(doc, include_flagged=False)
        return jsonify(clean=len(clean), flagged=flagged)

    @app.post("/a/<name>/approve-all")
    @accounts.approvers_only
    def approve_all(name: str):
        doc = load_article(out_dir, name)
        body = json_body()
        include, expected = body.get("include_flagged", False), body.get("count")
        if not isinstance(include, bool) or not isinstance(expected, int) or isinstance(expected, bool):
            abort(400, 'expected {"include_flagged": true|false, "count": the number you were asked to confirm}')
        changes, _ = approvable(doc, include)
        if len(changes) != expected:
            abort(409, f"{len(changes)} sentences would be approved now, not the {expected} you confirmed (someone saved meanwhile); ask again")
        if not changes:
            abort(400, "nothing to approve")
        return saved(doc, changes)

    @app.post("/a/<name>/undo")
    def undo(name: str):
        """Back to the English before the last save of a sentence, and on, one save per click.

        An undo is itself a save (via "undo:N", N the version it took back), so nothing is lost
        and the history shows it; undoing again takes back the save before N, not the undo."""
        doc = load_article(out_dir, name)
        body = json_body()
        segment = next((s for s in doc.segments if s.id == body.get("id")), None) if isinstance(body.get("id"), str) else None
        version = body.get("version")
        if segment is None or not isinstance(version, int) or isinstance(version, bool):
            abort(400, 'expected {"id": a segment id, "version": the version on your page}')
        saves = {h["version"]: h for h in memory.history(doc, segment.id)}
        last = saves.get(version)
        while last and last["via"].startswith("undo:"):
            last = saves.get(int(last["via"][5:]) - 1)
        if last is None:
            abort(400, f"{segment.id}: nothing to undo (this is the machine draft)")
        approved = bool(last["previous_approved"]) and current_user.can_approve
        change = Change(segment.id, segment.vi, last["previous_en"], approved, version, draft=segment.en)
        return saved(doc, [change], via=f"undo:{last['version']}")

    @app.get("/a/<name>/history/<segment_id>")
    def history(name: str, segment_id: str):
        doc = load_article(out_dir, name)
        if segment_id not in {s.id for s in doc.segments}:
            abort(404, f"no segment {segment_id!r} in {name}")
        return jsonify(history=memory.history(doc, segment_id))

    @app.post("/a/<name>/comment")
    def comment(name: str):
        doc = load_article(out_dir, name)
        body = json_body()
        sid, text = body.get("id"), body.get("text")
        if not isinstance(sid, str) or sid not in {s.id for s in doc.segments} or not isinstance(text, str) or len(text) > MAX_TEXT:
            abort(400, f'expected {{"id": a segment id, "text": at most {MAX_TEXT} characters}}')
        memory.set_comment(doc, sid, text, current_user.name)
        kept = memory.comments(doc).get(sid)
        return jsonify(comment=vars(kept) if kept else None)

    @app.post("/glossary")
    @accounts.approvers_only
    def add_term():
        """A reviewer's new glossary entry, written through the glossary commands' own checks."""
        if glossary is None:
            abort(404, "this desk was started without a glossary folder to write to")
        body = json_body()
        fields = {k: body.get(k) for k in ("vi", "en", "kind", "domain")}
        if not all(isinstance(v, str) and v.strip() and len(v) <= 500 for v in fields.values()):
            abort(400, 'expected {"vi", "en", "kind", "domain"}, each a non-empty text')
        try:
            entry = add_entry(glossary, fields["domain"].strip(), Entry(fields["vi"].strip(), fields["en"].strip(), fields["kind"].strip()))
        except GlossaryError as e:
            abort(400, str(e))
        return jsonify(added={"vi": entry.vi, "en": entry.en, "file": entry.file})

    @app.get("/search")
    def search():
        query = request.args.get("q", "").strip()[:200]
        hits = concordance(query, memory, readable(out_dir)) if query else []
        return render_template("review/search.html", query=query, hits=hits)

    return app
