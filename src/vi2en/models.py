"""The model registry (models/registry.toml) and the `vi2en models` commands' work.

`choose_model` decides which model a run uses: `--model`, then a configured default
(VI2EN_MODEL, or `model = "NAME|PATH"` in ~/.config/vi2en/config.toml), then the first
installed model in registry order, which ends with the compact model the project ships.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from vi2en.document import write_atomic
from vi2en.backends.families import CT2_FOLDER, FAMILIES, ModelError, check_model_folder, has_ct2_copy, load_tokenizer, read_config

PROJECT_MODELS = Path(__file__).resolve().parents[2] / "models"
REGISTRY = PROJECT_MODELS / "registry.toml"
# Weights in formats the project never loads: skipped on download.
UNUSED_FILES = ["*.h5", "*.ot", "*.msgpack", "*.onnx", "onnx/*", "*.gguf", "*.tflite", "flax_model*", "tf_model*"]


@dataclass(frozen=True)
class Entry:
    name: str
    architecture: str
    family: str
    licence: str
    commercial: bool
    size_mb: int = 0
    hf_id: str = ""
    notice: str = ""
    note: str = ""
    teacher: bool = True  # False: the licence forbids training another model on its translations
    teacher_note: str = ""
    backend: str = ""  # "causal-lm" for an LLM translator; empty for the seq2seq models

    def folder(self) -> Path:
        return models_dir() / self.name

    def installed(self) -> bool:
        folder = self.folder()
        if self.backend == "causal-lm":  # no seq2seq family to detect: config and weights are enough
            return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))
        return is_installed(folder)


def models_dir() -> Path:
    """Where models are installed: models/ in the project, or VI2EN_MODELS_DIR (e.g. a larger disk)."""
    return Path(os.environ.get("VI2EN_MODELS_DIR") or PROJECT_MODELS)


def config_file() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "vi2en" / "config.toml"


def load_registry(path: Path = REGISTRY) -> list[Entry]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = [Entry(**row) for row in data["model"]]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
        raise ModelError(f"{path}: unreadable model registry ({e})") from None
    from vi2en.prompts import BY_NAME as PROMPT_FAMILIES

    for entry in entries:
        known = PROMPT_FAMILIES if entry.backend == "causal-lm" else {f.name for f in FAMILIES}
        if entry.family not in known:
            raise ModelError(f"{path}: model {entry.name} has unknown family {entry.family!r}")
    return entries


def teacher_refusal(name: str, registry: list[Entry]) -> str:
    """Why a model may not teach a student ('' when it may): a registry name, hub id or folder named like one."""
    meta = Path(name) / "vi2en.json"
    record = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
    if record.get("teacher") is False:
        return f"{name}: may not be a distillation teacher: {record.get('teacher_note') or record.get('licence', 'its licence forbids it')}"
    wanted = Path(name).name.lower()
    for entry in registry:
        if not entry.teacher and wanted in {entry.name.lower(), entry.hf_id.lower(), entry.hf_id.split("/")[-1].lower()}:
            return f"{name}: may not be a distillation teacher: {entry.teacher_note or entry.licence}"
    return ""


def find_entry(name: str, registry: list[Entry]) -> Entry:
    for entry in registry:
        if entry.name == name:
            return entry
    raise ModelError(f"{name}: not in the model registry (known: {', '.join(e.name for e in registry)})")


def is_installed(folder: Path) -> bool:
    try:
        check_model_folder(folder)
    except ModelError:
        return False
    return True


def configured_model() -> tuple[str, str] | None:
    """The default model set by VI2EN_MODEL or the user's config file, and where it was set."""
    if os.environ.get("VI2EN_MODEL"):
        return os.environ["VI2EN_MODEL"], "VI2EN_MODEL"
    path = config_file()
    if path.is_file():
        try:
            model = tomllib.loads(path.read_text(encoding="utf-8")).get("model")
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ModelError(f"{path}: unreadable config ({e})") from None
        if model:
            return str(model), str(path)
    return None


def choose_model(name_or_path: str | None) -> tuple[Path, str]:
    """The model folder a run uses and why it was chosen."""
    requested = (name_or_path, "--model") if name_or_path else configured_model()
    if requested:
        value, origin = requested
        for candidate in (Path(value), models_dir() / value):
            if candidate.is_dir():
                return candidate, origin
        raise ModelError(f"{value}: no model folder there or under {models_dir()} (from {origin})")
    for entry in load_registry():
        if not entry.backend and is_installed(entry.folder()):  # an LLM is loaded only when asked for
            return entry.folder(), "registry"
    raise ModelError(f"{models_dir()}: no model installed; run `vi2en models pull opus-mt-vi-en` or pass --model")


