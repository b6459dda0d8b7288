"""Full-text search over organisations (ARCHITECTURE.md §6): the one entry point for pages, CSV
and API, also reached as `Organisation.objects.search(q)`.

- `prepare(q)`: the query read into a plan, once per request (query.py, lexicon.py, plan.py)
- `search(queryset, q or plan)`: the matches, ranked alike on both engines (engine.py;
  postgresql.py, sqlite.py, ranking.py)
- `highlight(text, q)`: escaped text with the matched words marked (highlight.py)
- `did_you_mean(q)`: a corrected query from the directory's vocabulary (suggest.py)
- `rebuild_index()`, `ensure_sqlite_triggers()`: keeping the index current (index.py, ddl.py)

Also: site.py (initiatives and sectors beside the results, the type-ahead) and quality.py (the
judged cases). Nothing here imports the models, which build on it; docs/search.md has the design.
"""

from .engine import prepare, search
from .highlight import highlight
from .index import ensure_sqlite_triggers, rebuild_index
from .suggest import did_you_mean

__all__ = ["did_you_mean", "ensure_sqlite_triggers", "highlight", "prepare", "rebuild_index", "search"]
