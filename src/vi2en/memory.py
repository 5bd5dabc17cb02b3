"""The translation memory: editors' edits and approvals in SQLite, and reuse of approved pairs.

The aligned JSON files are the machine draft and are never rewritten by review; this
database holds the editors' work, keyed by (document, segment id), where a document is
identified by its source's SHA-256 so a re-translation of the same article keeps its edits.

Nothing an editor saves is lost: every change is one transaction (WAL mode, so a server
killed mid-save leaves the previous state), every change is logged with who, when and the
previous value, and saves are optimistic: a change carries the version the editor started
from, and a change made against an older version is refused as a conflict, never applied.

The same file holds the review desk's accounts (passwords as argon2 hashes, never in clear)
and one comment per sentence.
"""

from __future__ import annotations

import copy
import datetime as dt
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Iterator

import argon2
from rapidfuzz import fuzz, process

from vi2en import terms
from vi2en.document import Document
from vi2en.score import score_segment
from vi2en.text import match_key, nfc

DEFAULT_NAME = "vi2en-tm.sqlite"
SCHEMA_VERSION = 2
FUZZY_MIN = 70.0  # rapidfuzz ratio (0–100) from which a close match is worth an editor's look
ROLES = ("translator", "reviewer", "admin")  # translators edit; reviewers also approve; admins too

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
# Added in version 2; a version-1 memory gains them when first opened.
_SCHEMA_2 = """
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password TEXT NOT NULL,     -- argon2id hash (argon2-cffi)
    created TEXT NOT NULL
);
CREATE TABLE comments (
    doc TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    text TEXT NOT NULL,
    editor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (doc, segment_id)
);
"""
_hasher = argon2.PasswordHasher()


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
class User:
    name: str
    role: str  # one of ROLES

    @property
    def can_approve(self) -> bool:
        return self.role in ("reviewer", "admin")


@dataclass
class Comment:
    text: str
    editor: str
    at: str


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

    def status(self, segment_id: str, vi: str) -> str:
        """new (the machine draft, untouched) → edited → approved; an edit for another source sentence does not count."""
        entry = self.entries.get(segment_id)
        if not entry or entry.vi != vi:
            return "new"
        return "approved" if entry.approved else "edited"

    def approved_unchanged(self, draft: Document) -> int:
        """Sentences approved with the model's English exactly as it wrote it (not the memory's, not a rule's)."""
        return sum(self.is_approved(s.id, s.vi) and s.origin == "mt" and self.entries[s.id].en == s.en for s in draft.segments)

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
            db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} {_SCHEMA_2} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            return
        if version > SCHEMA_VERSION:
            raise TMError(f"{self.path}: translation memory version {version} is newer than this vi2en supports ({SCHEMA_VERSION}); upgrade vi2en")
        if version not in (1, SCHEMA_VERSION) or not {"segments", "history"} <= tables:
            raise TMError(f"{self.path}: not a vi2en translation memory (an SQLite file with other tables); the file was left as it is")
        db.execute("PRAGMA journal_mode = WAL")
        if version == 1:
            db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA_2} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")

    # --- review state -------------------------------------------------------------------

    def merged(self, doc: Document, only: Collection[str] | None = None) -> tuple[Document, ArticleState]:
        """The draft with the editors' English in place of the model's (where the source sentence
        is unchanged); with `only`, for those segment ids alone (a save re-checks what it changed)."""
        state = self.state(doc)
        doc = copy.deepcopy(doc)
        for segment in doc.segments:
            if only is not None and segment.id not in only:
                continue
            entry = state.entries.get(segment.id)
            if entry and entry.vi == segment.vi and entry.en != segment.en:
                # A person's English: the draft's checks redone on it (terms, entities, numbers,
                # untranslated words...), and no score, since the model's confidence was in other words.
                segment.en = entry.en
                terms.check(entry.en, segment.terms)
                segment.score, segment.flags, segment.signals = score_segment(segment.vi, entry.en, None, segment.terms)
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

    def first_saves(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(document, segment id) → (editor, time) of each segment's first save: who made its English first, for TMX."""
        with self._connect() as db:
            # SQLite takes the bare columns from the row that holds the MIN()
            rows = db.execute("SELECT doc, segment_id, editor, at, MIN(id) FROM history GROUP BY doc, segment_id").fetchall()
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    def concordance(self, query: str, limit: int = 50) -> list[dict]:
        """Sentence pairs of the memory whose Vietnamese or English contains `query`, approved first.

        Compared casefolded in Python: SQLite's LIKE folds ASCII letters only, not "Đ" or "Ủ"."""
        needle = nfc(query).casefold()
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT doc_name, segment_id, vi, en, approved, editor, updated FROM segments ORDER BY approved DESC, updated DESC").fetchall()
        return [dict(r) for r in rows if needle in nfc(r["vi"]).casefold() or needle in nfc(r["en"]).casefold()][:limit]

    # --- comments -----------------------------------------------------------------------

    def set_comment(self, doc: Document, segment_id: str, text: str, editor: str) -> None:
        """One comment per sentence: a new one replaces it, an empty one removes it."""
        with self._connect() as db:
            if text.strip():
                db.execute(
                    "INSERT INTO comments (doc, segment_id, text, editor, at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (doc, segment_id) DO UPDATE SET text = excluded.text, editor = excluded.editor, at = excluded.at",
                    (doc.source_sha256, segment_id, text.strip(), editor, now()),
                )
            else:
                db.execute("DELETE FROM comments WHERE doc = ? AND segment_id = ?", (doc.source_sha256, segment_id))

    def comments(self, doc: Document) -> dict[str, Comment]:
        with self._connect() as db:
            rows = db.execute("SELECT segment_id, text, editor, at FROM comments WHERE doc = ?", (doc.source_sha256,)).fetchall()
        return {r[0]: Comment(r[1], r[2], r[3]) for r in rows}

    # --- accounts -----------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str) -> User:
        name = name.strip()
        if not name:
            raise TMError(f"{self.path}: an account needs a name")
        if role not in ROLES:
            raise TMError(f"{self.path}: role {role!r} is not one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise TMError(f"{self.path}: the password for {name} is too short (8 characters at least)")
        with self._connect() as db:
            try:
                db.execute("INSERT INTO users (name, role, password, created) VALUES (?, ?, ?, ?)", (name, role, _hasher.hash(password), now()))
            except sqlite3.IntegrityError:
                raise TMError(f"{self.path}: there is already an account {name!r} (remove it first)") from None
        return User(name, role)

    def remove_user(self, name: str) -> None:
        with self._connect() as db:
            if not db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
                raise TMError(f"{self.path}: no account {name!r}")

    def users(self) -> list[User]:
        with self._connect() as db:
            return [User(r[0], r[1]) for r in db.execute("SELECT name, role FROM users ORDER BY name")]

    def user(self, name: str) -> User | None:
        with self._connect() as db:
            row = db.execute("SELECT name, role FROM users WHERE name = ?", (name,)).fetchone()
        return User(*row) if row else None

    def authenticate(self, name: str, password: str) -> User | None:
        """The account when the password is right; None for a wrong password or an unknown name."""
        with self._connect() as db:
            row = db.execute("SELECT name, role, password FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            _hasher.hash(password)  # as slow as a real check, so timing does not tell which names exist
            return None
        try:
            _hasher.verify(row[2], password)
        except argon2.exceptions.VerificationError:
            return None
        return User(row[0], row[1])
