"""path → Document: check, read, decode, mark page furniture, read metadata from the text.

- ``.txt`` / ``.md``: ``Document.text`` is the decoded file, unchanged (a UTF-8 BOM is
  dropped by decoding, nothing else), so every offset points into the file's text.
- ``.html`` / ``.htm``: ``Document.text`` is the article text trafilatura extracts
  (one paragraph a line); offsets point into that extracted text, not into the HTML.
  Title, date, author and canonical URL come from the page's markup, but a date the
  page states in words (发布时间:2021年04月06日) wins over the markup, and a copyright
  year (© 2019) is never taken as a publication date.
- ``.docx``, ``.pdf`` and other formats are refused with a plain reason.

Encodings: a UTF-8 BOM, then strict UTF-8 (the fast path), then a BOM (UTF-16, UTF-32),
then UTF-16 without BOM (told by its NUL bytes), then charset-normalizer, asked about
Chinese encodings first; the GBK family decodes as gb18030.
``Document.encoding`` records what was used.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

from . import furniture
from .metadata import Metadata, document_date, iso_date, read_meta_tags, read_metadata
from .records import Document
from .settings import Settings

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
CONVERT_FIRST = (".pdf", ".docx", ".doc", ".rtf", ".odt", ".wps", ".xls", ".xlsx", ".ppt", ".pptx", ".epub")
BOMS = (  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
CHINESE_ENCODINGS = ("gb18030", "big5", "utf_16_le", "utf_16_be")
# C0 controls other than tab, newline, carriage return, form feed: text files have none.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
MAX_CONTROL_SHARE = 0.001
DETECT_SAMPLE = 1 << 20  # charset detection reads at most this many bytes


class IngestError(Exception):
    """An input that cannot become a Document; carries the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def discover(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files under the given files and folders (recursively), sorted within each folder.

    A path that does not exist is yielded as is, so that reading it reports the error.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------- checks


def check_file(path: Path, settings: Settings) -> int:
    """The file's size, after checking it is a readable regular file of a supported kind
    and not larger than ``settings.max_file_bytes`` (from its size, without reading it)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise IngestError(path, "file not found") from None
    except PermissionError:
        raise IngestError(path, "permission denied: cannot look at this file") from None
    except OSError as exc:
        raise IngestError(path, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(path, "is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(path, "is not a regular file (a device, pipe or socket)")
    check_suffix(path)
    if st.st_size == 0:
        raise IngestError(path, "file is empty")
    if st.st_size > settings.max_file_bytes:
        raise IngestError(path, f"file is too large: {_mb(st.st_size)} (the limit is "
                                f"{_mb(settings.max_file_bytes)}, settings.max_file_bytes)")
    return st.st_size


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return suffix
    if suffix in CONVERT_FIRST:
        raise IngestError(path, f"{suffix} is not supported: convert to .txt or .html first")
    if not suffix:
        raise IngestError(path, f"has no file extension: supported are {', '.join(SUPPORTED_SUFFIXES)}")
    raise IngestError(path, f"unsupported file type {suffix}: supported are {', '.join(SUPPORTED_SUFFIXES)}")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def read_bytes(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes: a file that grew since it was checked is refused, not read whole."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except PermissionError:
        raise IngestError(path, "permission denied: cannot read this file") from None
    except OSError as exc:
        raise IngestError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise IngestError(path, f"file is too large: more than {_mb(limit)} (settings.max_file_bytes)")
    return data


# ---------------------------------------------------------------------------- decoding


class DecodeError(ValueError):
    """Bytes that are not text in any encoding we accept; the message is the plain reason."""


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a text file's bytes.

    >>> decode_bytes("党建引领".encode("gb18030"))
    ('党建引领', 'gb18030')
    """
    if data.startswith(codecs.BOM_UTF8):
        # UTF-8 decodes a BOM as U+FEFF: drop it by decoding as utf-8-sig
        return _bom_decoded(data, "utf-8-sig")
    try:
        text = data.decode("utf-8")  # the fast path: nearly every file
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        if "\x00" not in text:
            return _checked(text), "utf-8"
        utf8_error = None
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _bom_decoded(data, encoding)
    if b"\x00" in data:
        return _utf16_without_bom(data)
    return _detected(data, utf8_error)


def _bom_decoded(data: bytes, encoding: str) -> tuple[str, str]:
    try:
        return _checked(data.decode(encoding)), encoding
    except UnicodeDecodeError as exc:
        raise DecodeError(f"cannot decode: starts with a {encoding} byte-order mark but is not "
                          f"valid {encoding} (at byte {exc.start})") from None


def _checked(text: str) -> str:
    """Decoded text that is really text: no NUL, hardly any control characters."""
    if "\x00" in text:
        raise DecodeError("binary file: contains NUL bytes, not text")
    sample = text[:DETECT_SAMPLE]
    if sample and len(CONTROL.findall(sample)) > MAX_CONTROL_SHARE * len(sample) + 1:
        raise DecodeError("binary file: full of control characters, not text")
    if not text.strip():
        raise DecodeError("file has no text (only whitespace)")
    return text


def _utf16_without_bom(data: bytes) -> tuple[str, str]:
    """UTF-16 with no BOM puts NUL in every other byte of ASCII; anything else with NUL is binary."""
    sample = data[:DETECT_SAMPLE]
    # some CJK characters put a NUL in the other byte too (一 is 00 4E in UTF-16-LE): compare
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if len(data) % 2 == 0 and max(even, odd) >= 4 * min(even, odd):
        encoding = "utf-16-le" if odd > even else "utf-16-be"
        try:
            return _checked(data.decode(encoding)), encoding
        except (UnicodeDecodeError, DecodeError):
            pass
    raise DecodeError("binary file: contains NUL bytes, not text")


def _detected(data: bytes, utf8_error: UnicodeDecodeError | None) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    sample = data[:DETECT_SAMPLE]
    tried = []
    # Chinese encodings first: on a short text an open guess can land on Korean cp949
    # (党建引领 in GB18030 reads as 뎨쉔多쥴); anything else only when none of those fits
    matches = list(from_bytes(sample, cp_isolation=list(CHINESE_ENCODINGS))) or list(from_bytes(sample))
    for match in matches:
        encoding = codecs.lookup(match.encoding).name
        encoding = "gb18030" if encoding in GB_FAMILY else encoding
        if encoding in tried:
            continue
        tried.append(encoding)
        try:
            return _checked(data.decode(encoding)), encoding
        except (UnicodeDecodeError, DecodeError):
            continue
    where = f" (invalid byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start})" if utf8_error else ""
    raise DecodeError(f"cannot decode: not valid UTF-8{where}, and no other text encoding "
                      "(GB18030, Big5, UTF-16) fits; is it a binary file?")


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)


