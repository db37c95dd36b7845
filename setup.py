"""Only the optional C extension; everything else about the package is in pyproject.toml.

``pipeline._route`` (the segmenter's route through jieba's word DAG, ~6 times faster than
in Python) is built where a C compiler is; where none is, the install goes on without it
and ``pipeline.segment`` uses the same route written in Python.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("pipeline._route", ["pipeline/_route.c"], optional=True)])
