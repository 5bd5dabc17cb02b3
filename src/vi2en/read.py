"""Read an article file into paragraphs of NFC text.

Formats: plain text and Markdown (one paragraph per blank-line-separated block, or per line),
HTML (the article's title and body; navigation, scripts and comments dropped) and .docx.
The format comes from the content when the extension lies.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from vi2en.text import nfc


class ReadError(Exception):
    """An input that cannot be read; the message names the file and the problem."""


@dataclass
class RawArticle:
    path: str
    sha256: str
    format: str  # txt, md, html, docx
    # (text, hint) pairs; hint is a block kind the format itself tells (h1 → title, figcaption → caption).
    paragraphs: list[tuple[str, str | None]] = field(default_factory=list)


def read_article(path: str | Path) -> RawArticle:
    """Read one article; `-` reads standard input."""
    if str(path) == "-":
        data, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        p = Path(path)
        name = str(p)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise ReadError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise ReadError(f"{name}: is a folder, not an article file") from None
        except OSError as e:
            raise ReadError(f"{name}: cannot read ({e.strerror})") from None
    sha = hashlib.sha256(data).hexdigest()
    fmt = detect_format(name, data)
    if fmt == "docx":
        paragraphs = _docx_paragraphs(name, data)
    else:
        text = decode(name, data)
        paragraphs = _html_paragraphs(name, text) if fmt == "html" else _text_paragraphs(text)
    paragraphs = [(nfc(t), hint) for t, hint in paragraphs if t.strip()]
    if not paragraphs:
        raise ReadError(f"{name}: no text to translate (empty file or no article body)")
    return RawArticle(name, sha, fmt, paragraphs)


def detect_format(name: str, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        head = data[:4096].decode("utf-16", errors="ignore").lower().lstrip("\ufeff \t\r\n").encode()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or re.search(rb"<(body|article|div|p)[\s>]", head):
        return "html"
    suffix = Path(name).suffix.lower()
    return "md" if suffix in (".md", ".markdown") else "txt"


def decode(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM), or the legacy Vietnamese code page Windows-1258."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError(f"{name}: broken UTF-16 text") from None
    if b"\x00" in data:
        raise ReadError(f"{name}: binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError:
            raise ReadError(f"{name}: unknown text encoding (expected UTF-8, UTF-16 or Windows-1258)") from None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    if controls > max(4, len(text) // 100):
        raise ReadError(f"{name}: binary file, not text")
    return text


def _text_paragraphs(text: str) -> list[tuple[str, str | None]]:
    # Portals' copy-paste puts one paragraph per line; blank lines separate too.
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    paragraphs = []
    for line in lines:
        line = re.sub(r"^#+\s+", "", line)  # Markdown headings
        if line:
            paragraphs.append((line, None))
    return paragraphs


_DROP_TAGS = ["script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe", "button", "svg"]
_BLOCK_TAGS = {"h1": "title", "h2": None, "h3": None, "p": None, "li": "list_item", "figcaption": "caption",
               "blockquote": "quote", "div": None, "td": None}


def _html_paragraphs(name: str, text: str) -> list[tuple[str, str | None]]:
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise ReadError(f"{name}: cannot parse HTML ({e})") from None
    for bad in root.xpath("//comment()"):
        bad.drop_tree()
    for tag in _DROP_TAGS:
        for el in root.iter(tag):
            el.drop_tree()
    title = next((h.text_content().strip() for h in root.iter("h1")), "")
    if not title:
        title = next((t.text_content().strip() for t in root.iter("title")), "")
    # The article body is the container holding the most paragraph text.
    best, best_len = None, 0
    for el in root.iter("article", "div", "section", "main", "body"):
        length = sum(len(p.text_content()) for p in el.iter("p"))
        if length > best_len or (length == best_len and best is not None and el in best.iterdescendants()):
            best, best_len = el, length
    paragraphs: list[tuple[str, str | None]] = [(title, "title")] if title else []
    if best is None:
        return paragraphs if len(paragraphs) > 1 else []
    for el in best.iter(*_BLOCK_TAGS):
        if el.tag in ("div", "td") and any(child.tag in _BLOCK_TAGS for child in el.iterdescendants()):
            continue
        if any(a.tag in ("p", "li", "figcaption", "blockquote") for a in el.iterancestors()) and el.tag != "p":
            continue
        content = " ".join(el.text_content().split())
        if content and content != title:
            paragraphs.append((content, _BLOCK_TAGS[el.tag]))
    return paragraphs if len(paragraphs) > (1 if title else 0) else []


def _docx_paragraphs(name: str, data: bytes) -> list[tuple[str, str | None]]:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ReadError(f"{name}: not a readable .docx file ({e})") from None
    paragraphs = []
    for p in document.paragraphs:
        style = (p.style.name if p.style is not None else "").lower()
        hint = "title" if style in ("title", "heading 1") else "list_item" if "list" in style else None
        paragraphs.append((p.text.strip(), hint))
    return paragraphs