def decode_html(data: bytes) -> tuple[str, str]:
    """HTML bytes → (markup, encoding): the page's declared charset when it decodes, else as text."""
    m = _META_CHARSET.search(data[:4096])
    if m:
        try:
            encoding = codecs.lookup(m[1].decode("ascii")).name
            encoding = "gb18030" if encoding in GB_FAMILY else encoding
            return _checked(data.decode(encoding)), encoding
        except (LookupError, UnicodeDecodeError, DecodeError):
            pass  # a wrong declaration is common: fall back to detection
    return decode_bytes(data)


# ---------------------------------------------------------------------------- documents


def read_document(path: str | os.PathLike, settings: Settings) -> Document:
    """A checked, decoded Document with body_spans and metadata; IngestError if it cannot be."""
    path = Path(path)
    check_file(path, settings)
    data = read_bytes(path, settings.max_file_bytes)
    suffix = path.suffix.lower()
    try:
        if suffix in HTML_SUFFIXES:
            markup, encoding = decode_html(data)
        else:
            text, encoding = decode_bytes(data)
    except DecodeError as exc:
        raise IngestError(path, str(exc)) from None
    if suffix in HTML_SUFFIXES:
        text, page_meta = html_article(markup, path, settings.data_dir)
    else:
        page_meta = Metadata()
    lines = furniture.classify(text, settings.data_dir)
    meta = read_metadata(lines, data_dir=settings.data_dir)
    if suffix in HTML_SUFFIXES:
        meta = html_metadata(meta, page_meta)
    when = document_date(text, meta.published, meta.rules.get("published", ""), settings.data_dir)
    return Document(
        source_name=path.name, path=str(path), sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        file_sha256=hashlib.sha256(data).hexdigest(), text=text, encoding=encoding,
        title=meta.title, publisher=meta.publisher, published=meta.published, author=meta.author,
        url=meta.url, edition=meta.edition, issuer=meta.issuer, original_title=meta.original_title,
        body_spans=furniture.body_spans(lines),
        metadata_rules=tuple(sorted({**meta.rules, **({"date": when.rule} if when.rule else {})}.items())),
        date=when.date, date_kind=when.kind, date_precision=when.precision,
    )


