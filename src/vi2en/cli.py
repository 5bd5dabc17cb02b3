"""The `vi2en` command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from vi2en import __version__

EXAMPLES = {
    "translate": """example:
  vi2en translate ../shared/articles/nghean-2024-01-17-secretariat-briefing.txt --out out/
  vi2en translate articles/ --out out/ --model models/opus-mt-vi-en --beam 5""",
    "models": """examples:
  vi2en models list
  vi2en models pull opus-mt-vi-en
  vi2en models convert opus-mt-vi-en        # CTranslate2 int8 copy: used automatically, several times faster
  vi2en models info models/opus-mt-vi-en""",
}


def _fail(message: str) -> None:
    print(f"vi2en: {message}", file=sys.stderr)


def cmd_translate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vi2en import pipeline
    from vi2en.document import DocumentError
    from vi2en.glossary import PROJECT_GLOSSARY, Glossary, GlossaryError
    from vi2en.read import ReadError
    from vi2en.models import choose_model
    from vi2en.translate import ModelError, load_translator

    started = time.perf_counter()
    inputs = pipeline.expand_inputs(args.inputs)
    if not inputs:
        _fail("no articles found in " + ", ".join(args.inputs))
        return 1
    try:
        glossary = Glossary.load(Path(args.glossary) if args.glossary else PROJECT_GLOSSARY)
        model_dir, selected_by = choose_model(args.model)
        translator = load_translator(model_dir, backend=args.backend, beam_size=args.beam, max_length=args.max_length, device=args.device)
        translator.selected_by = selected_by
    except (ModelError, GlossaryError) as e:
        _fail(str(e))
        return 2
    info = translator.describe()
    if info.get("notice") and not args.quiet:
        print(info["notice"], file=sys.stderr)
    failures = 0
    for path in inputs:
        try:
            doc = pipeline.build_document(path)
            total = len(doc.segments)
            with tqdm(total=total, unit="sent", desc=Path(path).name, disable=args.quiet or total <= 5, file=sys.stderr, leave=False) as bar:
                pipeline.translate_document(doc, translator, glossary, bar.update)
            outputs = pipeline.write_outputs(doc, Path(args.out))
        except (ReadError, DocumentError, OSError) as e:
            failures += 1
            _fail(str(e))
            continue
        if not args.quiet:
            s = doc.summary
            print(f"{path}: {s['segments']} segments, mean score {s['mean_score']}, {s['flagged']} flagged → {', '.join(str(o) for o in outputs)}")
    if not args.quiet:
        print(f"{len(inputs) - failures} of {len(inputs)} articles translated with {info['name']} in {time.perf_counter() - started:.1f} s")
    return 1 if failures else 0


# --- vi2en models ---------------------------------------------------------------------------


def cmd_models_list(args: argparse.Namespace) -> int:
    from vi2en import models

    registry = models.load_registry()
    print(f"{'name':26} {'licence':18} {'size':>8}  {'installed':9}  note")
    for entry in registry:
        folder = entry.folder()
        state = ("yes+ct2" if models.has_ct2_copy(folder) else "yes") if models.is_installed(folder) else "no"
        size = f"{entry.size_mb / 1000:.1f} GB" if entry.size_mb >= 1000 else f"{entry.size_mb} MB" if entry.size_mb else "-"
        licence = entry.licence + ("" if entry.commercial else " (NC)")
        print(f"{entry.name:26} {licence:18} {size:>8}  {state:9}  {entry.note}")
    return 0


def cmd_models_pull(args: argparse.Namespace) -> int:
    from vi2en import models

    entry = models.find_entry(args.name, models.load_registry())
    if entry.notice:
        print(f"licence: {entry.licence}. {entry.notice}", file=sys.stderr)
    print(f"downloading {entry.hf_id} ({entry.size_mb} MB) into {entry.folder()} …", file=sys.stderr)
    folder = models.pull(entry)
    print(f"{entry.name}: installed in {folder}")
    return 0


def cmd_models_convert(args: argparse.Namespace) -> int:
    from vi2en import models

    folder = models.choose_model(args.model)[0]
    print(f"converting {folder} to CTranslate2 int8 …", file=sys.stderr)
    print(f"{folder}: CTranslate2 copy written to {models.convert(folder, force=args.force)}")
    return 0


def cmd_models_info(args: argparse.Namespace) -> int:
    from vi2en import models

    for key, value in models.info(Path(args.path)).items():
        print(f"{key:13} {value if value is not None else '-'}")
    return 0


def run_models(args: argparse.Namespace) -> int:
    from vi2en.translate import ModelError

    try:
        return args.models_func(args)
    except ModelError as e:
        _fail(str(e))
        return 2


def add_models_parser(sub) -> None:
    p = sub.add_parser("models", help="list, download, convert and describe translation models", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=run_models)
    models_sub = p.add_subparsers(dest="models_command", required=True)
    q = models_sub.add_parser("list", help="supported models with licence, size and whether installed", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.set_defaults(models_func=cmd_models_list)
    q = models_sub.add_parser("pull", help="download a registry model into models/NAME (resumable)", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("name", help="a name from `vi2en models list`")
    q.set_defaults(models_func=cmd_models_pull)
    q = models_sub.add_parser("convert", help="make a CTranslate2 int8 copy (models/NAME/ct2-int8/)", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("model", metavar="NAME|PATH", help="a model name under models/ or a model folder")
    q.add_argument("--force", action="store_true", help="replace an existing copy")
    q.set_defaults(models_func=cmd_models_convert)
    q = models_sub.add_parser("info", help="describe a local model folder", epilog=EXAMPLES["models"], formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("path", help="model folder")
    q.set_defaults(models_func=cmd_models_info)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vi2en", description="Vietnamese→English translation of news articles, with glossary, quality scores and aligned bilingual output.")
    parser.add_argument("--version", action="version", version=f"vi2en {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("translate", help="translate articles into aligned JSON, HTML and TMX", epilog=EXAMPLES["translate"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="ARTICLE", help="article files (.txt .md .html .docx), folders, globs, or - for stdin")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--model", help="model folder, or a name under models/ (default: $VI2EN_MODEL, the config file's model, else the first installed model in models/registry.toml)")
    p.add_argument("--glossary", help="glossary folder (default: the project's glossary/)")
    p.add_argument("--beam", type=int, default=4, help="beam size (default: 4)")
    p.add_argument("--max-length", type=int, default=256, help="maximum output tokens per sentence (default: 256)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    p.add_argument("--backend", choices=["auto", "transformers", "ctranslate2"], default="auto", help="default: ctranslate2 when the model has a converted copy, else transformers")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_translate)
    add_models_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
