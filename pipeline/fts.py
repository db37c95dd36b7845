"""Chinese full-text search for the catalogue (placeholder; being built for issue 8)."""


def prepare(db) -> None:
    """Register the tokenizer on this connection and make sure the FTS indexes exist."""
