"""Full-text search over organisations (ARCHITECTURE.md §6): the one entry point for pages, CSV
and API, also reached as `Organisation.objects.search(q)`.

- `search(queryset, q)`: the matches, ranked (engine.py; postgresql.py, sqlite.py)
- `highlight(text, q)`: escaped text with the matched words marked (highlight.py)
- `did_you_mean(q)`: a corrected query from the directory's vocabulary (suggest.py)
- `rebuild_index()`, `ensure_sqlite_triggers()`: keeping the index current (index.py, ddl.py)

Queries are read by query.py. Nothing here imports the models, which build on it.
"""

from .engine import search
from .highlight import highlight
from .index import ensure_sqlite_triggers, rebuild_index
from .suggest import did_you_mean

__all__ = ["did_you_mean", "ensure_sqlite_triggers", "highlight", "rebuild_index", "search"]
