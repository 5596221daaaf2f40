"""`python -m qa`: index, search and ask from the command line. Parsing and printing only."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from qa.answer import Answer, ask
from qa.config import MAX_TOP_K, Config, checked_top_k
from qa.document import PageSpan
from qa.embedding import PRECISIONS, Embedder, ModelError, load_reranker
from qa.evaluation import Scores, by_language, evaluate, load_questions
from qa.export import bibtex, ris
from qa.index import TRASH, BuildReport, Index, IndexDamaged, IndexLoadError
from qa.library import Library, entries
from qa.questions import QuestionError
from qa.render import page_words
from qa.retrieval import METHODS, Hit, Retriever, search_payload
from qa.store import library_name, open_store, publish


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, help="index folder (default index/default, env QA_INDEX)")
    common.add_argument("--model", help="embedding model name or folder (default multilingual-e5-small, env QA_MODEL)")
    common.add_argument("--seeds", type=Path, help="documents folder (default seeds, env QA_SEEDS)")
    common.add_argument("--store", metavar="URI",
                        help="a Milvus server (http://HOST:19530) to publish the index to and answer from (env QA_STORE)")
    common.add_argument("--precision", choices=PRECISIONS,
                        help="passage embedding (default auto: bfloat16 where the CPU has AMX, else float32; int8 indexes "
                             "faster and moves answers a little, see docs/cli.md; env QA_PRECISION)")

    top = argparse.ArgumentParser(prog="python -m qa", description="Offline bilingual search and QA over seeds/.")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("index", parents=[common], help="build or update the index (repairs a damaged one)")
    add = commands.add_parser("add", parents=[common], help="add a document to the library and index it")
    add.add_argument("file", type=Path, help="a document (.pdf .docx .html .md .txt); it is copied into seeds/")
    add.add_argument("--replace", action="store_true", help="replace the document of the same name")
    remove = commands.add_parser("remove", parents=[common], help="take a document out of the library")
    remove.add_argument("doc_id", help="its doc_id or file name (see `list`); the file moves to seeds/.removed/")
    listing = commands.add_parser("list", parents=[common], help="the documents in the index")
    listing.add_argument("--json", action="store_true", help="print JSON")
    export = commands.add_parser("export", parents=[common], help="the library's references as BibTeX or RIS")
    export.add_argument("format", choices=EXPORTS, help="bibtex or ris")
    export.add_argument("--doc", action="append", dest="doc_ids", metavar="DOC_ID", help="only this document; repeat")
    ranking = argparse.ArgumentParser(add_help=False)
    ranking.add_argument("--method", choices=METHODS, help="ranking: hybrid (default) or a baseline (env QA_METHOD)")
    ranking.add_argument("--reranker", help="a sentence-transformers CrossEncoder name or folder (env QA_RERANKER)")
    for name, helptext in (("search", "ranked passages for a question"), ("ask", "a cited answer to a question")):
        command = commands.add_parser(name, parents=[common, ranking], help=helptext)
        command.add_argument("question", nargs="?", help="the question (or use --queries)")
        command.add_argument("--queries", help="file with one question per line ('-' for stdin); prints JSON lines")
        command.add_argument("--top-k", type=top_k_argument, help=f"number of passages, 1–{MAX_TOP_K} (default 5, env QA_TOP_K)")
        command.add_argument("--json", action="store_true", help="print JSON")
        command.add_argument("--doc", action="append", dest="doc_ids", metavar="DOC_ID",
                             help="only this document (see `list`); repeat for several")
    evaluation = commands.add_parser("eval", parents=[common, ranking], help="measure retrieval and answers on questions")
    evaluation.add_argument("questions", type=Path, help='JSON lines: {"id","q","evidence":[...],"page"?,"answer"?}')
    evaluation.add_argument("--corpus", type=Path, help="index this folder of documents (into index/eval-NAME) and use it")
    evaluation.add_argument("--details", type=Path, help="per-question results file (default eval-QUESTIONS.jsonl)")
    return top


EXPORTS = {"bibtex": bibtex, "ris": ris}


def top_k_argument(value: str) -> int:
    try:
        return checked_top_k(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    corpus = getattr(args, "corpus", None)
    try:
        config = Config.from_env(
            index=args.index or (Path("index") / f"eval-{corpus.resolve().name}" if corpus else None),
            model=args.model, seeds=corpus or args.seeds, top_k=getattr(args, "top_k", None),
            method=getattr(args, "method", None), reranker=getattr(args, "reranker", None), precision=args.precision,
            store=args.store,
        )
        if args.command == "index":
            return run_index(config)
        if args.command == "list":
            return run_list(config, args.json)
        if args.command == "export":
            return run_export(config, args.format, args.doc_ids)
        if args.command in ("add", "remove"):
            return run_change(config, args)
        if args.command == "eval":
            return run_eval(config, args.questions, args.details, rebuild=corpus is not None)
        questions = read_questions(args)
        retriever = open_retriever(config)
        for question in questions:
            try:
                if args.command == "search":
                    hits = retriever.search(question, config.top_k, args.doc_ids)
                    emit(search_payload(question, hits), args, format_hits(question, hits))
                else:
                    answer = ask(retriever, question, config.top_k, args.doc_ids)
                    emit(answer.to_dict(), args, format_answer(answer))
            except QuestionError as exc:
                if not args.queries:
                    raise
                emit({"query": question, "error": str(exc)}, args, "")  # one bad line does not stop a batch
    except (ModelError, IndexLoadError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def read_questions(args) -> list[str]:
    if args.queries:
        args.json = True  # batch output is always one JSON object per line
        lines = sys.stdin.read() if args.queries == "-" else Path(args.queries).read_text(encoding="utf-8")
        return [line.strip() for line in lines.splitlines() if line.strip()]
    if not args.question or not args.question.strip():
        raise ValueError("give a question, or --queries FILE")
    return [args.question]


def library(config: Config) -> Library:
    """The library of `config`; its model is loaded only once an index is built."""
    return Library(config.seeds, config.index, lambda: Embedder.from_config(config), config.chunk_chars,
                   config.max_text_mb, config.max_file_mb)


def run_index(config: Config) -> int:
    index, report = library(config).refresh(progress=True)
    print(format_report(report, config.index))
    print_published(index, config)
    return 1 if report.errors and not report.chunks else 0


def print_published(index: Index, config: Config) -> None:
    if build := publish(index, config):
        print(f"published to {config.store} as library {library_name(config.index)} (build {build})")


def run_change(config: Config, args) -> int:
    """`add` and `remove`: exit 0 with the change made, or a `LibraryError` (exit 2) with nothing changed."""
    if args.command == "add":
        index, report = library(config).add(args.file, replace=args.replace, progress=True)
        verb = "replaced" if report.updated else "added"
        print(f"{verb} {args.file.name}")
    else:
        index, report = library(config).remove(args.doc_id, progress=True)
        print(f"removed {', '.join(report.removed)} (its file is in {config.seeds / TRASH})")
    print(format_report(report, config.index))
    print_published(index, config)
    return 0


def run_list(config: Config, as_json: bool) -> int:
    rows = entries(open_store(config))
    if as_json:
        print(json.dumps([row.to_dict() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        pages = (f"{row.pages} p." + (f" ({row.ocr_pages} OCR)" if row.ocr_pages else "")) if row.pages else "no pages"
        print(f"{row.doc_id}\t{row.format}\t{row.lang}\t{pages}\t{row.chunks} chunks\t{row.title}")
    print(f"{len(rows)} documents in {config.store or config.index}")
    return 0


def run_export(config: Config, form: str, doc_ids: list[str] | None) -> int:
    documents = open_store(config).documents
    unknown = sorted(set(doc_ids or ()) - set(documents))
    if unknown:
        raise ValueError(f"no such document in the library: {', '.join(unknown)}")
    chosen = [documents[doc_id] for doc_id in (doc_ids or sorted(documents))]
    print(EXPORTS[form](chosen), end="")
    return 0


def run_eval(config: Config, questions_file: Path, details: Path | None, rebuild: bool) -> int:
    questions = load_questions(questions_file)
    retriever = open_retriever(config, rebuild=rebuild)
    with tqdm(total=len(questions), desc="questions", file=sys.stderr) as bar:
        outcomes = evaluate(retriever, questions, progress=bar.update)
    details = details or Path(f"eval-{questions_file.stem}.jsonl")
    with details.open("w", encoding="utf-8") as handle:
        for outcome in outcomes:
            handle.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
    print(format_scores(by_language(outcomes)))
    print(f"per-question results: {details}")
    return 0


def format_scores(table: dict[str, Scores]) -> str:
    lines = ["| lang | n | Hit@1 | Hit@5 | MRR@10 | page acc. | answer-hit | citation precision | 1st sentence "
             "| abstained |", "|---|---|---|---|---|---|---|---|---|---|"]
    for lang, s in table.items():
        page = "—" if s.page_accuracy is None else f"{s.page_accuracy:.3f}"
        precision = "—" if s.citation_precision is None else f"{s.citation_precision:.3f}"
        lines.append(f"| {lang} | {s.count} | {s.hit1:.3f} | {s.hit5:.3f} | {s.mrr10:.3f} | {page} | "
                     f"{s.answer_hit:.3f} | {precision} | {s.first_sentence_hit:.3f} | {s.abstained:.3f} |")
    return "\n".join(lines)


def open_retriever(config: Config, rebuild: bool = False) -> Retriever:
    """Load the index, building it first when it does not exist yet (or updating it, with `rebuild`);
    with a store, the library published there."""
    embedder = Embedder.from_config(config)
    if config.store and not rebuild:
        return Retriever.from_config(open_store(config), embedder, config, reranker=load_reranker(config.reranker))
    index = None
    if not rebuild and (config.index / "manifest.json").exists():
        try:
            index = Index.load(config.index)
        except IndexDamaged:
            pass  # rebuilt below; the build's report names the damage
    elif not rebuild:
        print(f"no index at {config.index}: building it from {config.seeds}", file=sys.stderr)
    if index is None:
        index, report = Library(config.seeds, config.index, embedder, config.chunk_chars,
                                config.max_text_mb, config.max_file_mb).refresh(progress=True)
        print(format_report(report, config.index), file=sys.stderr)
    return Retriever.from_config(index, embedder, config, reranker=load_reranker(config.reranker))


def emit(payload: dict, args, text: str) -> None:
    print(json.dumps(payload, ensure_ascii=False) if args.json else text, flush=True)


def format_report(report: BuildReport, folder: Path) -> str:
    lines = [
        f"index {folder}: {report.chunks} chunks in {report.seconds:.1f} s "
        f"({len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
        f"{f', {len(report.kept)} kept from the last build' if report.kept else ''})"
    ]
    if report.repaired:
        lines.insert(0, f"{report.repaired}; rebuilt the index")
    lines += [f"  skipped {source}: {_reason(source, message)}" for source, message in report.errors.items()]
    lines += [f"  kept the last indexed version of {source}: {_reason(source, message)}"
              for source, message in report.kept.items()]
    return "\n".join(lines)


def _reason(source: str, message: str) -> str:
    """A reader's message without the file name it starts with (the line names the file)."""
    return message.removeprefix(f"{source}: ")


