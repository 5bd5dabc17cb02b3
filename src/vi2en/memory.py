"""The translation memory: editors' edits and approvals in SQLite, and reuse of approved pairs.

The aligned JSON files are the machine draft and are never rewritten by review; this
database holds the editors' work, keyed by (document, segment id), where a document is
identified by its source's SHA-256 so a re-translation of the same article keeps its edits.

Nothing an editor saves is lost: every change is one transaction (WAL mode, so a server
killed mid-save leaves the previous state), every change is logged with who, when and the
previous value, and saves are optimistic: a change carries the version the editor started
from, and a change made against an older version is refused as a conflict, never applied.
"""

from __future__ import annotations

import copy
import datetime as dt
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from rapidfuzz import fuzz, process

from vi2en import terms
from vi2en.document import Document
from vi2en.text import match_key

DEFAULT_NAME = "vi2en-tm.sqlite"
SCHEMA_VERSION = 1
FUZZY_MIN = 90.0  # rapidfuzz ratio (0–100) from which a close match is worth an editor's look

_SCHEMA = """
CREATE TABLE segments (
    doc TEXT NOT NULL,          -- source SHA-256 of the article
    doc_name TEXT NOT NULL,     -- file stem, for people and TMX unit ids
    segment_id TEXT NOT NULL,
    vi TEXT NOT NULL,
    vi_key TEXT NOT NULL,       -- text.match_key(vi): the exact-match key
    en TEXT NOT NULL,
    approved INTEGER NOT NULL,
    version INTEGER NOT NULL,   -- 0 is the machine draft; each save adds one
    editor TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (doc, segment_id)
);
CREATE INDEX segments_approved_key ON segments (vi_key) WHERE approved = 1;
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    doc TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    en TEXT NOT NULL,
    approved INTEGER NOT NULL,
    previous_en TEXT NOT NULL,
    previous_approved INTEGER NOT NULL,
    editor TEXT NOT NULL,
    at TEXT NOT NULL,
    via TEXT NOT NULL           -- "review", "xliff:<file>"
);
"""


class TMError(Exception):
    """A translation memory that cannot be used; the message names the file and the problem."""


@dataclass
class Entry:
    """The editors' current state of one segment."""

    segment_id: str
    vi: str
    en: str
    approved: bool
    version: int
    editor: str
    updated: str


@dataclass
class Change:
    segment_id: str
    vi: str
    en: str
    approved: bool
    version: int  # the version the editor started from (0: the machine draft)
    draft: str = ""  # the English the editor saw before this change, for the history


@dataclass
class Conflict:
    yours: Change
    theirs: Entry | None  # None: the segment was not in the memory (yours started from a newer version)


@dataclass
class Suggestion:
    similarity: float
    vi: str
    en: str
    doc_name: str = ""
    segment_id: str = ""


