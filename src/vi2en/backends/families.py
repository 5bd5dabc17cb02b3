"""Model folders and families: what a folder holds, and how each family is asked for English.

Each model family's generation rules (language codes, forced first token, input prefix) live
in `FAMILIES` and nowhere else; `ModelFolder` is what every seq2seq backend opens first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CT2_FOLDER = "ct2-int8"  # where `vi2en models convert` writes a model's CTranslate2 copy


class ModelError(Exception):
    """A model that cannot be used; the message names the folder and the problem."""


@dataclass(frozen=True)
class Family:
    """How one model family is asked for Vietnamese→English."""

    name: str
    model_type: str  # config.json "model_type"
    tokenizer_class: str | None = None  # to tell families sharing a model_type apart
    src_lang: str | None = None  # set on the tokenizer; it adds the source language code
    target_token: str | None = None  # the English language code the output must start with
    target_via: str | None = None  # "forced_bos" (first generated token) or "decoder_start"
    input_prefix: str = ""  # prepended to every source sentence


FAMILIES = [
    Family("marian", "marian"),
    Family("nllb", "m2m_100", tokenizer_class="Nllb", src_lang="vie_Latn", target_token="eng_Latn", target_via="forced_bos"),
    Family("m2m100", "m2m_100", tokenizer_class="M2M100", src_lang="vi", target_token="__en__", target_via="forced_bos"),
    # vinai-translate starts decoding from en_XX itself (its model card), not from </s> en_XX as mBART-50 does
    Family("mbart", "mbart", src_lang="vi_VN", target_token="en_XX", target_via="decoder_start"),
    Family("t5", "t5", input_prefix="<2en> "),
]


def read_config(path: Path) -> dict:
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: not a model folder (config.json missing)") from None
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable config.json ({e})") from None


def detect_family(path: Path) -> Family:
    model_type = read_config(path).get("model_type", "")
    tokenizer_config = path / "tokenizer_config.json"
    tokenizer_class = json.loads(tokenizer_config.read_text(encoding="utf-8")).get("tokenizer_class") or "" if tokenizer_config.is_file() else ""
    for family in FAMILIES:
        if family.model_type == model_type and (family.tokenizer_class is None or tokenizer_class.startswith(family.tokenizer_class)):
            return family
    supported = ", ".join(sorted({f.model_type for f in FAMILIES}))
    raise ModelError(f"{path}: unsupported architecture {model_type or '(none)'!r} with tokenizer {tokenizer_class or '(none)'!r}; supported: {supported}")


def has_ct2_copy(model_dir: Path) -> bool:
    return (Path(model_dir) / CT2_FOLDER / "model.bin").is_file()


def check_model_folder(path: Path) -> Family:
    family = detect_family(path)
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")) and not has_ct2_copy(path):
        raise ModelError(f"{path}: no model weights (*.safetensors, *.bin or a CTranslate2 copy)")
    if not any(any(path.glob(p)) for p in ("tokenizer_config.json", "*.spm", "*.model", "tokenizer.json")):
        raise ModelError(f"{path}: no tokenizer files (tokenizer_config.json, *.spm, *.model or tokenizer.json)")
    return family


def load_tokenizer(path: Path, family: Family):
    """The tokenizer class the folder names, when transformers has it, set for Vietnamese input.

    AutoTokenizer would read the model config first, and that imports torch: seconds of start-up
    the CTranslate2 path does not need.
    """
    import transformers

    options = {"src_lang": family.src_lang} if family.src_lang else {}
    config = path / "tokenizer_config.json"
    named = json.loads(config.read_text(encoding="utf-8")).get("tokenizer_class") if config.is_file() else None
    tokenizer_class = getattr(transformers, named, None) if named else None
    return (tokenizer_class or transformers.AutoTokenizer).from_pretrained(path, **options)


class ModelFolder:
    """A seq2seq model folder opened for Vietnamese→English: its family, tokenizer and limits.

    What both seq2seq backends share; a backend adds only how it generates and scores.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.family = check_model_folder(self.path)
        try:
            from transformers.utils import logging

            logging.disable_progress_bar()
            logging.set_verbosity_error()  # length warnings are handled by the splitter: long sources are cut
            self.tokenizer = load_tokenizer(self.path, self.family)
        except (OSError, ValueError, KeyError, RuntimeError, ImportError) as e:
            raise ModelError(f"{self.path}: cannot load model ({_first_line(e)})") from None
        self.max_input_tokens = self._source_limit()
        tok = self.tokenizer
        self.target_token_id = tok.convert_tokens_to_ids(self.family.target_token) if self.family.target_token else None
        if self.target_token_id is not None and self.target_token_id == tok.unk_token_id:
            raise ModelError(f"{self.path}: tokenizer has no {self.family.target_token} language code")
        self.special_ids = set(tok.all_special_ids) - {tok.unk_token_id}

    def _source_limit(self) -> int:
        """The longest source the model takes: its tokenizer's limit, else its position table."""
        limit = getattr(self.tokenizer, "model_max_length", None) or 0
        if not 0 < limit < 100_000:  # tokenizers without a limit report 1e30
            limit = read_config(self.path).get("max_position_embeddings") or 512
        return limit

    def encode(self, text: str) -> list[int]:
        """Source token ids as the model sees them: prefix, language code and end token included."""
        return self.tokenizer(self.family.input_prefix + text).input_ids

    def encode_target(self, text: str) -> list[int]:
        return self.tokenizer(text_target=text, add_special_tokens=False).input_ids

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()

    def pieces(self, ids: list[int]) -> list[str]:
        return self.tokenizer.convert_ids_to_tokens(ids)

    def metadata(self) -> dict:
        """Licence and notice from the folder's `vi2en.json`, for every output made with it."""
        meta = self.path / "vi2en.json"
        return json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
