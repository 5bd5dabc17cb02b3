"""The review web app: editors correct and approve the machine draft sentence by sentence.

The aligned JSON files in the output folder are the draft and are only read; edits and
approvals go to the translation memory (memory.py), and every page merges the two.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from vi2en import document
from vi2en.document import Document, DocumentError
from vi2en.html import highlight
from vi2en.memory import Change, Memory, TMError
from vi2en.score import LOW_SCORE


def is_flagged(segment) -> bool:
    return bool(segment.flags) or (segment.score is not None and segment.score < LOW_SCORE)


def shown(segment, flag: str) -> bool:
    """The page's filter: "" shows all, "any" the flagged sentences, a flag name those raising it."""
    if flag == "any":
        return is_flagged(segment)
    return not flag or flag in segment.flags


def scan(out_dir: Path) -> list[tuple[Path, Document | None, str | None]]:
    """Every aligned JSON in the folder, loaded, or with the error that keeps it out of review."""
    found = []
    for path in sorted(Path(out_dir).glob("*.json")):
        try:
            found.append((path, document.load(path), None))
        except DocumentError as e:
            found.append((path, None, str(e)))
    return found


def load_article(out_dir: Path, name: str) -> Document:
    """The document `name` (a file stem) directly inside out_dir; anything else is not found."""
    candidates = {p.stem: p for p in Path(out_dir).glob("*.json")}
    if name not in candidates:
        abort(404, f"no article {name!r} in {out_dir}")
    try:
        return document.load(candidates[name])
    except DocumentError as e:
        abort(422, str(e))


def create_app(out_dir: Path, memory: Memory, editor: str = "") -> Flask:
    app = Flask(__name__, template_folder="templates")
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    out_dir = Path(out_dir)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if request.is_json:
            return jsonify(error=e.description), e.code
        return render_template("review/error.html", code=e.code, message=e.description), e.code

    @app.errorhandler(TMError)
    def memory_error(e: TMError):
        return (jsonify(error=str(e)), 500) if request.is_json else (render_template("review/error.html", code=500, message=str(e)), 500)

    @app.get("/")
    def index():
        articles = []
        for path, doc, error in scan(out_dir):
            approved = memory.state(doc).approved_count(doc) if doc else 0
            articles.append({"path": path, "doc": doc, "error": error, "approved": approved})
        readable = sorted((a for a in articles if a["doc"]), key=lambda a: a["doc"].date or "", reverse=True)
        articles = readable + [a for a in articles if not a["doc"]]  # newest first, unreadable ones last
        return render_template("review/index.html", articles=articles, out_dir=out_dir, db=memory.path)

    @app.get("/a/<name>")
    def article(name: str):
        draft = load_article(out_dir, name)
        merged, state = memory.merged(draft)
        flag = request.args.get("flag", "")
        flagged_first = request.args.get("order") == "flagged"
        drafts = {s.id: s.en for s in draft.segments}
        rows = []
        for block in merged.blocks:
            for n, segment in enumerate(block.segments):
                if not shown(segment, flag):
                    continue
                entry = state.entries.get(segment.id)
                rows.append({
                    "block": block, "first": n == 0, "seg": segment, "flagged": is_flagged(segment),
                    "entry": entry if entry and entry.vi == segment.vi else None,
                    "version": entry.version if entry else 0, "draft": drafts[segment.id],
                })
        if flagged_first:
            rows.sort(key=lambda r: not r["flagged"])  # stable: document order within each group
        all_flags = sorted({f for s in draft.segments for f in s.flags})
        return render_template(
            "review/article.html", doc=merged, name=name, rows=rows, flag=flag, flagged_first=flagged_first,
            all_flags=all_flags, suggestions=memory.suggestions(draft), editor=editor,
            approved=state.approved_count(draft), low_score=LOW_SCORE,
        )

    @app.post("/a/<name>/save")
    def save(name: str):
        if not request.is_json:
            abort(415, "send JSON")
        doc = load_article(out_dir, name)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("changes"), list):
            abort(400, 'expected {"editor": NAME, "changes": [{"id", "en", "version", "approved"}]}')
        who = str(body.get("editor") or editor).strip()
        if not who:
            abort(400, "give your editor name before saving")
        segments = {s.id: s for s in doc.segments}
        changes = []
        for item in body["changes"]:
            segment = segments.get(item.get("id")) if isinstance(item, dict) else None
            if segment is None or not isinstance(item.get("en"), str) or not isinstance(item.get("version"), int):
                abort(400, f"bad change {item!r}: needs the id of a segment of {name}, en and version")
            changes.append(Change(segment.id, segment.vi, item["en"], bool(item.get("approved")), item["version"], draft=segment.en))
        conflicts = memory.save(doc, changes, who)
        if conflicts:
            return jsonify(conflicts=[
                {"id": c.yours.segment_id, "yours": {"en": c.yours.en, "approved": c.yours.approved},
                 "theirs": vars(c.theirs) if c.theirs else None} for c in conflicts
            ]), 409
        state = memory.state(doc)
        return jsonify(entries={c.segment_id: vars(state.entries[c.segment_id]) for c in changes},
                       approved=state.approved_count(doc))

    return app
