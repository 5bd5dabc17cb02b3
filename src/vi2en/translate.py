"""The translation backend: a sequence-to-sequence model run with `generate()`.

Sentences are translated in length-sorted batches (less padding) and returned in input
order, each with its per-token log-probabilities, which feed the quality score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

PROJECT_MODELS = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = "compact-vi-en"


class ModelError(Exception):
    """A model that cannot be used; the message names the folder and the problem."""


@dataclass
class Hypothesis:
    text: str
    token_logprobs: list[float] = field(default_factory=list)

    @property
    def mean_logprob(self) -> float:
        return sum(self.token_logprobs) / len(self.token_logprobs) if self.token_logprobs else float("-inf")


def resolve_model(name_or_path: str | None) -> Path:
    """`--model` as a path or a name under models/; without one, the compact model the project ships."""
    candidate = Path(name_or_path) if name_or_path else PROJECT_MODELS / DEFAULT_MODEL
    if name_or_path and not candidate.exists() and (PROJECT_MODELS / name_or_path).exists():
        candidate = PROJECT_MODELS / name_or_path
    if not candidate.is_dir():
        raise ModelError(f"{candidate}: no model folder there")
    return candidate


def check_model_folder(path: Path) -> None:
    if not (path / "config.json").is_file():
        raise ModelError(f"{path}: not a model folder (config.json missing)")
    try:
        json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable config.json ({e})") from None
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")):
        raise ModelError(f"{path}: no model weights (*.safetensors or *.bin)")


class Translator:
    """Loads a model once; `translate` can then be called for any number of documents."""

    def __init__(self, model_dir: Path, *, beam_size: int = 4, max_length: int = 256, batch_size: int = 16, device: str | None = None):
        import torch
        import transformers
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        transformers.utils.logging.disable_progress_bar()

        check_model_folder(model_dir)
        self.path = Path(model_dir)
        self.name = self.path.name
        self.beam_size = beam_size
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(self.path).to(self.device).eval()
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"{self.path}: cannot load model ({str(e).splitlines()[0]})") from None
        if self.model.dtype != torch.float32 and self.device == "cpu":
            self.model = self.model.float()  # float16 weights are stored for size; CPU matmuls want float32
        self.model_max_tokens = min(self.max_length, getattr(self.tokenizer, "model_max_length", self.max_length))

    def describe(self) -> dict:
        """What ran, for the outputs; a model folder's `vi2en.json` adds licence and notice."""
        info = {"name": self.name, "path": str(self.path), "backend": "transformers", "device": self.device, "beam_size": self.beam_size}
        meta = self.path / "vi2en.json"
        if meta.is_file():
            info.update(json.loads(meta.read_text(encoding="utf-8")))
        return info

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text).input_ids)

    def translate(self, sentences: list[str], progress: Callable[[int], None] | None = None) -> list[Hypothesis]:
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        results: list[Hypothesis | None] = [None] * len(sentences)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for i, hyp in zip(batch, self._generate([sentences[i] for i in batch])):
                results[i] = hyp
            if progress:
                progress(len(batch))
        return results  # type: ignore[return-value]

    def _generate(self, sentences: list[str]) -> list[Hypothesis]:
        import torch

        inputs = self.tokenizer(sentences, return_tensors="pt", padding=True, truncation=True, max_length=self.model_max_tokens).to(self.device)
        with torch.inference_mode():
            out = self.model.generate(
                **inputs,
                num_beams=self.beam_size,
                max_length=self.max_length,
                output_scores=True,
                return_dict_in_generate=True,
            )
            transition = self.model.compute_transition_scores(
                out.sequences, out.scores, getattr(out, "beam_indices", None), normalize_logits=self.beam_size == 1
            )
        hyps = []
        special = set(self.tokenizer.all_special_ids) - {self.tokenizer.eos_token_id}
        for seq, scores in zip(out.sequences, transition):
            # sequences start with the decoder start token, which has no score
            tokens = seq[-scores.shape[0]:].tolist()
            logprobs = [float(s) for t, s in zip(tokens, scores.tolist()) if t not in special and s > float("-inf")]
            text = self.tokenizer.decode(seq, skip_special_tokens=True).strip()
            hyps.append(Hypothesis(text=text, token_logprobs=logprobs))
        return hyps