def html_article(markup: str, path: Path, data_dir: Path) -> tuple[str, Metadata]:
    """The article text of a page (trafilatura) and what the page states about it.

    The returned Metadata merges, in this order of trust: dates and labels stated in the
    page's visible text (发布时间:…, 来源:…, 作者:…, on furniture or any short line), then
    its ``<meta>`` tags (author, source, og:site_name, article:published_time…, rules of
    scope ``meta``), then the markup as trafilatura reads it
    (title, author, canonical URL, site name, a date from meta tags only: its "extensive"
    search takes a © 2019 footer for a date). The patterns for the visible text are read
    from ``data_dir`` (``Settings.data_dir``).
    """
    import trafilatura

    result = trafilatura.bare_extraction(
        markup, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True})
    text = (getattr(result, "text", None) or "") if result is not None else ""
    if not text.strip():
        raise IngestError(path, "no article text found in the HTML page")
    stated = read_metadata(furniture.classify(visible_text(markup), data_dir), scopes=("label",), data_dir=data_dir,
                           short_lines=True)
    tagged = read_meta_tags(meta_tags(markup), data_dir)
    sitename = result.sitename or ""
    markup_meta = Metadata(
        title=result.title or "", author=result.author or "", url=result.url or "",
        published=iso_date(result.date or ""),
        publisher="" if "." in sitename else sitename,  # a hostname is not a publisher's name
        rules={"title": "HTML-TITLE", "author": "HTML-AUTHOR", "url": "HTML-URL", "published": "HTML-DATE",
               "publisher": "HTML-SITENAME"})
    return text, stated.merged(tagged).merged(markup_meta)


def html_metadata(from_text: Metadata, from_page: Metadata) -> Metadata:
    """Metadata of an HTML document: a date stated in the words wins over the markup's;
    the page's title (<title>, og:title, <h1>) over a headline guessed from lines."""
    stated_date = from_text.published or (from_page.published if from_page.rules.get("published", "").startswith("M-")
                                          else "")
    merged = from_page.merged(from_text)
    if stated_date:
        rule = from_text.rules.get("published") if from_text.published else from_page.rules.get("published")
        merged = replace(merged, published=stated_date, rules={**merged.rules, "published": rule})
    return merged


def meta_tags(markup: str) -> list[tuple[str, str]]:
    """(name or property, content) of each ``<meta>`` tag of a page, in page order."""
    import lxml.html

    try:
        root = lxml.html.fromstring(_XML_DECLARATION.sub("", markup, count=1))
    except Exception:  # broken markup states nothing more
        return []
    tags = []
    for meta in root.xpath("//meta[@content]"):
        name = meta.get("name") or meta.get("property") or meta.get("itemprop") or ""
        if name and (meta.get("content") or "").strip():
            tags.append((name, meta.get("content").strip()))
    return tags


def visible_text(markup: str) -> str:
    """All the words a reader sees on the page, one block element a line (scripts, styles dropped)."""
    import lxml.html

    markup = _XML_DECLARATION.sub("", markup, count=1)  # lxml refuses a str that declares an encoding
    try:
        root = lxml.html.fromstring(markup)
    except Exception:  # lxml raises several types on broken markup; then the page states nothing more
        return ""
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    # block elements only: <span>来源:</span><span>示例日报</span> must stay one line
    for block in root.xpath("//p|//div|//br|//li|//h1|//h2|//h3|//h4|//h5|//h6|//tr|//td|//dd|//dt|//section"):
        block.tail = "\n" + (block.tail or "")
    return root.text_content()


# ---------------------------------------------------------------------------- duplicates


_NOT_WORD = re.compile(r"[\W_]+")


def body_text(document: Document) -> str:
    """The body lines, joined by newlines, the headline left out."""
    lines = []
    for start, end in document.body_spans or ((0, len(document.text)),):
        for line in document.text[start:end].split("\n"):
            line = line.strip()
            if line and line != document.title:
                lines.append(line)
    return "\n".join(lines)


def body_fingerprint(document: Document) -> str:
    """A hash of the normalised body: the same article with other furniture, another
    encoding, full- or half-width punctuation, or another line layout gets the same one.

    Normalised: NFKC, only letters and digits kept (punctuation, spaces, line breaks
    dropped), the headline left out (one copy prints it, another only in <title>).
    """
    normal = _NOT_WORD.sub("", unicodedata.normalize("NFKC", body_text(document)))
    if not normal:  # no body at all: only the very same text is the same document
        return hashlib.sha256(("text\x1f" + document.text).encode("utf-8")).hexdigest()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()
