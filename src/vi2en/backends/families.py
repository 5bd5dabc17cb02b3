"""Model folders and families: what a folder holds, and how each family is asked for English.

Each model family's generation rules (language codes, forced first token, input prefix) live
in `FAMILIES` and nowhere else; `ModelFolder` is what every seq2seq backend opens first.
"""

from __future__ import annotations

import json
import re
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


def quiet_transformers() -> None:
    """No progress bars or length warnings from transformers: the splitter cuts long sources, and
    stderr is for one line per problem."""
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


@dataclass
class Encoding:
    input_ids: list[int]


class MarianPieces:
    """A Marian folder's tokenizer read with `sentencepiece` alone: the ids, pieces and text that
    transformers' MarianTokenizer gives (tests/test_tokenizer.py checks that on the shipped model),
    without importing transformers and sacremoses, about a second of start-up on a busy machine.

    It has the part of the transformers tokenizer interface the project calls. Used only for the
    folders whose tokenizer is exactly this (`fits`); any other folder gets transformers' own.
    """

    def __init__(self, path: Path, config: dict):
        import sentencepiece

        self.source = sentencepiece.SentencePieceProcessor(model_file=str(path / "source.spm"))
        same = (path / "source.spm").read_bytes() == (path / "target.spm").read_bytes()  # one shared model, as the project's
        self.target = self.source if same else sentencepiece.SentencePieceProcessor(model_file=str(path / "target.spm"))
        self.vocab: dict[str, int] = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        self.piece_of = {i: piece for piece, i in self.vocab.items()}
        self.eos_token, self.unk_token, self.pad_token = (config.get(k, d) for k, d in (("eos_token", "</s>"), ("unk_token", "<unk>"), ("pad_token", "<pad>")))
        self.eos_token_id, self.unk_token_id, self.pad_token_id = (self.vocab[t] for t in (self.eos_token, self.unk_token, self.pad_token))
        self.all_special_ids = [self.eos_token_id, self.unk_token_id, self.pad_token_id]
        self.model_max_length = config.get("model_max_length", 512)  # MarianTokenizer's own default
        # transformers never lets SentencePiece see a special token written in the text
        self._special = re.compile("(" + "|".join(re.escape(t) for t in (self.eos_token, self.unk_token, self.pad_token)) + ")")

    @staticmethod
    def fits(path: Path, family: Family) -> bool:
        """A Marian folder with one shared vocabulary and nothing MarianTokenizer would add to it."""
        config_file = path / "tokenizer_config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        extras = [path / "added_tokens.json", path / "tokenizer.json"]
        special_map = path / "special_tokens_map.json"
        special = json.loads(special_map.read_text(encoding="utf-8")) if special_map.is_file() else {}
        return (family.name == "marian" and config.get("tokenizer_class", "MarianTokenizer") == "MarianTokenizer"
                and not config.get("separate_vocabs") and not config.get("clean_up_tokenization_spaces")
                and not config.get("added_tokens_decoder") and not special.get("additional_special_tokens")
                and not any(f.is_file() for f in extras) and all((path / f).is_file() for f in ("source.spm", "target.spm", "vocab.json")))

    def __call__(self, text: str | None = None, *, text_target: str | None = None, add_special_tokens: bool = True) -> Encoding:
        spm, text = (self.source, text) if text_target is None else (self.target, text_target)
        ids = []
        for n, chunk in enumerate(self._special.split(text)):
            if n % 2:  # a special token, as written
                ids.append(self.vocab[chunk])
            elif chunk:
                ids += self.convert_tokens_to_ids(self._pieces(spm, chunk))
        return Encoding(ids + [self.eos_token_id] if add_special_tokens else ids)

    @staticmethod
    def _pieces(spm, text: str) -> list[str]:
        """A leading `>>xx<<` stays one token, as MarianTokenizer keeps it for multilingual models."""
        end = text.find("<<") if text.startswith(">>") else -1
        code = [text[: end + 2]] if end != -1 else []
        return code + spm.encode(text[end + 2 :] if code else text, out_type=str)

    def convert_tokens_to_ids(self, tokens: str | list[str]):
        if isinstance(tokens, str):
            return self.vocab.get(tokens, self.unk_token_id)
        return [self.vocab.get(t, self.unk_token_id) for t in tokens]

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [self.piece_of.get(i) or self.source.id_to_piece(i) or self.unk_token for i in ids]

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        """As MarianTokenizer decodes with its source SentencePiece model (one shared vocabulary)."""
        special = set(self.all_special_ids)
        text, run = "", []
        for i, piece in zip(ids, self.convert_ids_to_tokens(ids)):
            if i in special:
                if not skip_special_tokens:
                    text += self.source.decode_pieces(run) + piece + " "
                    run = []
            else:
                run.append(piece)
        text += self.source.decode_pieces(run)
        return text.strip()


class ModelFolder:
    """A seq2seq model folder opened for Vietnamese→English: its family, tokenizer and limits.

    What both seq2seq backends share; a backend adds only how it generates and scores.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.family = check_model_folder(self.path)
        try:
            self.tokenizer = self._tokenizer()
        except (OSError, ValueError, KeyError, RuntimeError, ImportError) as e:
            raise ModelError(f"{self.path}: cannot load model ({_first_line(e)})") from None
        self.max_input_tokens = self._source_limit()
        tok = self.tokenizer
        self.target_token_id = tok.convert_tokens_to_ids(self.family.target_token) if self.family.target_token else None
        if self.target_token_id is not None and self.target_token_id == tok.unk_token_id:
            raise ModelError(f"{self.path}: tokenizer has no {self.family.target_token} language code")
        self.special_ids = set(tok.all_special_ids) - {tok.unk_token_id}

    def _tokenizer(self):
        if MarianPieces.fits(self.path, self.family):
            config = self.path / "tokenizer_config.json"
            return MarianPieces(self.path, json.loads(config.read_text(encoding="utf-8")) if config.is_file() else {})
        quiet_transformers()
        return load_tokenizer(self.path, self.family)

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
