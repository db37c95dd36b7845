"""path → Document: read, decode, mark page furniture, read metadata from the text.

(Minimal first version: UTF-8 text files. Being extended by the ingestion work.)
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable, Iterator

from .records import Document
from .settings import Settings

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm")


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


def read_document(path: str | os.PathLike, settings: Settings) -> Document:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"cannot decode: {exc}") from exc
    return Document(source_name=path.name, path=str(path), sha256=hashlib.sha256(text.encode()).hexdigest(),
                    file_sha256=hashlib.sha256(data).hexdigest(), text=text)


def body_fingerprint(document: Document) -> str:
    """Temporary: hash of the whole text (the ingestion work replaces it with the body)."""
    return hashlib.sha256(document.text.encode("utf-8")).hexdigest()
