"""The side-by-side bilingual page for reading and review, rendered from the aligned JSON."""

from __future__ import annotations

import re

import jinja2
from markupsafe import Markup

from vi2en.document import Document
from vi2en.score import explain

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("vi2en", "templates"),
    autoescape=True,  # article text is data: `<script>` must render as text
    trim_blocks=True,
    lstrip_blocks=True,
)


def highlight(text: str, terms: list[str]) -> Markup:
    """Escape text and wrap each glossary term in <mark>."""
    if not terms:
        return Markup.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)), re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(Markup.escape(text[last : m.start()]))
        out.append(Markup('<mark class="term">{}</mark>').format(m.group(0)))
        last = m.end()
    out.append(Markup.escape(text[last:]))
    return Markup("").join(out)


_env.filters["highlight"] = highlight
_env.filters["explain"] = explain  # {{ flag | explain(seg.signals) }}: the flag's one line for the editor


def render(template: str, **context) -> str:
    """Any page under templates/, with article text escaped and `highlight` and `explain` available."""
    return _env.get_template(template).render(**context)


def render_html(doc: Document) -> str:
    return render("aligned.html", doc=doc)