def adaptation_note(folder: Path) -> str:
    """What `vi2en models list` says of a model `vi2en adapt` changed, and whether it can roll back."""
    meta = folder / "vi2en.json"
    adapted = json.loads(meta.read_text(encoding="utf-8")).get("adapted") if meta.is_file() else None
    if not adapted:
        return ""
    from vi2en.adapt import previous_of

    back = f"; previous kept: vi2en models rollback {folder.name}" if previous_of(folder).is_dir() else ""
    return f" [in use: adapted {adapted['date']} on {adapted['approved_pairs']} approved pairs, dev chrF++ {adapted['before']['dev_chrf']} → {adapted['after']['dev_chrf']}{back}]"


def licence_record(entry: Entry) -> dict:
    record = {"licence": entry.licence, "commercial_use": entry.commercial}
    if entry.hf_id:
        record["source"] = f"https://huggingface.co/{entry.hf_id}"
    if entry.notice:
        record["notice"] = entry.notice
    if not entry.teacher:  # the folder itself says so, whatever it is renamed to
        record.update(teacher=False, teacher_note=entry.teacher_note)
    return record


def pull(entry: Entry) -> Path:
    """Download a registry model into models/NAME; an interrupted download resumes where it stopped."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    if not entry.hf_id:
        raise ModelError(f"{entry.name}: ships with the project, there is nothing to download")
    folder = entry.folder()
    try:
        snapshot_download(entry.hf_id, local_dir=folder, ignore_patterns=UNUSED_FILES)
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"{entry.name}: cannot download {entry.hf_id} from the Hugging Face hub (no network? {reason}); run the same command again to resume") from None
    if not entry.backend:
        check_model_folder(folder)
    write_atomic(folder / "vi2en.json", json.dumps(licence_record(entry), indent=2, ensure_ascii=False) + "\n")
    return folder


def convert(folder: Path, *, force: bool = False) -> Path:
    """Write the model's CTranslate2 int8 copy to folder/ct2-int8 (built aside, then renamed into place)."""
    from ctranslate2.converters import TransformersConverter

    family = check_model_folder(folder)
    target = folder / CT2_FOLDER
    if has_ct2_copy(folder) and not force:
        raise ModelError(f"{target}: already converted (use --force to redo it)")
    work = Path(tempfile.mkdtemp(prefix=".ct2-", dir=folder))
    try:
        TransformersConverter(str(folder)).convert(str(work / "out"), quantization="int8", force=True)
        if family.target_via == "decoder_start":
            # the converter assumes mBART-50's </s> start; this family starts from the language code itself
            config = json.loads((work / "out" / "config.json").read_text(encoding="utf-8"))
            config["decoder_start_token"] = None
            (work / "out" / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        (work / "out").rename(target)
    except Exception as e:  # the converter fails in many ways on architectures it does not know
        raise ModelError(f"{folder}: cannot convert to CTranslate2 ({str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def count_parameters(folder: Path) -> int | None:
    """From the weight files' headers (safetensors) without loading the weights; None for .bin only."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for path in files:
        with path.open("rb") as f:
            header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
        for name, meta in header.items():
            if name != "__metadata__":
                count = 1
                for dim in meta["shape"]:
                    count *= dim
                total += count
    return total


def folder_size_mb(folder: Path) -> int:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6)


def info(folder: Path) -> dict:
    """What a local model folder holds, without loading the model."""
    family = check_model_folder(folder)
    config = read_config(folder)
    record = {
        "path": str(folder),
        "architecture": ", ".join(config.get("architectures") or [config.get("model_type", "?")]),
        "family": family.name,
        "parameters": count_parameters(folder),
        "vocabulary": config.get("vocab_size"),
        "languages": f"{family.src_lang or 'vi'} → {family.target_token or 'en'}" + (f" (input prefix {family.input_prefix.strip()})" if family.input_prefix else ""),
        "size_mb": folder_size_mb(folder),
        "ct2_copy": has_ct2_copy(folder),
    }
    meta = folder / "vi2en.json"
    if meta.is_file():
        record.update(json.loads(meta.read_text(encoding="utf-8")))
    return record


def shortlist(folder: Path, corpora: list[Path], **options) -> tuple[Path, int]:
    """Write the vocabulary shortlist of the model's CTranslate2 copy from parallel corpora; returns (path, pairs read)."""
    from transformers.utils import logging

    from vi2en.corpus import DataError, read_corpus
    from vi2en.shortlist import build_vmap, write_vmap

    family = check_model_folder(folder)
    if not has_ct2_copy(folder):
        raise ModelError(f"{folder}: no CTranslate2 copy to shortlist (run: vi2en models convert {folder})")
    try:
        pairs = [pair for corpus in corpora for pair in read_corpus(Path(corpus))]
    except DataError as e:
        raise ModelError(str(e)) from None
    if not pairs:
        raise ModelError(f"{', '.join(map(str, corpora))}: no sentence pairs")
    logging.set_verbosity_error()  # corpus lines longer than the model's input are fine to count
    tokenizer = load_tokenizer(folder, family)
    return write_vmap(folder / CT2_FOLDER, build_vmap(tokenizer, pairs, **options)), len(pairs)