def format_location(doc_title: str, section: tuple[str, ...] | list[str], page: str) -> str:
    trail = " › ".join(section)
    return f"{doc_title}{' — ' + trail if trail else ''}, {page}"


def format_hits(question: str, hits: list[Hit]) -> str:
    if not hits:
        return "no passages found"
    out = []
    for hit in hits:
        chunk = hit.chunk
        pages = page_words(hit.pages or PageSpan(chunk.page_start, chunk.page_end, None, None), "en")
        text = chunk.text.replace("\n", " ")
        out.append(f"{hit.rank}. [{hit.score:.3f}] {format_location(hit.doc_title, chunk.section, pages)}\n"
                   f"   {text[:220]}{'…' if len(text) > 220 else ''}")
    return "\n".join(out)


def format_answer(answer: Answer) -> str:
    notes = "".join(f"({note})\n" for note in answer.notes)
    if answer.abstained:
        closest = format_hits(answer.question, answer.hits[:3]) if answer.hits else ""
        return f"{notes}{answer.answer}\n\n{closest}".rstrip()
    out = [f"{notes}{answer.answer}", ""]
    for citation in answer.citations:
        out.append(f"[{citation.n}] {format_location(citation.doc_title, citation.section, page_words(citation.pages, 'en'))}")
        out.append(f"    “{citation.quote}”")
        if citation.glosses:
            out.append("    glosses, not a translation: " + " | ".join(f"{g.term} = {g.gloss}" for g in citation.glosses))
    return "\n".join(out).rstrip()
