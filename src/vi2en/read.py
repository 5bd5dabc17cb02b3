"""Read an article file into paragraphs of NFC text, each with the role its format tells.

Formats: plain text, Markdown, HTML (a saved portal page: the article's title, date, lead,
body, captions and source line; navigation, share buttons, scripts, styles and comments are
dropped) and .docx. The format comes from the content when the extension lies. Text may be
UTF-8 (with or without BOM), UTF-16 or the legacy Vietnamese code page Windows-1258, in NFC or
NFD: it always comes out NFC, tone-mark placement kept as written.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from vi2en.text import drop_controls, nfc


class ReadError(Exception):
    """An input that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Limits:
    """What one article may be: far above any news article, far below what hurts the machine.

    Each is an option of `vi2en translate` and `vi2en segment` (--max-file-mb ...).
    """

    file_bytes: int = 20 * 1024 * 1024  # a saved portal page with inline images stays under this
    docx_bytes: int = 100 * 1024 * 1024  # unpacked: a zip bomb is refused before it is unpacked
    paragraphs: int = 50_000
    paragraph_chars: int = 100_000


DEFAULT_LIMITS = Limits()


@dataclass
class RawArticle:
    path: str
    sha256: str
    format: str  # txt, md, html, docx
    # (text, hint) pairs; hint is a block kind the format itself tells (h1 → title, figcaption → caption).
    paragraphs: list[tuple[str, str | None]] = field(default_factory=list)


# Files people send instead of an article, by their first bytes.
_NOT_ARTICLES = [
    (b"%PDF", "a PDF file: PDF is not supported, save the article as .docx, .html or .txt"),
    (b"\xd0\xcf\x11\xe0", "a Word 97–2003 .doc file: save it as .docx"),
    (b"{\\rtf", "an RTF file: save it as .docx or .txt"),
    (b"\x89PNG", "an image (PNG), not text"),
    (b"\xff\xd8\xff", "an image (JPEG), not text"),
    (b"GIF8", "an image (GIF), not text"),
    (b"\x1f\x8b", "a gzip archive, not an article"),
]


