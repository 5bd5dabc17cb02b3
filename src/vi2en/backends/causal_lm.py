"""A local LLM translator: transformers `AutoModelForCausalLM` with the model's own chat template.

`vi2en translate … --backend causal-lm --model models/Hy-MT2-1.8B`. The same prompts and answer
checks as the HTTP backend (backends/chat.py); greedy decoding, since these models' cards
translate with it or near it, and the log-probabilities of the generated tokens for the score.
"""

from __future__ import annotations

import json
from pathlib import Path

from vi2en import prompts
from vi2en.backends import Hypothesis
from vi2en.backends.chat import TextModel
from vi2en.backends.families import ModelError, _first_line, read_config


def is_causal_lm(path: Path) -> bool:
    """A folder whose config names a decoder-only language model (Qwen3ForCausalLM, …)."""
    try:
        return any(a.endswith("ForCausalLM") for a in read_config(path).get("architectures") or [])
    except ModelError:
        return False


class CausalLMBackend:
    name = "causal-lm"
    capabilities = frozenset({"text", "logprobs"})
    concurrent_batches = 1

    def __init__(self, path: Path, *, prompt: str | None = None, max_length: int = 256, device: str | None = None, beam_size: int = 1, threads: int = 0):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging

        path = Path(path)
        read_config(path)  # one line when the folder is not a model
        logging.disable_progress_bar()
        logging.set_verbosity_error()
        meta = path / "vi2en.json"
        record = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
        self.folder = TextModel(path, prompts.family_for(path.name, prompt), record=record)
        self.max_length, self.beam_size = max_length, beam_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if threads:
            torch.set_num_threads(threads)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
            self.model = AutoModelForCausalLM.from_pretrained(path).to(self.device).eval()
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise ModelError(f"{path}: cannot load the causal language model ({_first_line(e)})") from None
        if not self.tokenizer.chat_template:
            raise ModelError(f"{path}: the tokenizer has no chat template (tokenizer_config.json or chat_template.jinja)")
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "prompt": self.folder.family.name}

    def release_memory(self) -> None:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def generate(self, sources: list[prompts.Request]) -> list[Hypothesis]:
        import torch

        tok = self.tokenizer
        chats = [self.folder.family.build(r) for r in sources]
        inputs = tok.apply_chat_template(chats, add_generation_prompt=True, padding=True, return_tensors="pt", return_dict=True).to(self.device)
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_length, do_sample=False, num_beams=1, pad_token_id=tok.pad_token_id,
                                      output_scores=True, return_dict_in_generate=True)
            transition = self.model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
        start = inputs["input_ids"].shape[1]
        special = set(tok.all_special_ids)
        hyps = []
        for seq, scores in zip(out.sequences, transition):
            new = seq[start:].tolist()
            kept = [(t, float(s)) for t, s in zip(new, scores.tolist()) if t not in special]
            hyps.append(Hypothesis(text=tok.decode([t for t, _ in kept], skip_special_tokens=True), token_logprobs=[s for _, s in kept]))
        return hyps
