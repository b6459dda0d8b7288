"""Helpers shared by several test files."""


def version_reads(captured):
    """The statements of a CaptureQueriesContext that read the data version: the statement itself,
    or, on PostgreSQL, the run of its prepared copy (core/dataversion.py)."""
    return [query["sql"] for query in captured.captured_queries if "data_version" in query["sql"]]
