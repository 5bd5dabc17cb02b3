"""Translation speed, as ratios measured in one run (timings on a shared machine are noisy; ratios hold).

  startup  `vi2en --help`, importing and loading the compact model (fresh processes)
  article  the example article through `vi2en translate`'s own path (pipeline.translate_articles),
           time per stage: read/structure/segment, glossary and entities, model, enforcement
           (retry and forcing after the first pass), scoring, writing; against the bare model:
           CTranslate2 `translate_batch` with the same decoding options on the same model inputs
  terms    enforcement against the model on the term test set (tests/data/terms.tsv)
  folder   30 news-style articles composed from corpus/dev.tsv sentences (dev is not a test set)
           against the bare model on all their segments; peak memory for 30, 90 and 270 articles
  workers  the bare model at 1 batch × 1 thread, 1 × all cores, all cores × 1 (the default)
  beam     chrF++ and model time at beam 1, 2, 4 on FLORES-200 devtest and corpus/dev.tsv
  naive    a naive transformers baseline against the fast path on a model of opus-mt-vi-en's
           shape (random weights, outputs forced to about 1.1 x the source), in CPU seconds,
           with the machine's matrix-multiply limit

The naive side: transformers `generate()`, one sentence at a time, beam 4, float32; the fast
side: `vi2en.backends.open_translator` as `vi2en translate` runs it (CTranslate2 int8 on CPU,
float16 on GPU; token-budget batches of similar length; the quality score's log-probs), beam 4. Both run
at once, each in its own subprocess so its peak memory (RSS) is its own.

  python scripts/benchmark.py                                  # everything (the naive side takes minutes)
  python scripts/benchmark.py --only startup,article,terms,folder,workers,beam --beam-sentences 300
  python scripts/benchmark.py --only naive --sentences 35 --threads 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SHARED = ROOT.parent / "shared"
SAMPLE = SHARED / "data" / "eval" / "flores200-devtest" / "flores200-devtest.vi"
TRAIN = SHARED / "data" / "train"
ARTICLE = 35  # sentences in an article-sized batch
BEAM = 4
LENGTH_RATIO = 1.1
# opus-mt-vi-en's dimensions (its config.json): vocab 53,685; 6+6 layers; d_model 512; 8 heads; ffn 2048
VOCAB, D_MODEL, LAYERS, HEADS, FFN = 53_685, 512, 6, 8, 2048


def target_length(source_tokens: int) -> int:
    return max(1, round(LENGTH_RATIO * source_tokens))


def build_model(folder: Path) -> None:
    """A MarianMT model shaped like opus-mt-vi-en, with a SentencePiece tokenizer trained on training data."""
    from vi2en.marian import EOS, PAD, new_marian_model, train_sentencepiece, write_tokenizer_files
    from vi2en.models import convert, shortlist

    if (folder / "vocab.json").is_file():  # a tokenizer built earlier (or carried to another machine)
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    else:
        lines = []
        for corpus in sorted(TRAIN.iterdir()):
            for path in sorted(corpus.glob("*.vi")) + sorted(corpus.glob("*.en")):
                lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        vocab = write_tokenizer_files(train_sentencepiece(lines, folder.parent / "spm", 32_000), folder, max_length=512)
    # opus-mt-vi-en's vocabulary is larger than a tokenizer trained here: fill up to its size so the
    # output layer (the largest matrix multiply of each decoding step) has its true width
    del vocab[PAD]
    vocab = {piece: i for piece, i in vocab.items() if not piece.startswith("<filler")}
    for i in range(VOCAB - 1 - len(vocab)):
        vocab[f"<filler{i}>"] = len(vocab)
    vocab[PAD] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    assert vocab[EOS] == 0 and len(vocab) == VOCAB
    model = new_marian_model(VOCAB, d_model=D_MODEL, layers=LAYERS, heads=HEADS, ffn=FFN, max_length=512)
    model.save_pretrained(folder)
    convert(folder)
    shortlist(folder, sorted(TRAIN.iterdir()))


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ru_maxrss carries the parent's peak over
    fork and exec (a side run from a benchmark that had loaded transformers reported its 1.4 GB),
    so the memory's own high-water mark (VmHWM, new at exec) is read where there is one."""
    try:
        status = Path("/proc/self/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_naive(model_dir: Path, sentences: list[str], device: str, threads: int) -> dict:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
    tokens = 0
    started, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        for sentence in sentences:
            inputs = tokenizer(sentence, return_tensors="pt").to(device)
            length = target_length(inputs.input_ids.shape[1])
            out = model.generate(**inputs, num_beams=BEAM, min_new_tokens=length, max_new_tokens=length)
            tokens += out.shape[1] - 1  # minus the decoder start token
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu, "decoded_tokens": tokens, "peak_rss_mb": peak_rss_mb()}


