"""An OpenAI-compatible chat-completions endpoint (vLLM, SGLang, llama.cpp, `transformers serve`).

`vi2en translate … --endpoint http://gpu-server:8000/v1 --model NAME`. The key, when the server
wants one, comes from VI2EN_API_KEY and never from the command line (which `ps` shows). Requests
run in a small thread pool (the server batches them itself); each has a timeout, and a refused
connection, a timeout, a 429 or a 5xx is retried with exponential back-off. What cannot be
used — the server down after the retries, an answer that is not the chat-completions JSON — is
one `ModelError` line naming the endpoint, since every later sentence would fail the same way.

Per-token log-probabilities are asked for (`logprobs: true`); a server that returns them feeds
the quality score, one that does not leaves `mean_logprob` None and the score says so.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vi2en import prompts
from vi2en.backends import Hypothesis
from vi2en.backends.chat import TextModel
from vi2en.backends.families import ModelError

API_KEY_VARIABLE = "VI2EN_API_KEY"
RETRIED_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend:
    name = "openai"
    capabilities = frozenset({"text", "logprobs"})
    concurrent_batches = 1  # its own requests go out side by side inside `generate`

    def __init__(self, model: Path | str, *, endpoint: str, prompt: str | None = None, max_length: int = 256, timeout: float = 120.0,
                 retries: int = 3, backoff: float = 1.0, workers: int = 8, beam_size: int = 1, device: str | None = None):
        import httpx2

        self.model_name = str(model)
        self.endpoint = endpoint.rstrip("/")
        self.folder = TextModel(Path(self.model_name), prompts.family_for(self.model_name, prompt))
        self.max_tokens, self.retries, self.backoff, self.workers = max_length, retries, backoff, workers
        self.beam_size, self.device = beam_size, "remote"
        key = os.environ.get(API_KEY_VARIABLE)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx2.Client(timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)), headers=headers)
        self._logprobs = True  # dropped after a server refuses the field

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "endpoint": self.endpoint, "prompt": self.folder.family.name}

    def release_memory(self) -> None:
        pass

    def generate(self, sources: list[prompts.Request]) -> list[Hypothesis]:
        with ThreadPoolExecutor(max_workers=min(self.workers, len(sources)) or 1) as pool:
            return list(pool.map(self._complete, sources))

    def _complete(self, request: prompts.Request) -> Hypothesis:
        body = {"model": self.model_name, "messages": self.folder.family.build(request), "max_tokens": self.max_tokens, "temperature": 0}
        if self._logprobs:
            body["logprobs"] = True
        answer = self._post(body)
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise ModelError(f"{self.endpoint}: the answer has no choices[0].message.content ({json.dumps(answer)[:120]})") from None
        if not isinstance(text, str):
            raise ModelError(f"{self.endpoint}: the answer's content is not text ({json.dumps(text)[:120]})")
        return Hypothesis(text=text, token_logprobs=_logprobs(choice))

    def _post(self, body: dict) -> dict:
        """The server's JSON answer, retried with back-off while the failure may pass."""
        import httpx2

        url = f"{self.endpoint}/chat/completions"
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.client.post(url, json=body)
            except httpx2.TimeoutException:
                problem = f"no answer within {self.client.timeout.read:g} s"
                continue
            except httpx2.TransportError as e:
                problem = f"cannot connect ({e.__class__.__name__}: {str(e) or 'no reason given'})"
                continue
            if response.status_code in RETRIED_STATUS:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code == 400 and "logprobs" in body and "logprob" in response.text.lower():
                self._logprobs = False  # this server does not give log-probabilities: ask without them
                body = {k: v for k, v in body.items() if k != "logprobs"}
                return self._post(body)
            if response.status_code >= 400:
                raise ModelError(f"{url}: HTTP {response.status_code} ({' '.join(response.text.split())[:160] or 'no body'})")
            try:
                answer = response.json()
            except ValueError:
                problem = f"malformed JSON ({' '.join(response.text.split())[:80]!r})"
                continue  # a truncated answer may be a dropped connection
            if not isinstance(answer, dict) or not answer.get("choices"):
                raise ModelError(f"{url}: the answer has no choices ({' '.join(response.text.split())[:120]})")
            return answer
        raise ModelError(f"{url}: {problem} after {self.retries + 1} tries; is the server running? (vi2en translate --endpoint URL --model NAME)")


def _logprobs(choice: dict) -> list[float]:
    """The answer's per-token log-probabilities (OpenAI's `logprobs.content[].logprob`), or none."""
    content = (choice.get("logprobs") or {}).get("content") if isinstance(choice.get("logprobs"), dict) else None
    if not isinstance(content, list):
        return []
    values = [t.get("logprob") for t in content if isinstance(t, dict)]
    return [float(v) for v in values if isinstance(v, (int, float))]