def display_name(path: str | Path) -> str:
    """A path as it can be printed and stored: bytes that are not UTF-8 shown as U+FFFD."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_article(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> RawArticle:
    """Read one article; `-` reads standard input."""
    if str(path) == "-":
        data, name = sys.stdin.buffer.read(limits.file_bytes + 1), "<stdin>"
    else:
        p = Path(path)
        name = display_name(p)
        if name != str(p):
            raise ReadError(f"{name}: the file name is not valid UTF-8; rename the file")
        try:
            info = p.stat()
            if p.is_dir():
                raise ReadError(f"{name}: is a folder, not an article file")
            if not p.is_file():  # a FIFO would block for ever, /dev/zero never ends
                raise ReadError(f"{name}: not a regular file (a pipe, device or socket)")
            if info.st_size > limits.file_bytes:
                raise ReadError(f"{name}: {info.st_size / 2**20:.1f} MB is over the {limits.file_bytes / 2**20:.0f} MB limit for one article (--max-file-mb)")
            data = p.read_bytes()
        except FileNotFoundError:
            raise ReadError(f"{name}: no such file") from None
        except OSError as e:
            raise ReadError(f"{name}: cannot read ({e.strerror})") from None
    if len(data) > limits.file_bytes:
        raise ReadError(f"{name}: over the {limits.file_bytes / 2**20:.0f} MB limit for one article (--max-file-mb)")
    sha = hashlib.sha256(data).hexdigest()
    for magic, what in _NOT_ARTICLES:
        if data.startswith(magic):
            raise ReadError(f"{name}: {what}")
    fmt = detect_format(name, data)
    if fmt == "docx":
        paragraphs = _docx_paragraphs(name, data, limits.docx_bytes)
    else:
        text = drop_controls(decode(name, data))  # before parsing: lxml accepts them, then refuses them in an edit
        reader = {"html": _html_paragraphs, "md": _markdown_paragraphs}.get(fmt, _text_paragraphs)
        paragraphs = reader(name, text)
    # control characters are no text, and XML writers cannot hold them: dropped here, so no
    # later stage ever sees one
    paragraphs = [(nfc(" ".join(drop_controls(t).split())), hint) for t, hint in paragraphs]
    paragraphs = [(t, hint) for t, hint in paragraphs if t]
    if not paragraphs:
        what = "no article body found in the page" if fmt == "html" else "no text to translate (empty file)"
        raise ReadError(f"{name}: {what}")
    if len(paragraphs) > limits.paragraphs:
        raise ReadError(f"{name}: {len(paragraphs)} paragraphs, over the limit of {limits.paragraphs} for one article (--max-paragraphs)")
    longest = max(len(t) for t, _ in paragraphs)
    if longest > limits.paragraph_chars:
        raise ReadError(f"{name}: a paragraph of {longest} characters, over the limit of {limits.paragraph_chars} (--max-paragraph-chars)")
    return RawArticle(name, sha, fmt, paragraphs)


def detect_format(name: str, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    head = data[:4096]
    if _utf16_codec(head):
        head = head.decode(_utf16_codec(head), errors="ignore").encode("utf-8", errors="ignore")
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or re.search(rb"<(head|body|article|div|p|h1)[\s>]", head):
        return "html"
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm") and re.search(rb"<[a-z][a-z0-9]*[\s/>]", head):
        return "html"  # a fragment (no <html>, no <p>) saved from an editor is still HTML
    return "md" if suffix in (".md", ".markdown") else "txt"


def _utf16_codec(data: bytes) -> str | None:
    """UTF-16 by its BOM, or without one by the zero bytes every ASCII character brings."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0) / (len(sample) / 2), sample[1::2].count(0) / (len(sample) / 2)
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def decode(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16, or the legacy Vietnamese code page Windows-1258."""
    codec = _utf16_codec(data)
    if codec:
        try:
            text = data.decode(codec).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise ReadError(f"{name}: broken UTF-16 text") from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if b"\x00" in data:
            raise ReadError(f"{name}: binary file, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            _refuse_broken_utf8(name, data, e)
            try:
                text = data.decode("cp1258")
            except UnicodeDecodeError:
                raise ReadError(f"{name}: unknown text encoding (expected UTF-8, UTF-16 or Windows-1258)") from None
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\t\r\n\f") or 0xD800 <= ord(c) < 0xE000 or c == "\ufffd")
    if controls > max(4, len(text) // 100):
        raise ReadError(f"{name}: binary file, not text")
    return text


# A UTF-8 sequence of two to four bytes: Windows-1258 text almost never holds one by chance.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_broken_utf8(name: str, data: bytes, error: UnicodeDecodeError) -> None:
    """UTF-8 that is cut short or damaged is refused by name: decoded as Windows-1258 it would
    be mojibake, and "unknown encoding" would send the editor looking in the wrong place."""
    if error.reason == "unexpected end of data" and error.end == len(data):
        raise ReadError(f"{name}: the file ends inside a UTF-8 character (cut short?); copy or save it again")
    bad = data.decode("utf-8", "replace").count("\ufffd") - data.count("\ufffd".encode("utf-8"))
    if len(_UTF8_MULTIBYTE.findall(data)) > bad:
        line = data[: error.start].count(b"\n") + 1
        raise ReadError(f"{name}:{line}: broken UTF-8 text ({bad} bytes that are not UTF-8); save it again as UTF-8")


_SENTENCE_END = re.compile(r"[.!?…:;\"”»)]\s*$")
WRAP_WIDTH = 100  # the longest line of a hard-wrapped text file


def _text_paragraphs(name: str, text: str) -> list[tuple[str, str | None]]:
    """One paragraph per line, as portals' copy-paste gives. In a hard-wrapped file (every line
    short, most of them near the wrap width) a line without final punctuation whose next line
    goes on in lower case is joined to it."""
    lines = [line.strip() for line in text.splitlines()]
    lengths = sorted(len(line) for line in lines if line)
    wrapped = len(lengths) >= 5 and lengths[-1] <= WRAP_WIDTH and lengths[len(lengths) // 2] >= WRAP_WIDTH // 2
    paragraphs: list[tuple[str, str | None]] = []
    joining = False
    for line in lines:
        if not line:
            joining = False
            continue
        if joining and line[0].islower():
            paragraphs[-1] = (f"{paragraphs[-1][0]} {line}", None)
        else:
            paragraphs.append((line, None))
        joining = wrapped and not _SENTENCE_END.search(line)
    return paragraphs


def _markdown_paragraphs(name: str, text: str) -> list[tuple[str, str | None]]:
    from markdown_it import MarkdownIt

    paragraphs: list[tuple[str, str | None]] = []
    context: list[str] = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type.endswith("_open"):
            context.append(token.tag)
        elif token.type.endswith("_close"):
            context.pop()
        elif token.type == "inline":
            plain = "".join(child.content if child.type in ("text", "code_inline") else " " if "break" in child.type else ""
                            for child in token.children or [])
            hint = ("title" if "h1" in context else "heading" if any(re.fullmatch(r"h[2-6]", t) for t in context)
                    else "list_item" if "li" in context else "quote" if "blockquote" in context else None)
            paragraphs.append((plain, hint))
        elif token.type in ("code_block", "fence", "html_block"):
            paragraphs += [(line, None) for line in token.content.splitlines()]
    return paragraphs


# HTML ----------------------------------------------------------------------------------------

_DROP_TAGS = ["script", "style", "noscript", "iframe", "svg", "form", "button", "nav", "input", "select", "template"]
# class/id words of page parts that are not the article (checked with - and _ removed).
_JUNK = re.compile(r"share|social|comment|binhluan|related|lienquan|tinkhac|othernews|menu|breadcrumb|sidebar|banner"
                   r"|advert|quangcao|toolbar|rating|navbar|topbar|subscribe|newsletter|cookie|popup|modal|hotline|widget")
_LEAD = re.compile(r"sapo|lead|summary|chapeau|tomtat|intro|description|abstract")
_CAPTION = re.compile(r"caption|chuthich|imagedesc|photodesc|imgdesc|figcap")
_DATE = re.compile(r"date|time|ngay|publish|posted")
_BYLINE = re.compile(r"author|tacgia|byline")
_TITLE = re.compile(r"title|tieude|headline")
_CONTAINERS = ("article", "div", "section", "main", "td")
_DATE_TEXT = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}")
_BLOCK_TAGS = {"h1": "title", "h2": "heading", "h3": "heading", "h4": "heading", "p": None, "li": "list_item",
               "figcaption": "caption", "blockquote": "quote", "div": None, "td": None, "time": "dateline", "span": None}
_ENCLOSING = ("p", "li", "figcaption", "blockquote", "h1", "h2", "h3", "h4")


def _marks(el) -> str:
    return re.sub(r"[-_\s]", "", f"{el.get('class', '')}{el.get('id', '')}{el.get('itemprop', '')}").lower()


def _html_paragraphs(name: str, text: str) -> list[tuple[str, str | None]]:
    import lxml.html
    from lxml import etree

    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses an encoding declaration in a str
    fragment = not re.search(r"<(html|body)[\s>]", text, re.IGNORECASE)
    if fragment:  # a piece of HTML from an editor: its text is the article, however short
        text = f'<html><body><div id="vi2en-fragment">{text}</div></body></html>'
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise ReadError(f"{name}: cannot parse HTML ({e})") from None
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        el.drop_tree()
    for el in list(root.iter(*_DROP_TAGS)):
        el.drop_tree()
    for el in list(root.iter("div", "section", "aside", "ul", "span", "a", "header", "footer", "p")):
        # A page wrapper named "with-sidebar" still holds the article: keep what holds a title.
        if el.getparent() is not None and _JUNK.search(_marks(el)) and next(el.iter("h1", "article"), None) is None:
            el.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    if fragment and next(root.iter("p"), None) is None:
        # no <p> to weigh the page's parts by: a fragment without them is read block by block
        return _fragment_paragraphs(root.get_element_by_id("vi2en-fragment"))
    body = _article_body(root)
    if body is None:
        return []
    title = _title(root, body)
    region = _common_ancestor(title, body) if title is not None else body
    if region.tag in ("html", "body"):
        region = body
    paragraphs: list[tuple[str, str | None]] = []
    if title is not None and not _inside(title, region):
        paragraphs.append((title.text_content(), "title"))
    elif title is None:
        page_title = root.findtext(".//title") or ""
        paragraphs.append((re.split(r"\s+[|–-]\s+", page_title.strip())[0], "title"))
    paragraphs += _region_paragraphs(region, title)
    has_body = any(hint in (None, "quote", "list_item", "lead") for _, hint in paragraphs)
    return paragraphs if has_body else []


# elements that end a line of a fragment; the rest (b, i, a, span …) run on inside one
_FRAGMENT_BREAKS = {*_BLOCK_TAGS, "h5", "h6", "ul", "ol", "table", "tr", "section", "article", "header", "footer", "br", "hr"} - {"span", "time"}


def _fragment_paragraphs(wrapper) -> list[tuple[str, str | None]]:
    paragraphs: list[tuple[str, str | None]] = []
    pending: list[str] = []

    def flush(hint: str | None) -> None:
        paragraphs.extend((line, hint) for line in "".join(pending).split("\n") if line.strip())
        pending.clear()

    def walk(el, hint: str | None) -> None:
        pending.append(el.text or "")
        for child in el:
            if child.tag in _FRAGMENT_BREAKS:
                flush(hint)
                inner = _BLOCK_TAGS.get(child.tag) or hint
                walk(child, inner)
                flush(inner)
            else:
                walk(child, hint)
            pending.append(child.tail or "")

    walk(wrapper, None)
    flush(None)
    return paragraphs


def _article_body(root):
    """The article's body: the container its paragraphs sit in. Each paragraph's text counts for
    its parent and half for its grandparent (readability's idea), so a wrapper that also holds
    a footer loses to the body itself, and a body that wraps each paragraph in a <div> still wins."""
    scores: dict = {}
    for p in root.iter("p"):
        length = len(p.text_content().strip())
        parent = p.getparent()
        for container, share in ((parent, 1.0), (parent.getparent() if parent is not None else None, 0.5)):
            if container is not None:
                scores[container] = scores.get(container, 0) + share * length
    if not any(scores.values()):
        # Pages without <p>: the container with the most direct text.
        scores = {el: len((el.text or "").strip()) + sum(len((c.tail or "").strip()) for c in el) for el in root.iter(*_CONTAINERS)}
    best = max(scores, key=scores.get, default=None)
    return best if best is not None and scores[best] >= 40 else None


def _title(root, body):
    """An <h1> inside the body, else the <h1> or title-named element closest before the body
    (a portal's logo is often an <h1> too, further up)."""
    order = {el: i for i, el in enumerate(root.iter())}

    def fits(el) -> bool:
        return 3 <= len(el.text_content().split()) <= 60

    inside = [h for h in body.iter("h1") if fits(h)]
    if inside:
        return inside[0]
    before = [el for el in root.iter("h1", "h2", "h3", "div", "p", "span")
              if order[el] < order[body] and (el.tag == "h1" or _TITLE.search(_marks(el))) and fits(el)
              and not any(c.tag in _CONTAINERS for c in el.iterdescendants())]
    return max(before, key=order.get) if before else None


def _inside(el, container) -> bool:
    return el is container or any(a is container for a in el.iterancestors())


def _common_ancestor(a, b):
    ancestors = {a, *a.iterancestors()}  # a set of the elements themselves: lxml proxies' ids are reused
    return next(x for x in [b, *b.iterancestors()] if x in ancestors)


def _region_paragraphs(region, title) -> list[tuple[str, str | None]]:
    paragraphs: list[tuple[str, str | None]] = []
    taken = set()  # elements already read (kept, not their ids: lxml reuses a freed proxy's id)
    for el in region.iter(*_BLOCK_TAGS):
        if any(a in taken for a in el.iterancestors()):
            continue
        marks = _marks(el)
        hint = _BLOCK_TAGS[el.tag]
        if _CAPTION.search(marks) or _is_photo_caption(el):
            hint = "caption"
        elif _LEAD.search(marks):
            hint = "lead"
        elif _BYLINE.search(marks):
            hint = "byline"
        elif (el.tag in ("span", "div", "p", "time") and _DATE.search(marks) or el.tag == "time") and _DATE_TEXT.search(el.text_content()):
            hint = "dateline"
        elif el.tag in ("span", "time"):
            continue
        elif el.tag in ("div", "td") and any(c.tag in _BLOCK_TAGS for c in el.iterdescendants()):
            # A container: its own loose text (text beside the blocks) still counts.
            loose = [(el.text or "")] + [c.tail or "" for c in el]
            paragraphs += [(line, None) for part in loose for line in part.split("\n") if re.search(r"\w\w", line)]
            continue
        elif el.tag == "div" and any(a.tag in _ENCLOSING for a in el.iterancestors()):
            continue
        if el.tag == "p" and hint is None and _all_bold(el) and not any(h == "lead" for _, h in paragraphs) \
                and not any(h is None for _, h in paragraphs):
            hint = "lead"  # the first paragraph set in bold is the lead (sapo)
        if el is title:
            hint = "title"
        taken.add(el)
        lines = [el.text_content()] if el.tag in ("p", "li", "h1", "h2", "h3", "h4", "figcaption") else el.text_content().split("\n")
        paragraphs += [(line, hint) for line in lines if line.strip()]
    return paragraphs


def _is_photo_caption(el) -> bool:
    """Inside a caption box (table.tplCaption, div.PhotoCMS_Caption), or a line set in italics
    right after a paragraph that holds only a picture."""
    if any(_CAPTION.search(_marks(a)) for a in el.iterancestors()):
        return True
    before = el.getprevious()
    italic = "".join(i.text_content() for i in el.iter("em", "i")).split()
    return (el.tag == "p" and before is not None and any(True for _ in before.iter("img"))
            and not before.text_content().strip() and bool(italic) and italic == el.text_content().split())


def _all_bold(el) -> bool:
    bold = "".join(b.text_content() for b in el.iter("b", "strong"))
    return len(bold.split()) >= 3 and bold.split() == el.text_content().split()


# .docx ---------------------------------------------------------------------------------------

def _docx_paragraphs(name: str, data: bytes, max_unpacked: int) -> list[tuple[str, str | None]]:
    import zipfile

    import docx

    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise ReadError(f"{name}: not a readable .docx file ({e})") from None
    if unpacked > max_unpacked:
        raise ReadError(f"{name}: unpacks to {unpacked / 2**20:.0f} MB, over the {max_unpacked / 2**20:.0f} MB limit for a .docx (a zip bomb?)")
    try:
        document = docx.Document(io.BytesIO(data))
        _keep_entity_references(document.element)
        return _docx_blocks(document)
    except Exception as e:  # python-docx and lxml fail in many ways on a damaged package; each is one line
        raise ReadError(f"{name}: not a readable .docx file ({type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else 'damaged'})") from None


def _keep_entity_references(root) -> None:
    """python-docx never expands an entity declared in the part's DTD (no entity attacks), and
    the text after an unexpanded reference is not in `.text`: the reference becomes text as
    written (`&name;`, as TMX reading keeps it), so nothing after it is lost."""
    from lxml import etree

    for entity in list(root.iter(etree.Entity)):
        parent, before = entity.getparent(), entity.getprevious()
        text = entity.text + (entity.tail or "")
        if before is not None:
            before.tail = (before.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(entity)


def _docx_blocks(document) -> list[tuple[str, str | None]]:
    paragraphs: list[tuple[str, str | None]] = []
    for p in document.paragraphs:
        style = (p.style.name if p.style is not None else "").lower()
        hint = ("title" if style in ("title", "heading 1") else "heading" if style.startswith(("heading", "subtitle"))
                else "caption" if style == "caption" else "quote" if "quote" in style
                else "list_item" if "list" in style else None)
        runs = [r for r in p.runs if r.text.strip()]
        if hint is None and runs and all(r.bold for r in runs) and not any(h in (None, "lead") for _, h in paragraphs):
            hint = "lead"
        paragraphs.append((p.text, hint))
    return paragraphs