def run_fast(model_dir: Path, sentences: list[str], device: str, threads: int, batch_size: int) -> dict:
    from vi2en.backends import open_translator

    translator = open_translator(model_dir, beam_size=BEAM, device=device, threads=threads, batch_size=batch_size)
    decoded = []

    def forced_lengths(sources):  # every output as long as the longest target in its batch
        length = max(target_length(len(s)) for s in sources)
        decoded.append(length * len(sources))
        return length, length

    translator.backend.length_bounds = forced_lengths
    started, cpu = time.perf_counter(), time.process_time()
    hyps = translator.translate(sentences)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    assert len(hyps) == len(sentences) and all(h.mean_logprob is not None for h in hyps)
    return {
        "seconds": seconds, "cpu_seconds": cpu_seconds, "decoded_tokens": sum(decoded),
        "peak_rss_mb": peak_rss_mb(), "backend": translator.describe(),
    }


def gemm_throughput(threads: int, device: str) -> dict:
    """GFLOP/s of the decoder's typical matrix multiply (beam × batch rows against a 512-wide layer)."""
    import torch

    torch.set_num_threads(threads)
    rows, inner, cols = 4 * ARTICLE, D_MODEL, FFN
    result = {}
    dtypes = [("float32", torch.float32)] + ([("float16", torch.float16)] if device == "cuda" else [])
    for name, dtype in dtypes:
        a, b = torch.randn(rows, inner, dtype=dtype, device=device), torch.randn(inner, cols, dtype=dtype, device=device)
        result[name] = _rate(lambda: a @ b, 2 * rows * inner * cols, device)
    try:  # int8 × int8 → int32, the kind of product CTranslate2's int8 mode runs
        a8 = torch.randint(-127, 127, (rows, inner), dtype=torch.int8, device=device)
        b8 = torch.randint(-127, 127, (inner, cols), dtype=torch.int8, device=device)
        result["int8 (torch's reference kernel, not CTranslate2's)"] = _rate(lambda: torch._int_mm(a8, b8), 2 * rows * inner * cols, device)
    except (RuntimeError, AttributeError) as e:
        result["int8"] = f"not measurable here ({str(e).splitlines()[0][:80]})"
    return result


def _rate(fn, flops: int, device: str) -> float:
    """GFLOP per second of the processor's own time on CPU (others' load does not count), wall time on GPU."""
    import torch

    clock = time.perf_counter if device == "cuda" else time.process_time
    for _ in range(5):
        fn()
    repeats, started = 0, clock()
    while clock() - started < 1.5:
        fn()
        repeats += 1
    if device == "cuda":
        torch.cuda.synchronize()
    return flops * repeats / (clock() - started) / 1e9


def flops_per_step(vocab: int = VOCAB) -> float:
    """Multiply-adds ×2 for one beam hypothesis's decoding step: self- and cross-attention projections, FFN, output layer."""
    per_layer = 4 * D_MODEL**2 + 2 * D_MODEL**2 + 2 * D_MODEL * FFN
    return 2 * (LAYERS * per_layer + D_MODEL * vocab)


# ---------------------------------------------------------------- the project's own path

COMPACT = ROOT / "models" / "compact-vi-en"
EXAMPLE = SHARED / "articles" / "nghean-2024-01-17-secretariat-briefing.txt"
TERM_SET = ROOT / "tests" / "data" / "terms.tsv"
DEV = ROOT / "corpus" / "dev.tsv"
FLORES = SHARED / "data" / "eval" / "flores200-devtest" / "flores200-devtest"
STAGES = ["read/structure/segment", "glossary and entities", "model", "enforcement", "scoring", "writing"]


