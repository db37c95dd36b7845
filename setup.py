"""Only the optional C extension; everything else about the package is in pyproject.toml.

``pipeline._route`` (the segmenter's route through jieba's word DAG, ~6 times faster than
in Python) and ``pipeline._fts5feed`` (the writer's loop handing index tokens to SQLite
FTS5, without the GIL) are built where a C compiler is; where none is, the install goes on
without them and ``pipeline.segment`` and ``pipeline.fts`` use the same loops written in
Python.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("pipeline._route", ["pipeline/_route.c"], optional=True),
                   Extension("pipeline._fts5feed", ["pipeline/_fts5feed.c"], optional=True)])
