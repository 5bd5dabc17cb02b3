"""Give each paragraph of an article its role: title, dateline, caption, source line, boilerplate...

Only boilerplate is left untranslated; it stays in the document, marked, so nothing is
dropped silently.
"""

from __future__ import annotations

import re

from vi2en.document import Block
from vi2en.read import RawArticle
from vi2en.text import match_key

DATELINE = re.compile(
    r"^(?:(?:thứ\s+\w+|chủ\s+nhật),?\s*)?(?:ngày\s+)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:\s*[|,-]?\s*\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*\(?GMT[+-]\d+\)?)?)?$",
    re.IGNORECASE,
)
SOURCE_LINE = re.compile(r"^(?:theo|nguồn|nguồn tin)\s*:?\s+\S.{0,80}$", re.IGNORECASE)
BOILERPLATE = {
    match_key(s)
    for s in [
        "Chia sẻ bài viết", "Chia sẻ", "submit to reddit", "scroll to top", "In bài viết", "In trang",
        "Gửi email", "Bình luận", "Tin liên quan", "Tin khác", "Các tin khác", "Tin cùng chuyên mục",
        "Lên đầu trang", "Về đầu trang", "Quay lại", "Trở về", "Xem thêm", "Facebook", "Twitter", "Zalo",
        "Tweet", "Share", "Like", "Print", "Email", "Bản in", "Ý kiến bạn đọc", "Gửi bình luận",
    ]
}
# A caption is a short line without final punctuation right after a body paragraph.
CAPTION_MAX_WORDS = 40


def is_boilerplate(text: str) -> bool:
    key = match_key(text.strip(" .:|"))
    return key in BOILERPLATE or key.startswith(("tags:", "từ khóa:", match_key("từ khoá:")))


def structure(article: RawArticle) -> list[Block]:
    blocks: list[Block] = []
    for i, (text, hint) in enumerate(article.paragraphs, start=1):
        blocks.append(Block(id=f"p{i}", kind=_kind(text, hint, blocks), text=text))
    return blocks


def _kind(text: str, hint: str | None, previous: list[Block]) -> str:
    stripped = text.strip()
    if is_boilerplate(stripped):
        return "boilerplate"
    if DATELINE.match(stripped):
        return "dateline"
    if SOURCE_LINE.match(stripped) and len(stripped.split()) <= 8:
        return "source"
    if hint:
        return hint
    content = [b for b in previous if b.kind != "boilerplate"]
    if not content:
        return "title"
    words = len(stripped.split())
    ends_sentence = stripped[-1] in ".!?…:;\"”»)"
    if content[-1].kind == "paragraph" and words <= CAPTION_MAX_WORDS and not ends_sentence:
        return "caption"
    return "paragraph"


def article_date(blocks: list[Block]) -> str | None:
    """ISO date from the dateline, used to choose glossary entries valid on that date."""
    for b in blocks:
        if b.kind == "dateline":
            day, month, year = DATELINE.match(b.text.strip()).groups()
            return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return None