class Stages:
    """Seconds per stage of `vi2en translate`'s own path, timed by wrapping the functions that do
    each stage where the pipeline calls them (nothing else changes), and the model's inputs."""

    def __init__(self):
        from vi2en import pipeline, terms, writers
        from vi2en.backends.batching import Translator
        from vi2en.entities import Entities
        from vi2en.glossary import Glossary

        self.seconds = dict.fromkeys(STAGES, 0.0)
        self.model_inputs: list[str] = []
        self._first_pass = False
        timed = [(pipeline, "build_document", "read/structure/segment"), (Glossary, "find", "glossary and entities"),
                 (Entities, "find", "glossary and entities"), (pipeline, "score_segment", "scoring"), (writers, "write_outputs", "writing")]
        for owner, name, stage in timed:
            setattr(owner, name, self._timer(getattr(owner, name), stage))
        enforce_hits, translate = terms.enforce_hits, Translator.translate

        def enforce(texts, hits, translator, progress=None):
            self._first_pass, started = True, time.perf_counter()
            done = enforce_hits(texts, hits, translator, progress)
            self.seconds["enforcement"] += time.perf_counter() - started
            return done

        def first_pass(translator, sentences, progress=None):  # the first translate of each enforce is the model's own work
            if not self._first_pass:
                return translate(translator, sentences, progress)
            self._first_pass, started = False, time.perf_counter()
            self.model_inputs += sentences
            done = translate(translator, sentences, progress)
            took = time.perf_counter() - started
            self.seconds["model"] += took
            self.seconds["enforcement"] -= took
            return done

        terms.enforce_hits, Translator.translate = enforce, first_pass

    def _timer(self, fn, stage):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        return timed

    def reset(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self.model_inputs = []


def bare_model(translator, sentences: list[str], beam: int | None = None) -> tuple[float, list[str]]:
    """CTranslate2 `translate_batch` alone, with the decoding options the backend uses, on the same
    inputs (token ids as the backend makes them) in the same batches, all handed to the model at
    once so that its workers run them side by side: the model's own time, and its English."""
    backend, folder = translator.backend, translator.folder
    language = [folder.family.target_token] if folder.family.target_token else []
    tokens = [folder.pieces(folder.encode(s)) for s in sentences]
    batches = translator.batches(tokens)
    started = time.perf_counter()
    pending = [backend.model.translate_batch(
        [tokens[i] for i in batch], target_prefix=[language] * len(batch) if language else None, beam_size=beam or backend.beam_size,
        max_decoding_length=min(backend.max_length + len(language), folder.max_input_tokens - 1),
        min_decoding_length=backend.rules["min_new_tokens"] + len(language), no_repeat_ngram_size=backend.rules["no_repeat_ngram_size"],
        repetition_penalty=backend.rules["repetition_penalty"], use_vmap=backend.shortlist, max_input_length=0, asynchronous=True,
    ) for batch in batches]
    results = {i: r.result() for batch, rs in zip(batches, pending) for i, r in zip(batch, rs)}
    seconds = time.perf_counter() - started
    return seconds, [folder.decode(folder.tokenizer.convert_tokens_to_ids(results[i].hypotheses[0][len(language):])) for i in range(len(tokens))]


def load_run():
    from vi2en.backends import DEFAULT_BEAM, open_translator
    from vi2en.entities import Entities
    from vi2en.glossary import PROJECT_GLOSSARY, Glossary

    return open_translator(COMPACT, beam_size=DEFAULT_BEAM), Glossary.load(PROJECT_GLOSSARY), Entities.load(PROJECT_GLOSSARY)


def startup_section() -> None:
    def wall(code: list[str]) -> float:
        best = []
        for _ in range(3):  # the best of three: what the machine can do, not what its neighbours did
            started = time.perf_counter()
            subprocess.run(code, capture_output=True, check=True)
            best.append(time.perf_counter() - started)
        return min(best)

    python = [sys.executable, "-c"]
    nothing = wall(python + ["pass"])
    help_ = wall([sys.executable, "-m", "vi2en", "--help"])
    load = wall(python + [f"from vi2en.backends import open_translator; open_translator({str(COMPACT)!r})"])
    imports = wall(python + ["import vi2en.cli, vi2en.pipeline, vi2en.writers, vi2en.backends.ctranslate2, ctranslate2, sentencepiece"])
    heavy = subprocess.run(python + [f"import sys; from vi2en.backends import open_translator; open_translator({str(COMPACT)!r}); print(sorted(m for m in ('transformers', 'torch', 'sacremoses') if m in sys.modules))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"start-up (best of 3 fresh processes; Python itself {nothing:.2f} s): vi2en --help {help_:.2f} s; importing the translate path {imports:.2f} s; "
          f"importing and loading the compact model {load:.2f} s; heavy modules loaded on the CTranslate2 path: {heavy}")


def best_of(repeat: int, translator, stages: Stages, run_path):
    """The path and the bare model in turn, `repeat` times: the fastest of each (what the machine
    can do when its neighbours are quiet), with the stages of the fastest path run and its result."""
    best, bare = None, float("inf")
    for _ in range(repeat):
        translator._cache.clear()
        stages.reset()
        started = time.perf_counter()
        result = run_path()
        total = time.perf_counter() - started
        if best is None or total < best[0]:
            best = (total, dict(stages.seconds), list(stages.model_inputs), result)
        bare = min(bare, bare_model(translator, stages.model_inputs)[0])
    total, stages.seconds, stages.model_inputs, result = best
    return total, bare, result


def article_section(translator, glossary, entities, stages: Stages, work: Path, repeat: int) -> None:
    from vi2en import pipeline

    total, bare, [outcome] = best_of(repeat, translator, stages, lambda: list(pipeline.translate_articles([str(EXAMPLE)], work / "article", translator, glossary, entities=entities)))
    assert not outcome.error, outcome.error
    segments = outcome.doc.segments
    print(f"example article ({len(segments)} segments, {len(stages.model_inputs)} through the model), model loaded:")
    _print_stages(stages.seconds, total, bare)
    rendered = sum(h.found for s in segments for h in s.terms)
    print(f"  terms and entities rendered: {rendered} of {sum(len(s.terms) for s in segments)}; segments flagged: {outcome.doc.summary['flagged']}")


def _print_stages(seconds: dict, total: float, bare: float, target: float = 1.5) -> None:
    print("  " + "; ".join(f"{stage} {seconds[stage]:.2f} s" for stage in STAGES) + f"; all {total:.2f} s")
    print(f"  bare model (translate_batch, same options and inputs) {bare:.2f} s: whole path {total / bare:.2f} x the bare model "
          f"(target ≤ {target:g}); the backend's model stage {seconds['model'] / bare:.2f} x (it also returns the beam's scores, runners-up and attention for the quality score); "
          f"enforcement {100 * seconds['enforcement'] / bare:.0f}% of the bare model (target ≤ 20%)")


def terms_section(translator, glossary, entities, stages: Stages, repeat: int) -> None:
    from vi2en import pipeline, terms
    from vi2en.terms import read_term_set

    rows = read_term_set(TERM_SET)

    def run():
        doc = pipeline.document_from_lines([r["vi"] for r in rows], str(TERM_SET))
        doc.date = rows[0]["date"]
        return pipeline.translate_document(doc, translator, glossary, entities=entities)

    total, bare, doc = best_of(repeat, translator, stages, run)
    report = terms.TermReport()
    for s in doc.segments:
        report.add(s.vi, s.en, s.terms, s.flags)
    print(f"term test set ({TERM_SET.relative_to(ROOT)}, {len(rows)} sentences), model loaded:")
    _print_stages(stages.seconds, total, bare)
    print(f"  glossary terms rendered {report.rendered} of {report.terms} ({report.forced} forced), flagged {report.flagged}")


def compose_articles(count: int, seed: int) -> list[str]:
    """Short news-style articles made at run time from corpus/dev.tsv's Vietnamese: a short
    sentence as the title, then three paragraphs of two or three sentences (nothing stored)."""
    import csv
    import random

    rows = list(csv.reader(DEV.read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    lines = [r[0].strip() for r in rows if r and r[0].strip()]
    # the split also holds headlines, which end in no stop: glued to the next sentence in a
    # paragraph they would make one long segment no article has
    sentences = [s for s in lines if s.endswith((".", "!", "?", "…", '"', "”", ")"))]
    titles = [s.rstrip(".") for s in lines if len(s) < 90]
    pick = random.Random(seed)
    articles = []
    for _ in range(count):
        paragraphs = [" ".join(pick.sample(sentences, pick.choice((2, 3)))) for _ in range(3)]
        articles.append("\n\n".join([pick.choice(titles)] + paragraphs) + "\n")
    return articles


def run_folder(count: int, work: Path, repeat: int) -> dict:
    """One side, in its own process for its own peak memory: a composed folder through translate_articles, then the bare model on its segments."""
    from vi2en import pipeline

    translator, glossary, entities = load_run()
    stages = Stages()
    folder = work / f"folder-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, text in enumerate(compose_articles(count, seed=17)):
        path = folder / f"composed-{n:03d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    total, bare, outcomes = best_of(repeat, translator, stages, lambda: list(pipeline.translate_articles(paths, work / f"out-{count}", translator, glossary, entities=entities)))
    assert not any(o.error for o in outcomes)
    rss = peak_rss_mb()
    return {"articles": count, "segments": sum(len(o.doc.segments) for o in outcomes), "seconds": total, "bare": bare, "peak_rss_mb": rss, "stages": stages.seconds}


def folder_section(args) -> None:
    sides = {}
    for count in (30, 90, 270):  # one group of segments, then two and six full ones: memory is the group's, not the folder's
        repeat = args.repeat if count == 30 else 1  # the larger folders are there for their memory
        done = subprocess.run([sys.executable, __file__, "--side", f"folder{count}", "--work", str(args.work), "--repeat", str(repeat)], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        sides[count] = json.loads(done.stdout.strip().splitlines()[-1])
    f = sides[30]
    print(f"folder of {f['articles']} composed articles ({f['segments']} segments), model loaded once:")
    _print_stages(f["stages"], f["seconds"], f["bare"], target=1.3)
    print(f"  throughput {f['segments'] / f['seconds']:.1f} segments/s against the bare model's {f['segments'] / f['bare']:.1f}")
    # (the larger folders repeat corpus/dev sentences, which the translator's cache serves: their times are not comparable)
    print("  memory: " + "; ".join(f"peak {g['peak_rss_mb']:.0f} MB for {g['articles']} articles ({g['segments']} segments)" for g in sides.values()))


def workers_section(limit: int) -> None:
    """The bare model on the CPU settings worth trying on this machine: batches at once × threads each."""
    import csv

    from vi2en.backends import DEFAULT_BEAM, open_translator
    from vi2en.backends.ctranslate2 import usable_cores

    cores = usable_cores()
    sentences = [r[0] for r in csv.reader(DEV.read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE) if r][:limit]
    settings = sorted({(1, 1), (1, cores), (cores, 1)} | ({(cores // 2, 2)} if cores >= 4 else set()))
    times = {}
    for workers, threads in settings:
        translator = open_translator(COMPACT, backend="ctranslate2", beam_size=DEFAULT_BEAM, cpu_workers=workers, threads=threads)
        times[workers, threads] = min(bare_model(translator, sentences)[0] for _ in range(2))
    default = (cores, 1)
    print(f"CPU settings, compact model alone (bare translate_batch, {len(sentences)} corpus/dev sentences, {cores} usable cores; best of 2):")
    print("  " + "; ".join(f"{w} batch{'es' if w > 1 else ''} at once × {t} thread{'s' if t > 1 else ''} {times[w, t]:.2f} s" + (" (the default)" if (w, t) == default else "")
                         for w, t in settings))


def beam_section(translator, limit: int) -> None:
    import csv

    from sacrebleu.metrics import CHRF

    flores = (FLORES.with_suffix(".vi").read_text(encoding="utf-8").splitlines()[:limit], FLORES.with_suffix(".en").read_text(encoding="utf-8").splitlines()[:limit])
    rows = list(csv.reader(DEV.read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))[:limit]
    sets = {"FLORES-200 devtest": flores, "corpus/dev.tsv": ([r[0] for r in rows], [r[1] for r in rows])}
    chrf = CHRF(word_order=2)
    print(f"beam size, compact model alone (bare translate_batch, no glossary), first {limit} sentences of each set:")
    print(f"  {'set':20} {'beam':>4} {'chrF++':>7} {'seconds':>8} {'vs beam 4':>9}")
    for name, (sources, refs) in sets.items():
        results = {beam: bare_model(translator, sources, beam) for beam in (1, 2, 4)}
        for beam, (seconds, hyps) in results.items():
            print(f"  {name:20} {beam:4} {chrf.corpus_score(hyps, [refs]).score:7.2f} {seconds:8.2f} {seconds / results[4][0]:8.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="startup,article,terms,folder,workers,beam,naive", help="sections to run, comma-separated (default: all)")
    parser.add_argument("--beam-sentences", type=int, default=1012, help="beam study: sentences of each set (default: all of FLORES devtest; corpus/dev has 676); workers: corpus/dev sentences")
    parser.add_argument("--sentences", type=int, default=70, help="naive: sample size (default 70 = two article-sized batches)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch-size", type=int, default=16, help="naive, fast path: sentences per batch at most (default 16)")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "benchmark", help="where the benchmark model is built once and kept, and outputs are written")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="naive: sentences to translate (default: FLORES-200 devtest, Vietnamese)")
    parser.add_argument("--repeat", type=int, default=3, help="article, terms, folder: runs of the path and of the bare model, in turn; the fastest of each counts (default 3)")
    parser.add_argument("--side", help=argparse.SUPPRESS)  # one side, in a subprocess
    args = parser.parse_args()

    if args.side and args.side.startswith("folder"):
        print(json.dumps(run_folder(int(args.side[len("folder"):]), args.work, args.repeat)))
        return 0
    if args.side:
        model_dir = args.work / "opus-mt-shaped"
        sentences = args.sample.read_text(encoding="utf-8").splitlines()[: args.sentences]
        if args.side == "naive":
            result = run_naive(model_dir, sentences, args.device, args.threads)
        else:
            result = run_fast(model_dir, sentences, args.device, args.threads, args.batch_size)
        print(json.dumps(result))
        return 0
    sections = args.only.split(",")
    args.work.mkdir(parents=True, exist_ok=True)
    if "startup" in sections:
        startup_section()
    if {"article", "terms", "beam"} & set(sections):
        translator, glossary, entities = load_run()
        stages = Stages()
        if "article" in sections:
            article_section(translator, glossary, entities, stages, args.work, args.repeat)
        if "terms" in sections:
            terms_section(translator, glossary, entities, stages, args.repeat)
        if "beam" in sections:
            beam_section(translator, args.beam_sentences)
    if "folder" in sections:
        folder_section(args)
    if "workers" in sections:
        workers_section(args.beam_sentences)
    if "naive" in sections:
        return naive_section(args)
    return 0


def naive_section(args) -> int:
    model_dir = args.work / "opus-mt-shaped"
    sentences = args.sample.read_text(encoding="utf-8").splitlines()[: args.sentences]
    if not (model_dir / "ct2-int8" / "model.bin").is_file():
        print(f"building the benchmark model in {model_dir} (once) …", file=sys.stderr)
        build_model(model_dir)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    source_tokens = [len(tokenizer(s).input_ids) for s in sentences]
    useful = sum(target_length(n) for n in source_tokens)

    def command(side: str, sentences: int) -> list[str]:
        return [sys.executable, __file__, "--sentences", str(sentences), "--threads", str(args.threads), "--device", args.device,
                "--batch-size", str(args.batch_size), "--work", str(args.work), "--sample", str(args.sample), "--side", side]

    # both sides at once, so they share whatever else the machine is doing; each in its own process for its own peak memory
    print("running the naive and the fast side …", file=sys.stderr)
    running = {side: subprocess.Popen(command(side, args.sentences), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for side in ("naive", "fast")}
    sides = {}
    for side, process in running.items():
        out, err = process.communicate()
        if process.returncode != 0:
            print(err, file=sys.stderr)
            return 1
        sides[side] = json.loads(out.strip().splitlines()[-1])
    # then the first 35 sentences alone, on otherwise idle cores: the wall time a desk waits for an article
    print("timing an article-sized batch on its own …", file=sys.stderr)
    done = subprocess.run(command("fast", ARTICLE), capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    article = json.loads(done.stdout.strip().splitlines()[-1])
    gemm = gemm_throughput(args.threads, args.device)

    naive, fast = sides["naive"], sides["fast"]
    flops = fast["decoded_tokens"] * BEAM * flops_per_step()
    achieved = flops / fast["cpu_seconds"] / 1e9
    print(f"model: MarianMT shaped like opus-mt-vi-en (vocab {VOCAB}, {LAYERS}+{LAYERS} layers, d_model {D_MODEL}, {HEADS} heads, ffn {FFN}), random weights")
    print(f"sample: {len(sentences)} FLORES-200 devtest sentences, {sum(source_tokens)} source tokens, {useful} target tokens (≈{LENGTH_RATIO} × source, forced); beam {BEAM}; device {args.device}, {args.threads} thread(s) per side")
    shortlist = ", vocabulary shortlist" if fast["backend"].get("shortlist") else ""
    print(f"fast path: {fast['backend']['backend']} {fast['backend'].get('compute_type', '')}{shortlist}, batches of at most {args.batch_size} sentences")
    print("CPU seconds are the measure (wall seconds depend on what else the machine runs); tokens/s = target tokens per CPU second")
    print(f"{'':8} {'CPU s':>8} {'wall s':>8} {'tokens/s':>9} {'CPU s/article(35)':>18} {'peak RSS':>10}")
    for name, side in sides.items():
        per_article = side["cpu_seconds"] * ARTICLE / len(sentences)
        print(f"{name:8} {side['cpu_seconds']:8.1f} {side['seconds']:8.1f} {useful / side['cpu_seconds']:9.1f} {per_article:18.2f} {side['peak_rss_mb']:8.0f} MB")
    print(f"article-sized batch (the first {ARTICLE} sentences) on the fast path alone, model loaded: {article['seconds']:.2f} s wall, {article['cpu_seconds']:.2f} CPU s, {article['peak_rss_mb']:.0f} MB peak")
    print(f"speed-up: {naive['cpu_seconds'] / fast['cpu_seconds']:.1f}× in CPU time, {naive['seconds'] / fast['seconds']:.1f}× in wall time (same {useful} target tokens; the fast path decoded {fast['decoded_tokens']}: forced lengths run each batch to its longest target)")
    print(f"memory: fast path {fast['peak_rss_mb']:.0f} MB vs naive {naive['peak_rss_mb']:.0f} MB ({naive['peak_rss_mb'] / fast['peak_rss_mb']:.1f}× less)")
    rates = ", ".join(f"{k} {v:.1f} GFLOP/s" if isinstance(v, float) else f"{k} {v}" for k, v in gemm.items())
    print(f"matrix multiply ({4 * ARTICLE}×{D_MODEL} · {D_MODEL}×{FFN}, {args.threads} thread(s), per CPU second): {rates}")
    best = max(v for v in gemm.values() if isinstance(v, float))
    print(f"fast path decoder work: {achieved:.1f} GFLOP per CPU second = {100 * achieved / best:.0f}% of the best measured matrix multiply ({flops / 1e9:.0f} GFLOP for the beam search's decoder steps over the full vocabulary)")
    floor = flops / best / 1e9 * ARTICLE / len(sentences)
    layers_only = floor * flops_per_step(0) / flops_per_step()
    print(f"limit: at that matrix-multiply rate an article's decoder steps alone take ≥ {floor:.1f} CPU s (≥ {floor / args.threads:.1f} s on {args.threads} idle cores) "
          f"over the full vocabulary, and ≥ {layers_only:.1f} CPU s (≥ {layers_only / args.threads:.1f} s) with no output layer at all, a shortlist's best case")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
