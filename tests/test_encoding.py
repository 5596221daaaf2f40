"""Input bytes: every supported encoding reads the same text; anything else fails clearly."""

import codecs

import pytest

from qa.readers import DocumentError, read_document
from qa.readers.text import decode_bytes

TEXT = "城乡数字势差与逆差序智治\n\n一、数字势差\n\n数字势差是“二元结构”与数字挤兑相结合的产物。Digital divide.\n"


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("gb18030"),
        TEXT.encode("gbk"),
        TEXT.encode("utf-16"),  # with BOM
        TEXT.encode("utf-16-le"),
        TEXT.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gbk", "utf-16-bom", "utf-16-le", "utf-16-be"],
)
def test_encodings_decode_to_the_same_text(encoded):
    assert decode_bytes(encoded, "doc.txt") == TEXT


def test_binary_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DocumentError, match="broken.txt"):
        read_document(path, tmp_path)


def test_undecodable_bytes_are_refused_with_their_name(tmp_path):
    path = tmp_path / "garbled.md"
    path.write_bytes(b"\x81\x30\xff\xfe\xfd" * 50 + b"\x80" * 40)
    with pytest.raises(DocumentError, match="garbled.md"):
        read_document(path, tmp_path)


def test_unsupported_format_and_bad_metadata(tmp_path):
    (tmp_path / "paper.odt").write_bytes(b"PK")
    with pytest.raises(DocumentError, match="paper.odt: unsupported format"):
        read_document(tmp_path / "paper.odt", tmp_path)
    (tmp_path / "note.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "note.meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DocumentError, match="note.meta.json"):
        read_document(tmp_path / "note.txt", tmp_path)


def test_sidecar_metadata_overrides_inferred_title(tmp_path):
    (tmp_path / "note.txt").write_text(TEXT, encoding="gb18030")
    assert read_document(tmp_path / "note.txt", tmp_path).title == "城乡数字势差与逆差序智治"
    (tmp_path / "note.meta.json").write_text('{"title": "Another title", "authors": ["A. Author"]}')
    document = read_document(tmp_path / "note.txt", tmp_path)
    assert document.title == "Another title" and document.authors == ["A. Author"]
