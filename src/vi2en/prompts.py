"""How each LLM family is asked for one English translation, and how its answer is checked.

Chat models answer in prose: a label ("Translation:"), quotes, a thinking block, a note after
the sentence, or half of it left in Vietnamese. `clean` takes away what is plainly wrapping,
`problems` names what is still wrong, and the caller (backends/chat.py) asks once more with a
reminder before keeping the best answer it got; the quality score then flags what remains
(empty, untranslated), as it does for any backend.

Each family's wording follows its model card, since these models were tuned on exactly it:
Hy-MT (Hunyuan-MT, Hy-MT2) has its own terminology and context prompts; Qwen3 takes a plain
instruction and `/no_think` to skip its reasoning; Seed-X marks the target language with a
`<en>` tag after the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from vi2en.score import untranslated_words


@dataclass(frozen=True)
class Request:
    """One sentence for a chat model: the text, the renderings it must use, the sentences before it."""

    text: str
    constraints: tuple[tuple[str, str], ...] = ()  # (Vietnamese, the English it must be rendered as)
    context: tuple[str, ...] = ()  # the preceding source sentences, oldest first
    reminder: str = ""  # said after a first answer that broke a rule

    def __len__(self) -> int:  # the batching budget counts characters for text backends
        return len(self.text)


@dataclass(frozen=True)
class PromptFamily:
    """One family's messages for a request."""

    name: str
    build: Callable[[Request], list[dict]]
    matches: tuple[str, ...] = field(default_factory=tuple)  # lower-case parts of model names of the family


def _hy_mt(r: Request) -> list[dict]:
    # the Hunyuan-MT model card's terminology and context prompts (it gives them in Chinese)
    parts = []
    if r.context:
        parts.append("\n".join(r.context) + "\n参考上面的信息，注意不需要翻译上文。")
    if r.constraints:
        parts.append("参考下面的翻译：\n" + "\n".join(f"{vi} 翻译成 {en}" for vi, en in r.constraints))
    parts.append(f"将以下文本翻译为英语，注意只需要输出翻译后的结果，不要额外解释：\n{r.text}")
    return [{"role": "user", "content": "\n\n".join(parts) + _reminder(r)}]


def _instruction(r: Request) -> str:
    parts = ["Translate the following Vietnamese news sentence into English. Answer with the English translation only: no notes, no quotes, no Vietnamese."]
    if r.context:
        parts.append("Earlier sentences of the article, for context only (do not translate them):\n" + "\n".join(r.context))
    if r.constraints:
        parts.append("Use exactly these English renderings:\n" + "\n".join(f"{vi} → {en}" for vi, en in r.constraints))
    parts.append("Words already in English in the sentence are required renderings: keep them exactly as written.")
    return "\n\n".join(parts)


def _qwen(r: Request) -> list[dict]:
    return [{"role": "user", "content": f"{_instruction(r)}\n\nSentence:\n{r.text}{_reminder(r)} /no_think"}]


def _seed_x(r: Request) -> list[dict]:
    # Seed-X's card: the instruction, the source, then the target language tag
    return [{"role": "user", "content": f"{_instruction(r)}{_reminder(r)}\n\nTranslate the following Vietnamese sentence into English:\n{r.text} <en>"}]


def _generic(r: Request) -> list[dict]:
    return [
        {"role": "system", "content": "You are a professional translator of Vietnamese government and Party news into English."},
        {"role": "user", "content": f"{_instruction(r)}{_reminder(r)}\n\nSentence:\n{r.text}"},
    ]


def _reminder(r: Request) -> str:
    return f"\n\n{r.reminder}" if r.reminder else ""


FAMILIES = [
    PromptFamily("hy-mt", _hy_mt, ("hy-mt", "hunyuan-mt", "hunyuan")),
    PromptFamily("qwen", _qwen, ("qwen",)),
    PromptFamily("seed-x", _seed_x, ("seed-x",)),
    PromptFamily("generic", _generic),
]
BY_NAME = {f.name: f for f in FAMILIES}


def family_for(model_name: str, asked: str | None = None) -> PromptFamily:
    """The family asked for (--prompt), else the one the model's name belongs to, else generic."""
    if asked:
        if asked not in BY_NAME:
            raise ValueError(f"unknown prompt family {asked!r}; choose {', '.join(BY_NAME)}")
        return BY_NAME[asked]
    name = model_name.lower()
    return next((f for f in FAMILIES if any(m in name for m in f.matches)), BY_NAME["generic"])


# ---------------------------------------------------------------- the answer

_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.S)
_LABEL = re.compile(r"^\s*(?:english|translation|english translation|bản dịch|answer)\s*[:：]\s*", re.I)
_QUOTES = [('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"), ("«", "»")]
_COMMENTARY = re.compile(r"^\s*(?:\(|\[)?\s*(?:note|notes|explanation|translation note|ghi chú|here is|here's|i translated|this translation)\b", re.I)


def clean(answer: str) -> str:
    """The translation inside a chat answer: thinking, a label, wrapping quotes and notes removed."""
    text = _THINKING.sub("", answer or "").strip()
    text = text.removeprefix("```").removesuffix("```").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    # a note after the sentence, or an opening "Here is the translation:" line
    while lines and _COMMENTARY.match(lines[-1]) and len(lines) > 1:
        lines.pop()
    if len(lines) > 1 and _COMMENTARY.match(lines[0]):
        lines.pop(0)
    text = _LABEL.sub("", " ".join(line.strip() for line in lines) if len(lines) == 1 else "\n".join(lines)).strip()
    for left, right in _QUOTES:
        if len(text) > 2 and text.startswith(left) and text.endswith(right) and text.count(left) + (text.count(right) if left != right else 0) == 2:
            text = text[1:-1].strip()
    return text


def problems(text: str, request: Request) -> list[str]:
    """What breaks the rules for one answer (already cleaned): empty, more than one translation or
    a note left in, Vietnamese left (the required renderings aside)."""
    found = []
    if not text.strip():
        found.append("empty answer")
    if "\n" in text.strip() and "\n" not in request.text:
        found.append("more than one line")
    if any(_COMMENTARY.match(line) for line in text.splitlines()):
        found.append("commentary")
    if untranslated_words(text, [en for _, en in request.constraints]):
        found.append("Vietnamese left")
    return found


def reminder_for(found: list[str]) -> str:
    return f"Your previous answer was rejected ({', '.join(found)}). Reply with one English sentence only."
