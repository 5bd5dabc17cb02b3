"""The static site: approved articles in English, and side by side with the Vietnamese.

Pages need no server (relative links, inline CSS) and are rebuilt whole: the site is built
in a temporary folder beside SITE_DIR and swapped in, so readers never see half a site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vi2en import html
from vi2en.document import Document
from vi2en.memory import ArticleState, Memory
from vi2en.review import scan

MARKER = ".vi2en-site"  # marks a folder this command built, so it may replace it


class PublishError(Exception):
    """A site that cannot be written; the message names the folder and the problem."""


@dataclass
class Article:
    name: str
    doc: Document  # with the editors' English merged in
    state: ArticleState
    draft: bool
    unchanged: int = 0  # sentences approved exactly as the model wrote them: readers are told

    @property
    def title_en(self) -> str:
        title = next((b for b in self.doc.blocks if b.kind == "title"), None)
        return " ".join(s.en for s in title.segments) if title and title.segments else self.doc.title


def collect(out_dir: Path, memory: Memory, drafts: bool) -> tuple[list[Article], list[str]]:
    """Articles to publish, newest first, and one line for each left out and why."""
    articles, left_out = [], []
    for path, doc, error in scan(out_dir):
        if doc is None:
            left_out.append(error)
            continue
        merged, state = memory.merged(doc)
        approved = state.approved(doc)
        if approved or drafts:
            articles.append(Article(path.stem, merged, state, draft=not approved, unchanged=state.approved_unchanged(doc)))
        else:
            done = state.approved_count(doc)
            left_out.append(f"{path}: not approved ({done} of {len(doc.segments)} sentences); --drafts publishes it as a draft")
    articles.sort(key=lambda a: (a.doc.date or "", a.name), reverse=True)
    return articles, left_out


def build_site(out_dir: Path, site_dir: Path, memory: Memory, drafts: bool = False) -> tuple[list[Article], list[str]]:
    site_dir = Path(site_dir).resolve()
    if site_dir.exists() and not (site_dir / MARKER).exists() and (not site_dir.is_dir() or any(site_dir.iterdir())):
        raise PublishError(f"{site_dir}: exists and was not built by vi2en publish; refusing to replace it (choose an empty or new folder)")
    articles, left_out = collect(out_dir, memory, drafts)
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.build-", dir=site_dir.parent))
    try:
        (build / MARKER).write_text("built by vi2en publish; the whole folder is replaced on each run\n", encoding="utf-8")
        (build / "index.html").write_text(html.render("site/index.html", articles=articles), encoding="utf-8")
        for article in articles:
            (build / f"{article.name}.html").write_text(html.render("site/article.html", a=article), encoding="utf-8")
            (build / f"{article.name}.bilingual.html").write_text(html.render("site/bilingual.html", a=article), encoding="utf-8")
        os.chmod(build, 0o755)  # mkdtemp makes it private; a published site is for everyone to read
        _swap(build, site_dir)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return articles, left_out


def _swap(new: Path, site_dir: Path) -> None:
    """Replace site_dir by new with two renames; the old site is removed only once the new one is in place."""
    old = None
    if site_dir.exists():
        old = site_dir.with_name(f".{site_dir.name}.old-{os.getpid()}")
        os.rename(site_dir, old)
    try:
        os.rename(new, site_dir)
    except BaseException:
        if old:
            os.rename(old, site_dir)
        raise
    if old:
        shutil.rmtree(old)

