"""`python app.py`: the Gradio app over `qa` — Ask, Search and Library tabs, plus `/ask` and `/search` API endpoints.

Builds or refreshes the index when `seeds/` changed, then serves on 127.0.0.1:7860 (no share
link). Host and port: `--host`/`--port`, else Gradio's GRADIO_SERVER_NAME/GRADIO_SERVER_PORT.
Offline and private: analytics off, system fonts, nothing loaded from other hosts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr  # noqa: E402

from qa.config import Config  # noqa: E402
from qa.reading import DocumentError  # noqa: E402
from qa.render import CSS, answer_html, hits_html, library_html, references_text  # noqa: E402
from qa.retrieval import search_payload  # noqa: E402
from qa.service import QAService  # noqa: E402

EXAMPLES = [
    "城乡数字鸿沟有哪些表现？",
    "什么是数字势差？",
    "2020年中国数字经济占GDP的比重是多少？",
    "What are the five layers of the urban-rural digital divide?",
    "What share of China's GDP did the digital economy account for in 2020?",
]
# System fonts only: the default theme would fetch its fonts from Google.
THEME = gr.themes.Default(font=["system-ui", "PingFang SC", "Noto Sans CJK SC", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


def build_ui(service: QAService) -> gr.Blocks:
    def ask_view(question: str):
        if not question or not question.strip():
            raise gr.Error("请输入问题 / Please type a question")
        answer = service.ask(question)
        return answer_html(answer), references_text(answer)

    def search_view(question: str):
        if not question or not question.strip():
            raise gr.Error("请输入检索词 / Please type a query")
        return hits_html(question, service.search(question))

    def add_view(path: str | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio injects it)
        if not path:
            raise gr.Error("Choose a file first")
        progress(0, desc="indexing")
        try:
            report = service.add_document(Path(path))
        except DocumentError as exc:
            raise gr.Error(str(exc)) from exc
        status = f"{Path(path).name}: indexed ({report.chunks} chunks in the index, {report.seconds:.1f} s)"
        return status, library_html(service.documents())

    def ask_api(question: str, top_k: int = 5) -> dict:
        """The same object as `python -m qa ask --json`."""
        return service.ask(question, top_k).to_dict()

    def search_api(question: str, top_k: int = 5) -> dict:
        """The same object as `python -m qa search --json`."""
        return search_payload(question, service.search(question, top_k))

    with gr.Blocks(title="qa — 文献问答 / document QA", analytics_enabled=False) as ui:
        gr.Markdown("## 文献问答 · Document QA")
        with gr.Tabs():
            with gr.Tab("问答 Ask"):
                question = gr.Textbox(label="问题 / Question", lines=2, elem_id="ask-question")
                ask_button = gr.Button("提问 / Ask", variant="primary", elem_id="ask-button")
                gr.Examples(EXAMPLES, inputs=question)
                answer = gr.HTML(elem_id="answer")
                references = gr.Textbox(label="引用 / References (copy)", buttons=["copy"], lines=2,
                                        elem_id="references")
                ask_button.click(ask_view, question, [answer, references], api_visibility="private")
                question.submit(ask_view, question, [answer, references], api_visibility="private")
            with gr.Tab("检索 Search"):
                query = gr.Textbox(label="检索 / Search", elem_id="search-query")
                search_button = gr.Button("检索 / Search", elem_id="search-button")
                results = gr.HTML(elem_id="search-results")
                search_button.click(search_view, query, results, api_visibility="private")
                query.submit(search_view, query, results, api_visibility="private")
            with gr.Tab("文献库 Library"):
                library = gr.HTML(library_html(service.documents()), elem_id="library")
                upload = gr.File(label="添加文献 / Add a document (.txt, .md)", file_types=[".txt", ".md"],
                                 type="filepath", elem_id="upload")
                status = gr.Markdown()
                upload.upload(add_view, upload, [status, library], api_visibility="private")
        gr.api(ask_api, api_name="ask")
        gr.api(search_api, api_name="search")
    return ui


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the document QA app.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--index", type=Path, help="index folder (default index/default, env QA_INDEX)")
    parser.add_argument("--seeds", type=Path, help="documents folder (default seeds, env QA_SEEDS)")
    args = parser.parse_args(argv)
    service = QAService(Config.from_env(index=args.index, seeds=args.seeds))
    print(f"indexing {service.config.seeds} into {service.config.index}", file=sys.stderr)
    report = service.refresh(progress=True)
    print(f"index ready: {report.chunks} chunks ({len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.unchanged)} unchanged)", file=sys.stderr)
    build_ui(service).launch(server_name=args.host, server_port=args.port, share=False, theme=THEME, css=CSS,
                             show_error=True)


if __name__ == "__main__":
    main()
