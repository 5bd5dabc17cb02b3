"""The `vi2en` command line."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path

from vi2en import __version__

EXAMPLES = {
    "translate": """example:
  vi2en translate ../shared/articles/nghean-2024-01-17-secretariat-briefing.txt --out out/
  vi2en translate articles/ --out out/ --model models/opus-mt-vi-en --beam 5
  vi2en translate articles/ --out out/ --tm out/vi2en-tm.sqlite   # reuse approved sentences""",
    "review": """example:
  vi2en review out/ --editor "Nguyen Van A"        # then open http://127.0.0.1:8765/
  vi2en review out/ --db team-tm.sqlite --port 9000""",
    "xliff": """example:
  vi2en xliff export out/nghean-2024-01-17-secretariat-briefing.json -o briefing.xlf
  vi2en xliff import briefing.xlf --out out/ --editor "Tran Thi B\"""",
    "tm": """example:
  vi2en tm export out/ --format tmx -o approved.tmx
  vi2en tm export out/vi2en-tm.sqlite --format tsv -o approved.tsv""",
    "publish": """example:
  vi2en publish out/ --site site/
  vi2en publish out/ --site preview/ --drafts""",
}


def _fail(message: str) -> None:
    print(f"vi2en: {message}", file=sys.stderr)


def cmd_translate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vi2en import pipeline
    from vi2en.document import DocumentError
    from vi2en.glossary import PROJECT_GLOSSARY, Glossary, GlossaryError
    from vi2en.memory import DEFAULT_NAME, Memory, TMError
    from vi2en.read import ReadError
    from vi2en.translate import ModelError, Translator, resolve_model

    started = time.perf_counter()
    inputs = pipeline.expand_inputs(args.inputs)
    if not inputs:
        _fail("no articles found in " + ", ".join(args.inputs))
        return 1
    try:
        glossary = Glossary.load(Path(args.glossary) if args.glossary else PROJECT_GLOSSARY)
        default_tm = Path(args.out) / DEFAULT_NAME
        memory = Memory(Path(args.tm)) if args.tm else Memory(default_tm) if default_tm.exists() else None
        translator = Translator(resolve_model(args.model), beam_size=args.beam, max_length=args.max_length, device=args.device)
    except (ModelError, GlossaryError, TMError) as e:
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
                pipeline.translate_document(doc, translator, glossary, bar.update, memory=memory)
            outputs = pipeline.write_outputs(doc, Path(args.out))
        except (ReadError, DocumentError, TMError, OSError) as e:
            failures += 1
            _fail(str(e))
            continue
        if not args.quiet:
            s = doc.summary
            reused = sum(seg.origin == "tm" for seg in doc.segments)
            print(f"{path}: {s['segments']} segments ({reused} from the translation memory), mean score {s['mean_score']}, {s['flagged']} flagged → {', '.join(str(o) for o in outputs)}")
    if not args.quiet:
        print(f"{len(inputs) - failures} of {len(inputs)} articles translated with {info['name']} in {time.perf_counter() - started:.1f} s")
    return 1 if failures else 0


# --- review, translation memory, XLIFF and publishing --------------------------------------


def _memory_path(args: argparse.Namespace, out_dir: Path) -> Path:
    from vi2en.memory import DEFAULT_NAME

    return Path(args.db) if args.db else out_dir / DEFAULT_NAME