@dataclass
class ArticleState:
    """How far review of one article has come."""

    entries: dict[str, Entry] = field(default_factory=dict)

    def approved(self, doc: Document) -> bool:
        return bool(doc.segments) and self.approved_count(doc) == len(doc.segments)

    def approved_count(self, doc: Document) -> int:
        return sum(self.is_approved(s.id, s.vi) for s in doc.segments)

    def is_approved(self, segment_id: str, vi: str) -> bool:
        entry = self.entries.get(segment_id)
        return bool(entry and entry.approved and entry.vi == vi)

    @property
    def editors(self) -> list[str]:
        return sorted({e.editor for e in self.entries.values() if e.approved})

    @property
    def last_update(self) -> str:
        return max((e.updated for e in self.entries.values()), default="")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class Memory:
    """One SQLite file. Opens a connection per operation, so one Memory serves a threaded web app."""

    def __init__(self, path: Path, *, create: bool = False):
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise TMError(f"{self.path}: no translation memory there")
        if self.path.is_dir():
            raise TMError(f"{self.path}: is a folder, not a translation memory file")
        with self._connect() as db:
            self._check_or_create(db)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except sqlite3.Error as e:
            raise TMError(f"{self.path}: cannot open translation memory ({e})") from None
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            yield db
        except sqlite3.DatabaseError as e:
            raise TMError(f"{self.path}: translation memory unreadable ({e}); the file was left as it is") from None
        finally:
            db.close()

    def _check_or_create(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == 0 and not tables:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            return
        if version > SCHEMA_VERSION:
            raise TMError(f"{self.path}: translation memory version {version} is newer than this vi2en supports ({SCHEMA_VERSION}); upgrade vi2en")
        if version != SCHEMA_VERSION or not {"segments", "history"} <= tables:
            raise TMError(f"{self.path}: not a vi2en translation memory (an SQLite file with other tables); the file was left as it is")
        db.execute("PRAGMA journal_mode = WAL")

    # --- review state -------------------------------------------------------------------

    def merged(self, doc: Document) -> tuple[Document, ArticleState]:
        """The draft with the editors' English in place of the model's (where the source sentence is unchanged)."""
        state = self.state(doc)
        doc = copy.deepcopy(doc)
        for segment in doc.segments:
            entry = state.entries.get(segment.id)
            if entry and entry.vi == segment.vi:
                segment.en = entry.en
                terms.check(entry.en, segment.terms)  # the draft's term check, redone for the editor's English
        return doc, state

    def state(self, doc: Document) -> ArticleState:
        with self._connect() as db:
            rows = db.execute(
                "SELECT segment_id, vi, en, approved, version, editor, updated FROM segments WHERE doc = ?", (doc.source_sha256,)
            ).fetchall()
        return ArticleState({r[0]: Entry(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6]) for r in rows})

    def save(self, doc: Document, changes: list[Change], editor: str, via: str = "review") -> list[Conflict]:
        """Apply all changes in one transaction, or none of them when any is a conflict."""
        if not editor.strip():
            raise TMError(f"{self.path}: a change needs an editor name")
        at = now()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # take the write lock before reading versions: no lost update between editors
            try:
                conflicts, current = [], {}
                for change in changes:
                    row = db.execute(
                        "SELECT segment_id, vi, en, approved, version, editor, updated FROM segments WHERE doc = ? AND segment_id = ?",
                        (doc.source_sha256, change.segment_id),
                    ).fetchone()
                    entry = Entry(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6]) if row else None
                    if change.version != (entry.version if entry else 0):
                        conflicts.append(Conflict(change, entry))
                    current[change.segment_id] = entry
                if conflicts:
                    db.execute("ROLLBACK")
                    return conflicts
                for change in changes:
                    entry = current[change.segment_id]
                    version = change.version + 1
                    db.execute(
                        "INSERT INTO segments (doc, doc_name, segment_id, vi, vi_key, en, approved, version, editor, updated)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (doc, segment_id) DO UPDATE SET"
                        " doc_name = excluded.doc_name, vi = excluded.vi, vi_key = excluded.vi_key, en = excluded.en,"
                        " approved = excluded.approved, version = excluded.version, editor = excluded.editor, updated = excluded.updated",
                        (doc.source_sha256, doc.stem, change.segment_id, change.vi, match_key(change.vi), change.en, int(change.approved), version, editor, at),
                    )
                    db.execute(
                        "INSERT INTO history (doc, segment_id, version, en, approved, previous_en, previous_approved, editor, at, via)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (doc.source_sha256, change.segment_id, version, change.en, int(change.approved),
                         entry.en if entry else change.draft, int(entry.approved) if entry else 0, editor, at, via),
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return []

    def history(self, doc: Document, segment_id: str) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM history WHERE doc = ? AND segment_id = ? ORDER BY id", (doc.source_sha256, segment_id)).fetchall()
        return [dict(r) for r in rows]

    # --- reuse --------------------------------------------------------------------------

    def exact(self, sentences: list[str]) -> dict[str, str]:
        """Approved English for each sentence already approved (by match_key), the latest approval winning."""
        keys = {match_key(s): s for s in sentences}
        found: dict[str, str] = {}
        with self._connect() as db:
            for key, sentence in keys.items():
                row = db.execute("SELECT en FROM segments WHERE approved = 1 AND vi_key = ? ORDER BY updated DESC, rowid DESC LIMIT 1", (key,)).fetchone()
                if row:
                    found[key] = row[0]
        return {s: found[match_key(s)] for s in sentences if match_key(s) in found}

    def suggestions(self, doc: Document, limit: int = 3) -> dict[str, list[Suggestion]]:
        """Close approved matches (≥ FUZZY_MIN) per segment, from other segments than itself."""
        pairs = self.approved_pairs()
        choices = [p["vi_key"] for p in pairs]
        result: dict[str, list[Suggestion]] = {}
        for segment in doc.segments:
            matches = process.extract(match_key(segment.vi), choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN, limit=limit + 1)
            found = [
                Suggestion(round(score, 1), pairs[i]["vi"], pairs[i]["en"], pairs[i]["doc_name"], pairs[i]["segment_id"])
                for _, score, i in matches
                if not (pairs[i]["doc"] == doc.source_sha256 and pairs[i]["segment_id"] == segment.id)
            ][:limit]
            if found:
                result[segment.id] = found
        return result

    def approved_pairs(self) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT doc, doc_name, segment_id, vi, vi_key, en, editor, updated FROM segments WHERE approved = 1 ORDER BY doc_name, rowid").fetchall()
        return [dict(r) for r in rows]
