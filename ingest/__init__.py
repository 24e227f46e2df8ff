"""Ingest: read articles and reports of every common format into the index, incrementally.

from ingest import ingest_paths
report = ingest_paths(["data/sample"])
print(report.summary())
"""

from ingest.pipeline import IngestReport, ingest_paths

__all__ = ["IngestReport", "ingest_paths"]
