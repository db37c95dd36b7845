"""One options object, built where a run starts (CLI or flow) and passed down."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


def user_cache_dir() -> Path:
    """Per-user cache (jieba's dictionary cache, Prefect's home): never inside the repo."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jingyan"


@dataclass(frozen=True)
class Settings:
    tagger: str = "jieba"  # or "hanlp"
    batch_size: int = 50  # documents per Prefect task: orchestration cost (~0.2 s a task) stays small
    # documents per SQLite transaction: a commit rewrites every index page its documents touched,
    # which at thousands of documents is most of them (pipeline.batches.CatalogueWriter)
    commit_size: int = 500
    workers: int = 1  # >1: the flow's process and workers-1 Dask worker processes on a local cluster
    dask_address: str = ""  # an existing Dask scheduler, e.g. tcp://10.0.0.5:8786
    annotations_dir: Path = Path("annotations")
    # the rule tables, lexicons and patterns (data/*.tsv, *.json): a copy edited elsewhere
    # is used by naming its folder; loaded tables are cached per folder
    data_dir: Path = DATA_DIR
    dictionaries: tuple[Path, ...] = field(default_factory=lambda: (DATA_DIR / "domain_dict.txt",))
    # the trained scorer that gives every fact and mechanism its confidence (jingyan train)
    confidence_model: Path = DATA_DIR / "confidence_model.json"
    max_file_bytes: int = 20 * 1024 * 1024  # larger inputs are refused, not read into memory
    cache_dir: Path = field(default_factory=user_cache_dir)
    hanlp_home: str = field(default_factory=lambda: os.environ.get("HANLP_HOME", ""))
    hanlp_tok: str = "COARSE_ELECTRA_SMALL_ZH"  # a HanLP pretrained name, or a model folder
    hanlp_pos: str = "CTB9_POS_ELECTRA_SMALL"
    show_progress: bool = False
    # documents whose files are gone from the folders run: deleted (True) or marked missing
    prune: bool = False
    # the names annotators' corrections teach (pipeline.lexicon.Lexicon as JSON, "" for none):
    # read from annotations_dir where a run starts, carried as text so that it reaches Dask workers
    learned_names: str = ""

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else [str(p) for p in v] if isinstance(v, tuple) else v)
                for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        d = dict(d)
        for key in ("annotations_dir", "cache_dir", "data_dir", "confidence_model"):
            if key in d:
                d[key] = Path(d[key])
        if "dictionaries" in d:
            d["dictionaries"] = tuple(Path(p) for p in d["dictionaries"])
        return cls(**d)
