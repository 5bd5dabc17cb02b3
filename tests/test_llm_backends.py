"""The LLM backends, offline: a tiny random causal LM built here, served by transformers' own
OpenAI-compatible server (`transformers serve`) and loaded locally; broken servers are small
`http.server`s on 127.0.0.1 that answer the way a broken server does.

A random model's English is gibberish, so these tests assert structure, flags and validation,
never the words it writes.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vi2en import prompts
from vi2en.backends import ModelError, open_translator
from vi2en.backends.openai_http import OpenAIBackend
from vi2en.cli import main

ARTICLE = "Thủ tướng Phạm Minh Chính đã chủ trì cuộc họp của Ban Bí thư.\n\nCuộc họp diễn ra tại Hà Nội vào sáng nay.\n"
TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> Path:
    """A two-layer Qwen2 with a byte-level BPE tokenizer trained on a few sentences and a chat template."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    folder = tmp_path_factory.mktemp("tiny-lm") / "tiny-qwen"
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    sentences = [ARTICLE, "The Prime Minister chaired the meeting of the Secretariat in Hanoi.", prompts._instruction(prompts.Request("x"))]
    bpe.train_from_iterator(sentences, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=TEMPLATE)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=2048, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def transformers_server(tiny_lm):
    """`transformers serve` on 127.0.0.1 with the tiny model preloaded; its /v1 URL."""
    port = free_port()
    command = [sys.executable, "-c", "from transformers.cli.transformers import main; main()", "serve", str(tiny_lm),
               "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    server = subprocess.Popen(command, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"transformers serve did not start: {server.stderr.read()[-2000:] if server.poll() is not None else 'timeout'}")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---------------------------------------------------------------- a scripted server for what breaks


class Scripted(ThreadingHTTPServer):
    """A local server answering /v1/chat/completions as `answer(body)` says: (status, raw body, delay)."""

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), Handler)
        self.answer, self.requests = answer, []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body, "authorization": self.headers.get("Authorization")})
        status, raw, delay = self.server.answer(body)
        time.sleep(delay)
        data = raw.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting: what a slow server sees
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted():
    servers = []

    def start(answer) -> Scripted:
        server = Scripted(answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def completion(content: str, logprobs: list[float] | None = None) -> str:
    choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    if logprobs is not None:
        choice["logprobs"] = {"content": [{"token": f"t{i}", "logprob": lp} for i, lp in enumerate(logprobs)]}
    return json.dumps({"id": "x", "object": "chat.completion", "choices": [choice]})


def sentence_of(body: dict) -> str:
    """The sentence a request asks for: the prompt's last line (the Seed-X tag aside)."""
    return body["messages"][-1]["content"].removesuffix(" /no_think").removesuffix(" <en>").splitlines()[-1]


def quick(url: str, **options) -> OpenAIBackend:
    return OpenAIBackend("Qwen/Qwen3-8B", endpoint=url, **{"timeout": 5.0, "retries": 2, "backoff": 0.01, **options})


def article(tmp_path: Path) -> Path:
    path = tmp_path / "hop-bao.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the real server: transformers serve


def test_translate_through_transformers_serve(transformers_server, tiny_lm, tmp_path, test_glossary, capsys):
    out = tmp_path / "out"
    code = main(["translate", str(article(tmp_path)), "--out", str(out), "--endpoint", transformers_server, "--model", str(tiny_lm),
                 "--glossary", str(test_glossary), "--max-length", "8", "--quiet"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((out / "hop-bao.json").read_text(encoding="utf-8"))
    assert doc["model"]["backend"] == "openai" and doc["model"]["endpoint"] == transformers_server
    assert doc["model"]["selected_by"] == "--endpoint" and doc["model"]["family"] == "qwen"  # from the folder name, tiny-qwen
    segments = [s for b in doc["blocks"] for s in b.get("segments", [])]
    assert len(segments) == 2
    for segment in segments:
        assert isinstance(segment["en"], str)
        # transformers serve gives no log-probabilities: no number pretends to know
        assert segment["score"] is None
        if not segment["en"].strip():
            assert "empty" in segment["flags"]
        # the glossary's body either came out as given, or the segment says it did not
        for hit in segment["terms"]:
            assert hit["found"] == (hit["en"] in segment["en"]) or "term-missing" in segment["flags"]
    assert any(h["en"] == "Secretariat" for h in segments[0]["terms"])


def test_backend_talks_to_transformers_serve(transformers_server, tiny_lm):
    backend = OpenAIBackend(tiny_lm, endpoint=transformers_server, max_length=4, timeout=60)
    hyps = backend.generate([prompts.Request("Cuộc họp diễn ra tại Hà Nội."), prompts.Request("Thủ tướng chủ trì.")])
    assert len(hyps) == 2 and all(isinstance(h.text, str) and h.mean_logprob is None for h in hyps)


# ---------------------------------------------------------------- the local causal LM


def test_causal_lm_backend_on_the_tiny_model(tiny_lm):
    translator = open_translator(tiny_lm, backend="causal-lm", max_length=6, prompt="hy-mt")
    hyps = translator.translate(["Cuộc họp diễn ra tại Hà Nội.", "Thủ tướng chủ trì cuộc họp.", "Cuộc họp diễn ra tại Hà Nội."])
    assert hyps[0] is hyps[2]  # the cache: a repeated sentence is translated once
    for hyp in hyps:
        assert len(hyp.token_logprobs) <= 6 and all(lp <= 0 for lp in hyp.token_logprobs)
    info = translator.describe()
    assert info["backend"] == "causal-lm" and info["prompt"] == "hy-mt" and info["name"] == "tiny-qwen"


def test_translate_with_the_causal_lm_backend(tiny_lm, tmp_path, test_glossary, capsys):
    out = tmp_path / "out"
    # no --backend: a folder whose config names a causal LM is run as one
    code = main(["translate", str(article(tmp_path)), "--out", str(out), "--model", str(tiny_lm),
                 "--glossary", str(test_glossary), "--max-length", "6", "--quiet"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((out / "hop-bao.json").read_text(encoding="utf-8"))
    assert doc["model"]["backend"] == "causal-lm"
    for segment in (s for b in doc["blocks"] for s in b.get("segments", [])):
        assert ("empty" in segment["flags"]) == (not segment["en"].strip())


def test_a_folder_without_a_chat_template_is_one_line(tiny_lm, tmp_path):
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(tiny_lm, bare)
    (bare / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((bare / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (bare / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="no chat template"):
        open_translator(bare, backend="causal-lm")


# ---------------------------------------------------------------- what is sent, what comes back


def test_logprobs_context_prompt_and_key_reach_the_server(scripted, monkeypatch):
    server = scripted(lambda body: (200, completion("The meeting took place in Hanoi.", [-0.5, -1.5]), 0))
    monkeypatch.setenv("VI2EN_API_KEY", "sk-test")
    translator = open_translator("Qwen/Qwen3-8B", backend="openai", endpoint=server.url)
    first, second, third = translator.translate(["Câu một.", "Câu hai.", "Cuộc họp diễn ra tại Hà Nội."])
    assert third.text == "The meeting took place in Hanoi." and third.mean_logprob == -1.0
    sent = {sentence_of(r["body"]): r for r in server.requests}
    last = sent["Cuộc họp diễn ra tại Hà Nội."]
    assert last["path"] == "/v1/chat/completions" and last["authorization"] == "Bearer sk-test"
    assert last["body"]["model"] == "Qwen/Qwen3-8B" and last["body"]["logprobs"] is True and last["body"]["temperature"] == 0
    content = last["body"]["messages"][-1]["content"]
    assert content.endswith("/no_think")  # the Qwen family's prompt, chosen from the model's name
    assert "Câu một.\nCâu hai." in content  # the two sentences before it, as context
    assert "Câu" not in sent["Câu một."]["body"]["messages"][-1]["content"].split("Sentence:")[0]  # the first has none


def test_an_answer_breaking_the_rules_is_asked_for_again(scripted):
    def answer(body):
        if "rejected" in body["messages"][-1]["content"]:
            return 200, completion("The Prime Minister chaired the meeting."), 0
        return 200, completion("Translation: The Thủ tướng chaired the meeting.\nNote: Thủ tướng means Prime Minister."), 0

    server = scripted(answer)
    translator = open_translator("Qwen/Qwen3-8B", backend="openai", endpoint=server.url)
    assert translator.translate(["Thủ tướng chủ trì cuộc họp."])[0].text == "The Prime Minister chaired the meeting."
    assert len(server.requests) == 2
    # the note went with cleaning; what was left wrong is named in the reminder
    assert "rejected (Vietnamese left)" in server.requests[1]["body"]["messages"][-1]["content"]


def test_a_server_that_keeps_breaking_the_rules_leaves_the_flag_to_the_score(scripted, tmp_path, test_glossary):
    server = scripted(lambda body: (200, completion("Ban Bí thư đã họp."), 0))
    out = tmp_path / "out"
    assert main(["translate", str(article(tmp_path)), "--out", str(out), "--endpoint", server.url, "--model", "some-llm",
                 "--glossary", str(test_glossary), "--quiet"]) == 0
    segments = [s for b in json.loads((out / "hop-bao.json").read_text())["blocks"] for s in b.get("segments", [])]
    assert all("untranslated" in s["flags"] for s in segments)
    # the first segment's body was not in the answer: flagged, never silently missing
    assert "term-missing" in segments[0]["flags"]


def test_terms_reach_the_model_in_english_and_are_checked(scripted, tmp_path, test_glossary):
    # the model copies the English written into its input (terms.mask) and translates the rest
    server = scripted(lambda body: (200, completion("The Prime Minister chaired the meeting of the Secretariat." if "Secretariat" in sentence_of(body) else "It took place in Hanoi this morning."), 0))
    out = tmp_path / "out"
    assert main(["translate", str(article(tmp_path)), "--out", str(out), "--endpoint", server.url, "--model", "tencent/Hy-MT2-7B",
                 "--glossary", str(test_glossary), "--quiet"]) == 0
    doc = json.loads((out / "hop-bao.json").read_text())
    first = doc["blocks"][0]["segments"][0]
    assert first["en"] == "The Prime Minister chaired the meeting of the Secretariat."
    assert any(h["en"] == "Secretariat" and h["found"] for h in first["terms"])
    assert "term-missing" not in first["flags"] and doc["model"]["family"] == "hy-mt"
    assert "Secretariat" in server.requests[0]["body"]["messages"][-1]["content"]


def test_hy_mt_prompt_gives_renderings_in_its_own_terminology_format():
    content = prompts.family_for("tencent/Hy-MT2-1.8B").build(prompts.Request("Ban Bí thư họp.", constraints=(("Ban Bí thư", "Secretariat"),), context=("Câu trước.",)))[0]["content"]
    assert "参考下面的翻译：\nBan Bí thư 翻译成 Secretariat" in content
    assert content.index("Câu trước.") < content.index("参考下面的翻译") < content.index("Ban Bí thư họp.")
    assert content.endswith("不要额外解释：\nBan Bí thư họp.")


@pytest.mark.parametrize("answer, cleaned", [
    ('"The meeting ended."', "The meeting ended."),
    ("<think>the user wants English</think>\n\nThe meeting ended.", "The meeting ended."),
    ("Translation: The meeting ended.", "The meeting ended."),
    ("Here is the translation:\nThe meeting ended.", "The meeting ended."),
    ("The meeting ended.\n\nNote: 'kết thúc' means ended.", "The meeting ended."),
    ("“The meeting ended,” he said.", "“The meeting ended,” he said."),  # a quote inside is the translation's own
])
def test_clean_takes_away_the_wrapping_only(answer, cleaned):
    assert prompts.clean(answer) == cleaned


def test_problems_name_what_is_wrong():
    request = prompts.Request("Ông Nguyễn Văn An phát biểu.", constraints=(("Nguyễn Văn An", "Nguyễn Văn An"),))
    assert prompts.problems("Mr Nguyễn Văn An spoke.", request) == []  # a rendering kept with diacritics is allowed
    assert prompts.problems("", request) == ["empty answer"]
    assert prompts.problems("Mr An spoke.\nMr An gave a speech.", request) == ["more than one line"]
    assert prompts.problems("Mr An phát biểu.", request) == ["Vietnamese left"]
    assert prompts.problems("Note: An spoke.", request) == ["commentary"]


def test_the_cli_prompt_choices_are_the_prompt_families():
    from vi2en.cli import build_parser

    translate = next(a for a in build_parser()._subparsers._group_actions[0].choices["translate"]._actions if a.dest == "prompt")
    assert translate.choices == list(prompts.BY_NAME)


# ---------------------------------------------------------------- a server that is down, slow or broken


def test_a_server_that_is_down_is_one_line(tmp_path, test_glossary, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with pytest.raises(ModelError, match=r"cannot connect .* after 3 tries; is the server running\?"):
        quick(url).generate([prompts.Request("Câu một.")])
    code = main(["translate", str(article(tmp_path)), "--out", str(tmp_path / "out"), "--endpoint", url, "--model", "m", "--glossary", str(test_glossary), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and url in err
    assert not (tmp_path / "out" / "hop-bao.json").exists()  # nothing written half-way


def test_a_slow_server_times_out_after_retries(scripted):
    server = scripted(lambda body: (200, completion("late"), 1.0))
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"no answer within 0.3 s after 2 tries"):
        quick(server.url, timeout=0.3, retries=1).generate([prompts.Request("Câu một.")])
    assert time.monotonic() - started < 5
    assert len(server.requests) == 2


def test_a_passing_failure_is_retried(scripted):
    calls = []

    def answer(body):
        calls.append(1)
        return (503, "busy", 0) if len(calls) < 3 else (200, completion("Sentence one."), 0)

    assert quick(scripted(answer).url).generate([prompts.Request("Câu một.")])[0].text == "Sentence one."
    assert len(calls) == 3


@pytest.mark.parametrize("raw, message", [
    ('{"choices": [{"message": {"content": "cut he', "malformed JSON"),  # a truncated answer
    ("<html>Bad gateway page</html>", "malformed JSON"),
    ('{"choices": []}', "the answer has no choices"),
    ('{"choices": [{"text": "completions, not chat"}]}', r"no choices\[0\].message.content"),
    ('{"choices": [{"message": {"content": ["a", "list"]}}]}', "content is not text"),
])
def test_nonsense_from_the_server_is_one_line(scripted, raw, message):
    server = scripted(lambda body: (200, raw, 0))
    with pytest.raises(ModelError) as caught:
        quick(server.url).generate([prompts.Request("Câu một.")])
    assert re.search(message, str(caught.value))
    assert server.url in str(caught.value) and "\n" not in str(caught.value)


def test_a_server_refusing_logprobs_is_asked_without_them(scripted):
    def answer(body):
        if "logprobs" in body:
            return 400, '{"error": {"message": "logprobs is not supported"}}', 0
        return 200, completion("Sentence one."), 0

    server = scripted(answer)
    backend = quick(server.url)
    hyps = backend.generate([prompts.Request("Câu một."), prompts.Request("Câu hai.")])
    assert [h.text for h in hyps] == ["Sentence one.", "Sentence one."] and all(h.mean_logprob is None for h in hyps)
    assert "logprobs" not in server.requests[-1]["body"]


def test_a_client_error_is_one_line_with_the_servers_reason(scripted):
    server = scripted(lambda body: (404, '{"error": "model not found"}', 0))
    with pytest.raises(ModelError, match=r"HTTP 404 \(\{\"error\": \"model not found\"\}\)"):
        quick(server.url).generate([prompts.Request("Câu một.")])
    assert len(server.requests) == 1  # not retried: it will not pass
