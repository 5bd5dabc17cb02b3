"""Give each paragraph of an article its role: title, dateline, byline, lead, paragraph, caption,
quote, list item, heading, source line, or site boilerplate.

The reader's hint (an HTML <h1>, a .docx Caption style) wins, except where the text itself
says date, source or boilerplate. Only boilerplate is left untranslated; it stays in the
document, marked, so nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vi2en.document import Block
from vi2en.read import RawArticle
from vi2en.text import match_key

_DATE = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
_TIME = r"\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:SA|CH|AM|PM))?"
DATELINE = re.compile(
    r"^(?:(?:cập nhật|ngày đăng|đăng ngày|đăng lúc|thời gian|ngày cập nhật)\s*:?\s*)?"
    r"(?:(?:thứ\s+\w+|chủ\s+nhật),?\s*)?(?:" + _TIME + r"\s*[|,-]?\s*)?(?:ngày\s+)?" + _DATE
    + r"(?:\s*[|,-]?\s*" + _TIME + r")?(?:\s*\(?(?:GMT|UTC)\s*[+-]\s*\d+\)?)?$",
    re.IGNORECASE,
)
SOURCE_LINE = re.compile(r"^(?:theo|nguồn|nguồn tin)\s*:?\s+\S.{0,80}$", re.IGNORECASE)
BYLINE = re.compile(r"^(?:bài(?:\s+và|,)?\s*ảnh|tin(?:\s+và|,)?\s*ảnh|bài|tin|ảnh|nhóm\s+pv|pv|ctv|tác giả)\s*:\s*\S.{0,60}$", re.IGNORECASE)
PHOTO_CREDIT = re.compile(r"\(ảnh\s*:|\bảnh\s*:|\bảnh minh họa|\bảnh minh hoạ|\(ảnh\s+\w", re.IGNORECASE)
LIST_ITEM = re.compile(r"^(?:[-–—•+*▪●]\s+|\d{1,2}[.)]\s+|[a-zđ]\)\s+)")
BOILERPLATE = {
    match_key(s)
    for s in [
        "Chia sẻ bài viết", "Chia sẻ", "submit to reddit", "scroll to top", "In bài viết", "In trang", "In bài",
        "Gửi email", "Bình luận", "Tin liên quan", "Tin khác", "Các tin khác", "Tin cùng chuyên mục",
        "Lên đầu trang", "Về đầu trang", "Quay lại", "Trở về", "Xem thêm", "Facebook", "Twitter", "Zalo",
        "Tweet", "Share", "Like", "Print", "Email", "Bản in", "Ý kiến bạn đọc", "Gửi bình luận", "Đánh giá bài viết",
        "Gửi cho bạn bè", "Cỡ chữ", "Nghe đọc bài viết", "Copy link", "Sao chép liên kết", "Tải ảnh", "Đầu trang",
    ]
}
BOILERPLATE_MAX_CHARS = 80
BOILERPLATE_PREFIXES = tuple(match_key(s) for s in [
    "tags:", "tag:", "từ khóa:", "từ khoá:", "lượt xem:", "lượt đọc:", "chuyên mục:", "bản quyền", "copyright", "©",
])
# A caption is a short line without final punctuation right after a body paragraph, or one
# that credits a photo.
CAPTION_MAX_WORDS = 40
BYLINE_MAX_WORDS = 5
TITLE_MAX_WORDS = 40
_BODY_KINDS = {"paragraph", "lead", "quote", "list_item"}
_CLOSING = "\"”»)]"


def is_boilerplate(text: str) -> bool:
    text = text.strip(" .:|")
    key = match_key(text[:BOILERPLATE_MAX_CHARS])  # site phrases are short: a long paragraph costs nothing more
    return (len(text) <= BOILERPLATE_MAX_CHARS and key in BOILERPLATE) or key.startswith(BOILERPLATE_PREFIXES)


@dataclass
class _Seen:
    """What the blocks so far tell the next one, kept up to date so structuring stays linear."""

    last: str = ""  # the kind of the last block that is not boilerplate
    beyond_dateline: bool = False  # a block other than datelines and bylines has been seen
    body: bool = False  # a body block (paragraph, lead, quote, list item) has been seen

    def add(self, kind: str) -> None:
        if kind == "boilerplate":
            return
        self.last = kind
        self.beyond_dateline |= kind not in ("dateline", "byline")
        self.body |= kind in _BODY_KINDS


def structure(article: RawArticle) -> list[Block]:
    blocks: list[Block] = []
    seen = _Seen()
    for i, (text, hint) in enumerate(article.paragraphs, start=1):
        kind = _kind(text.strip(), hint, seen)
        seen.add(kind)
        blocks.append(Block(id=f"p{i}", kind=kind, text=text))
    return blocks


def _kind(text: str, hint: str | None, seen: _Seen) -> str:
    words = len(text.split())
    if is_boilerplate(text):
        return "boilerplate"
    if DATELINE.match(text):
        return "dateline"
    if _is_source_line(text, words):
        return "source"
    if BYLINE.match(text):
        return "byline"
    if hint:
        return hint
    ends_sentence = text[-1] in ".!?…:;" + _CLOSING
    if not seen.beyond_dateline:
        return "title" if words <= TITLE_MAX_WORDS and not text.endswith(".") else "paragraph"
    if LIST_ITEM.match(text):
        return "list_item"
    if _is_author_name(text) and seen.last in _BODY_KINDS | {"caption", "source"}:
        return "byline"
    if seen.last in _BODY_KINDS and words <= CAPTION_MAX_WORDS and (not ends_sentence or PHOTO_CREDIT.search(text)):
        return "caption"
    if _is_quotation(text):
        return "quote"
    if not seen.body and seen.last in ("title", "dateline", "byline"):
        return "lead"  # the first paragraph after the title: the sapo news sites set in bold
    return "paragraph"


def _is_source_line(text: str, words: int) -> bool:
    # "Theo nghean.gov.vn", "Nguồn: TTXVN" — not "Theo kế hoạch, hội nghị kéo dài hai ngày."
    return bool(SOURCE_LINE.match(text)) and words <= 8 and "," not in text and (not text.endswith(".") or words <= 4)


def _is_author_name(text: str) -> bool:
    """A line of a few capitalised words and no punctuation: "Thanh Hương", "Nguyễn Văn An (TTXVN)"."""
    parts = re.sub(r"\s*\([^)]{1,30}\)$", "", text).split()
    return 0 < len(parts) <= BYLINE_MAX_WORDS and all(p[0].isupper() and p.isalpha() for p in parts)


def _is_quotation(text: str) -> bool:
    """A paragraph that is a quotation, perhaps followed by its speaker: “…” – đồng chí X nhấn mạnh."""
    if text[0] not in "“\"«":
        return False
    close = max(text.rfind("”"), text.rfind("»"), text.rfind('"', 1))
    return close > 0 and len(text[close + 1 :].split()) <= 15


def article_date(blocks: list[Block]) -> str | None:
    """ISO date from the dateline, used to choose glossary entries valid on that date."""
    for b in blocks:
        if b.kind == "dateline":
            found = re.search(_DATE, b.text)
            if found:
                day, month, year = (int(g) for g in found.groups())
                if 1 <= day <= 31 and 1 <= month <= 12:
                    return f"{year:04d}-{month:02d}-{day:02d}"
    return None
