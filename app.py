"""`python app.py`: the Gradio app over `qa` — Ask, Search and Library tabs, plus `/ask` and `/search` API endpoints.

Builds or refreshes the index when `seeds/` changed, then serves on 127.0.0.1:7860 (no share
link). Host and port: `--host`/`--port`, else Gradio's GRADIO_SERVER_NAME/GRADIO_SERVER_PORT.
Offline and private: analytics off, system fonts, nothing loaded from other hosts.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

# gradio is imported where it is used: the answering processes re-import this module (they are
# spawned) and need none of it, and importing it takes seconds.
from qa.cli import format_report
from qa.config import Config
from qa.export import bibtex, ris
from qa.index import TRASH, BuildReport, Index, IndexLoadError
from qa.library import NameTaken
from qa.readers import SUPPORTED_SUFFIXES
from qa.render import (
    CSS,
    answer_html,
    hits_html,
    library_html,
    page_view_html,
    page_words,
    references_text,
    refusal_html,
)
from qa.retrieval import search_payload
from qa.service import QAService

EXAMPLES = [
    "城乡数字鸿沟有哪些表现？",
    "什么是数字势差？",
    "2020年中国数字经济占GDP的比重是多少？",
    "What are the five layers of the urban-rural digital divide?",
    "What share of China's GDP did the digital economy account for in 2020?",
]
WITHIN = "只在这些文献中（空：全部）/ Only in these documents (empty: all)"
# System fonts only: the default theme would fetch its fonts from Google.
THEME_FONTS = {"font": ["system-ui", "PingFang SC", "Noto Sans CJK SC", "sans-serif"],
               "font_mono": ["ui-monospace", "monospace"]}


# What a request can be refused for; anything else is a bug, and still no traceback reaches the page.
REFUSALS = (ValueError, IndexLoadError, OSError)


def user_errors(handler):
    """Refusals (bad question, bad top_k, a file that cannot be added) reach the user as one
    clear message, never as a traceback."""

    @functools.wraps(handler)
    def guarded(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except REFUSALS as exc:
            import gradio as gr

            raise gr.Error(str(exc)) from exc

    return guarded


def shown_in_page(*blank):
    """For the page's own views: a refusal (an empty question, say) is one message where the
    answer would be (the other outputs set to `blank`), not a pop-up and an error mark on each output."""

    def wrap(handler):
        @functools.wraps(handler)
        def guarded(*args, **kwargs):
            try:
                return handler(*args, **kwargs)
            except REFUSALS as exc:
                message = refusal_html(str(exc))
                return (message, *blank) if blank else message

        return guarded

    return wrap


def no_pages():
    import gradio as gr

    return gr.update(choices=[], value=None, visible=False)


def build_ui(service: QAService):
    """The Blocks app (a `gradio.Blocks`) over `service`."""
    import gradio as gr

    @shown_in_page("", "", "", [], no_pages(), "")
    def ask_view(question: str, doc_ids: list[str] | None = None):
        answer = service.ask(question, doc_ids=doc_ids)
        documents = service.index().documents
        cited = [documents[doc_id] for doc_id in dict.fromkeys(c.doc_id for c in answer.citations) if doc_id in documents]
        # The PDF pages the citations are on can be shown, rendered, with the quote boxed.
        pdf_citations = [c for c in answer.citations
                         if c.doc_id in documents and documents[c.doc_id].source.lower().endswith(".pdf")]
        choices = [(f"[{c.n}] {page_words(c.pages, answer.lang)}", c.n) for c in pdf_citations]
        spans = [{"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end, "lang": answer.lang}
                 for c in pdf_citations]
        pages = gr.update(choices=choices, value=None, visible=bool(choices))
        return answer_html(answer), references_text(answer), bibtex(cited), ris(cited), spans, pages, ""

    @shown_in_page()
    def page_view(n: int | None, spans: list[dict]):
        span = next((s for s in spans or [] if s["n"] == n), None)
        if span is None:
            return ""
        document = service.index().documents[span["doc_id"]]
        images = service.page_images(span["doc_id"], span["start"], span["end"])
        return page_view_html(images, document.title, span["lang"])

    @shown_in_page()
    def search_view(question: str, doc_ids: list[str] | None = None):
        return hits_html(question, service.search(question, doc_ids=doc_ids))

    def library_view():
        index, doc_ids = service.index(), service.doc_ids()
        # The filters offer the library's documents by title.
        titles = [(f"{index.documents[doc_id].title} ({doc_id})", doc_id) for doc_id in doc_ids
                  if doc_id in index.documents]
        return (library_html(index), gr.update(choices=doc_ids, value=None), gr.update(choices=titles),
                gr.update(choices=titles))

    def upload_view(paths: list[str] | None):
        outcomes, taken = [], []
        for path in paths or []:
            name = Path(path).name
            try:
                report = service.add_document(Path(path))
                outcomes.append(added_line(name, report, service.index()))
            except NameTaken:
                taken.append(path)
                outcomes.append(f"⚠ {name}: 已在文献库中，点“替换”确认替换 / already in the library: click Replace to replace it")
            except REFUSALS as exc:
                outcomes.append(f"✗ {name}: 未添加 / not added — {exc}")
        return ("\n\n".join(outcomes), *library_view(), taken, gr.update(visible=bool(taken)))

    def replace_view(taken: list[str]):
        outcomes = []
        for path in taken or []:
            name = Path(path).name
            try:
                outcomes.append(added_line(name, service.add_document(Path(path), replace=True), service.index(),
                                           replaced=True))
            except REFUSALS as exc:
                outcomes.append(f"✗ {name}: 未替换，原文献保留 / not replaced, the old version stays — {exc}")
        return ("\n\n".join(outcomes), *library_view(), [], gr.update(visible=False))

    def delete_view(doc_id: str | None):
        if not doc_id:
            return "请先选择文献 / Choose a document first", gr.update(visible=False)
        return f"删除 {doc_id}？再点“确认删除” / Delete {doc_id}? Click Confirm delete", gr.update(visible=True)

    def confirm_delete_view(doc_id: str | None):
        try:
            service.remove_document(doc_id or "")
            status = f"✓ 已删除 / removed {doc_id} (文件移至 / its file moved to seeds/{TRASH}/)"
        except REFUSALS as exc:
            status = f"✗ {exc}"
        return status, *library_view(), gr.update(visible=False)

    def reindex_view():
        try:
            report = service.refresh()
        except REFUSALS as exc:
            return f"✗ {exc}", *library_view()
        lines = [f"✓ 索引已更新 / index updated: {len(report.added)} 新增 added, {len(report.updated)} 更新 updated, "
                 f"{len(report.removed)} 移除 removed, {len(report.unchanged)} 未变 unchanged ({report.seconds:.1f} s)"]
        lines += [f"✗ {source}: 跳过 / skipped — {message}" for source, message in report.errors.items()]
        lines += [f"⚠ {source}: 保留上次索引的版本 / kept the last indexed version — {message}"
                  for source, message in report.kept.items()]
        return "\n\n".join(lines), *library_view()

    @user_errors
    def ask_api(question: str, top_k: int = 5, doc_ids: list[str] | None = None) -> dict:
        """The same object as `python -m qa ask --json`; `doc_ids` keeps to those documents."""
        return service.ask(question, top_k, doc_ids).to_dict()

    @user_errors
    def search_api(question: str, top_k: int = 5, doc_ids: list[str] | None = None) -> dict:
        """The same object as `python -m qa search --json`; `doc_ids` keeps to those documents."""
        return search_payload(question, service.search(question, top_k, doc_ids))

    # Library changes take turns (the index lock serializes them anyway); questions never wait for them.
    library_events = {"concurrency_id": "library", "concurrency_limit": 1, "api_visibility": "private"}
    with gr.Blocks(title="qa — 文献问答 / document QA", analytics_enabled=False) as ui:
        gr.Markdown("## 文献问答 · Document QA")
        with gr.Tabs():
            with gr.Tab("问答 Ask"):
                # One line: Enter asks (Gradio's multi-line box would take Enter as a new line).
                question = gr.Textbox(label="问题 / Question", lines=1, max_lines=6, elem_id="ask-question",
                                      placeholder="输入问题，按 Enter 提问 / Type a question, press Enter to ask")
                ask_within = gr.Dropdown(label=WITHIN, choices=[], multiselect=True, elem_id="ask-within")
                ask_button = gr.Button("提问 / Ask", variant="primary", elem_id="ask-button")
                answer = gr.HTML(elem_id="answer")
                references = gr.Textbox(label="引用 / References (copy)", buttons=["copy"], lines=2,
                                        elem_id="references")
                with gr.Accordion("BibTeX / RIS", open=False):
                    with gr.Row():
                        bib = gr.Textbox(label="BibTeX", buttons=["copy"], lines=4, elem_id="bibtex")
                        ris_text = gr.Textbox(label="RIS", buttons=["copy"], lines=4, elem_id="ris")
                cited_spans = gr.State([])
                page_choice = gr.Radio(label="查看原页 / Show the PDF page", choices=[], visible=False,
                                       elem_id="page-choice")
                page = gr.HTML(elem_id="page-view")
                page_choice.change(page_view, [page_choice, cited_spans], page, api_visibility="private")
                answered = [answer, references, bib, ris_text, cited_spans, page_choice, page]
                # Clicking an example asks it.
                gr.Examples(EXAMPLES, inputs=question, outputs=answered, fn=ask_view,
                            run_on_click=True, cache_examples=False, api_visibility="private")
                ask_button.click(ask_view, [question, ask_within], answered, api_visibility="private")
                question.submit(ask_view, [question, ask_within], answered, api_visibility="private")
            with gr.Tab("检索 Search"):
                query = gr.Textbox(label="检索 / Search", elem_id="search-query",
                                   placeholder="输入词语或问题，按 Enter 检索 / Words or a question, press Enter")
                search_within = gr.Dropdown(label=WITHIN, choices=[], multiselect=True, elem_id="search-within")
                search_button = gr.Button("检索 / Search", elem_id="search-button")
                results = gr.HTML(elem_id="search-results")
                search_button.click(search_view, [query, search_within], results, api_visibility="private")
                query.submit(search_view, [query, search_within], results, api_visibility="private")
            with gr.Tab("文献库 Library"):
                suffixes = ", ".join(SUPPORTED_SUFFIXES)
                upload = gr.File(label=f"添加文献 / Add documents ({suffixes}; text ≤ {service.config.max_text_mb} MB, "
                                       f"PDF/Word ≤ {service.config.max_file_mb} MB)",
                                 file_types=list(SUPPORTED_SUFFIXES), file_count="multiple", type="filepath",
                                 elem_id="upload")
                status = gr.Markdown(elem_id="library-status")
                taken = gr.State([])
                replace_button = gr.Button("替换 / Replace", visible=False, variant="stop", elem_id="replace-button")
                with gr.Row():
                    chosen = gr.Dropdown(label="文献 / Document", choices=[], elem_id="library-choice")
                    delete_button = gr.Button("删除 / Delete", elem_id="delete-button")
                    confirm_button = gr.Button("确认删除 / Confirm delete", visible=False, variant="stop",
                                               elem_id="confirm-delete")
                    reindex_button = gr.Button("重建索引 / Re-index", elem_id="reindex-button")
                library = gr.HTML(elem_id="library")
                listing = [library, chosen, ask_within, search_within]
                upload.upload(upload_view, upload, [status, *listing, taken, replace_button], **library_events)
                replace_button.click(replace_view, taken, [status, *listing, taken, replace_button], **library_events)
                delete_button.click(delete_view, chosen, [status, confirm_button], api_visibility="private")
                confirm_button.click(confirm_delete_view, chosen, [status, *listing, confirm_button], **library_events)
                reindex_button.click(reindex_view, None, [status, *listing], **library_events)
        # Every page load shows the library as it is now, not as it was when the app started.
        ui.load(library_view, None, listing, api_visibility="private")
        gr.api(ask_api, api_name="ask")
        gr.api(search_api, api_name="search")
    return ui


def added_line(name: str, report: BuildReport, index: Index, replaced: bool = False) -> str:
    """The outcome of one added file, with its own share of the index."""
    entry = index.manifest["files"].get(name, {})
    verb = "已替换 / replaced" if replaced else "已索引 / indexed"
    return f"✓ {name}: {verb} ({entry.get('chunks', 0)} 段 / chunks, {report.seconds:.1f} s)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the document QA app.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--index", type=Path, help="index folder (default index/default, env QA_INDEX)")
    parser.add_argument("--seeds", type=Path, help="documents folder (default seeds, env QA_SEEDS)")
    parser.add_argument("--store", metavar="URI",
                        help="answer from the library published to this Milvus server (env QA_STORE)")
    parser.add_argument("--auth", help="USER:PASS: ask for this login (env QA_AUTH); do this before serving beyond 127.0.0.1")
    parser.add_argument("--workers", type=int, help="questions answered at once (default 8, env QA_WORKERS)")
    parser.add_argument("--processes", type=int,
                        help="processes that answer, each with its own model (default 2, env QA_PROCESSES)")
    args = parser.parse_args(argv)
    config = Config.from_env(index=args.index, seeds=args.seeds, auth=args.auth, workers=args.workers,
                             processes=args.processes, store=args.store)
    if config.auth and ":" not in config.auth:
        parser.error("--auth takes USER:PASS")
    if config.processes < 1:
        parser.error("--processes takes a whole number from 1")
    service = QAService(config, processes=config.processes)
    import gradio as gr  # while the answering processes start

    if config.store:
        print(f"answering from the library published to {config.store}", file=sys.stderr)
        try:
            service.refresh()
        except IndexLoadError as exc:  # no server there, or no library published to it
            service.close()
            sys.exit(f"error: {exc}")
    else:
        print(f"indexing {config.seeds} into {config.index}", file=sys.stderr)
        print(format_report(service.refresh(progress=True), config.index), file=sys.stderr)
    if service.answering:
        service.answering.wait_ready()
    ui = build_ui(service).queue(default_concurrency_limit=config.workers)
    ui.launch(server_name=args.host, server_port=args.port, share=False, theme=gr.themes.Default(**THEME_FONTS),
              css=CSS, show_error=True,
              auth=tuple(config.auth.split(":", 1)) if config.auth else None,
              max_file_size=int(max(config.max_text_mb, config.max_file_mb) * 1_000_000), state_session_capacity=config.sessions)


if __name__ == "__main__":
    main()