def cmd_review(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from vi2en.memory import Memory, TMError
    from vi2en.review import create_app

    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        _fail(f"{out_dir}: no such folder (run vi2en translate --out {out_dir} first)")
        return 2
    try:
        memory = Memory(_memory_path(args, out_dir), create=True)
    except TMError as e:
        _fail(str(e))
        return 2
    try:
        server = make_server(args.host, args.port, create_app(out_dir, memory, args.editor or ""), threaded=True)
    except OSError as e:
        _fail(f"cannot listen on {args.host}:{args.port} ({e})")
        return 2
    print(f"Reviewing {out_dir} (translation memory {memory.path}) at http://{args.host}:{server.server_port}/ — Ctrl+C to stop", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def cmd_xliff(args: argparse.Namespace) -> int:
    from vi2en import document
    from vi2en.memory import Memory, TMError
    from vi2en.xliff import XliffError, import_xliff, render_xliff

    try:
        if args.action == "export":
            doc_path = Path(args.document)
            doc = document.load(doc_path)
            db = _memory_path(args, doc_path.parent)
            target = Path(args.output) if args.output else doc_path.with_suffix(".xlf")
            document.write_atomic(target, render_xliff(doc, Memory(db) if db.exists() else None))
            print(f"{doc_path} → {target} ({len(doc.segments)} units)")
        else:
            xlf = Path(args.document)
            out_dir = Path(args.out) if args.out else xlf.parent
            doc, changed = import_xliff(xlf, out_dir, Memory(_memory_path(args, out_dir), create=True), args.editor or getpass.getuser())
            print(f"{xlf} → {doc.stem}: {changed} of {len(doc.segments)} segments changed")
    except (document.DocumentError, TMError, XliffError) as e:
        _fail(str(e))
        return 1
    return 0


def cmd_tm(args: argparse.Namespace) -> int:
    from vi2en import document, tmx
    from vi2en.memory import DEFAULT_NAME, Memory, TMError

    path = Path(args.db)
    try:
        pairs = Memory(path / DEFAULT_NAME if path.is_dir() else path).approved_pairs()
        if args.format == "tmx":
            data = tmx.render_pairs(tmx.Pair(p["vi"], p["en"], f"{p['doc_name']}:{p['segment_id']}", f"approved by {p['editor']} {p['updated']}") for p in pairs)
        else:  # one pair a line; tabs and newlines inside a sentence become spaces so every line stays a pair
            data = "".join(f"{' '.join(p['vi'].split())}\t{' '.join(p['en'].split())}\n" for p in pairs)
        document.write_atomic(Path(args.output), data)
    except (TMError, OSError) as e:
        _fail(str(e))
        return 1
    print(f"{len(pairs)} approved sentence pairs → {args.output}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from vi2en.memory import Memory, TMError
    from vi2en.publish import PublishError, build_site

    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        _fail(f"{out_dir}: no such folder")
        return 2
    try:
        db = _memory_path(args, out_dir)
        articles, left_out = build_site(out_dir, Path(args.site), Memory(db, create=not args.db), drafts=args.drafts)
    except (TMError, PublishError, OSError) as e:
        _fail(str(e))
        return 1
    for line in left_out:
        print(f"left out: {line}", file=sys.stderr)
    drafts = sum(a.draft for a in articles)
    print(f"{len(articles)} articles published ({drafts} drafts) → {args.site}/index.html")
    return 0


def add_review_parsers(sub) -> None:
    def add(name: str, help: str):
        return sub.add_parser(name, help=help, epilog=EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter)

    p = add("review", "review and approve translations in a local web app")
    p.add_argument("out_dir", metavar="OUT_DIR", help="the folder of aligned *.json documents (vi2en translate --out)")
    p.add_argument("--db", help="translation memory file (default: OUT_DIR/vi2en-tm.sqlite, created when missing)")
    p.add_argument("--editor", help="your name, recorded with every edit (or type it in the page)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    p.set_defaults(func=cmd_review)

    p = add("xliff", "export a document to XLIFF 2.1 for a CAT tool, or import the reviewed file")
    p.add_argument("action", choices=["export", "import"])
    p.add_argument("document", metavar="FILE", help="export: OUT_DIR/ARTICLE.json; import: the .xlf file")
    p.add_argument("-o", "--output", help="export: the .xlf to write (default: beside the JSON)")
    p.add_argument("--out", help="import: the folder of the aligned documents (default: the .xlf's folder)")
    p.add_argument("--db", help="translation memory file (default: vi2en-tm.sqlite in the documents' folder)")
    p.add_argument("--editor", help="import: who reviewed the file, recorded with every change (default: your login name)")
    p.set_defaults(func=cmd_xliff)

    p = add("tm", "export the approved sentence pairs of the translation memory")
    p.add_argument("action", choices=["export"])
    p.add_argument("db", metavar="DB", help="translation memory file, or the output folder holding vi2en-tm.sqlite")
    p.add_argument("--format", choices=["tmx", "tsv"], default="tmx", help="TMX 1.4b for CAT tools, or vi<TAB>en lines (default: tmx)")
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.set_defaults(func=cmd_tm)

    p = add("publish", "build a static site of the approved articles")
    p.add_argument("out_dir", metavar="OUT_DIR", help="the folder of aligned *.json documents")
    p.add_argument("--site", required=True, help="site folder to (re)build; replaced whole, atomically")
    p.add_argument("--db", help="translation memory file (default: OUT_DIR/vi2en-tm.sqlite)")
    p.add_argument("--drafts", action="store_true", help="also publish unapproved articles, labelled as drafts")
    p.set_defaults(func=cmd_publish)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vi2en", description="Vietnamese→English translation of news articles, with glossary, quality scores and aligned bilingual output.")
    parser.add_argument("--version", action="version", version=f"vi2en {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("translate", help="translate articles into aligned JSON, HTML and TMX", epilog=EXAMPLES["translate"], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="ARTICLE", help="article files (.txt .md .html .docx), folders, globs, or - for stdin")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--model", help="model folder, or a name under models/ (default: the shipped compact model)")
    p.add_argument("--glossary", help="glossary folder (default: the project's glossary/)")
    p.add_argument("--beam", type=int, default=4, help="beam size (default: 4)")
    p.add_argument("--max-length", type=int, default=256, help="maximum output tokens per sentence (default: 256)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--tm", help="translation memory whose approved sentences are reused (default: OUT/vi2en-tm.sqlite when it exists)")
    p.set_defaults(func=cmd_translate)
    add_review_parsers(sub)
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
