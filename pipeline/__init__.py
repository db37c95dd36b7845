"""jingyan (经验): a catalogue of local governance practices from Chinese news texts.

The library: ingest → tag → facts / mechanisms / localities → catalogue. Runs without
Prefect; ``flows/`` orchestrates it.
"""
__version__ = "0.1.0"

# Bump when extraction output changes, so unchanged documents are processed again.
PIPELINE_VERSION = "7"
