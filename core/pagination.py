from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .dataversion import cached


class CachedCountPaginator(Paginator):
    """A paginator whose result count and page membership are kept under the data version.

    At 100,000 organisations the COUNT(*) behind "1,234 results" and the ranking of every match
    cost more than the page itself, and both only change when the data does. A cached page keeps
    just the ids, in order; the rows themselves are read fresh, a page at a time, by primary key.

    `results`, when given, already knows the count and the ids of any page (an object with
    `count` and `ids(bottom, top)`, such as an in-process index's answer): nothing is counted or
    ranked in SQL, and only the page's rows are read.
    """

    def __init__(self, object_list, per_page, *args, results=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.results = results

    @cached_property
    def query_key(self):
        return str(self.object_list.query)

    @cached_property
    def count(self):
        if self.results is not None:
            return self.results.count
        return cached("count", self.query_key, lambda: Paginator.count.func(self))

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        fresh = []
        if self.results is not None:
            return self._page_of_ids(self.results.ids(bottom, top), number)

        def page_ids():
            fresh.extend(self.object_list[bottom:top])
            return [row.pk for row in fresh]

        ids = cached("page", f"{self.query_key}|{bottom}:{top}", page_ids)
        if fresh:
            return self._get_page(fresh, number, self)
        return self._page_of_ids(ids, number)

    def _page_of_ids(self, ids, number):
        if not ids:
            return self._get_page([], number, self)
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def page_with_notice(paginator, raw):
    """(page, notice) for a visitor's `page`: Paginator.get_page(), never an error page, with a
    notice when the page shown is not the one asked for (ARCHITECTURE.md §5)."""
    raw = (raw or "").strip()
    try:
        asked = int(raw) if raw else 1
    except ValueError:
        return paginator.get_page(1), "That page number was not understood, so this is the first page."
    if asked < 1:
        return paginator.get_page(1), "Page numbers start at 1, so this is the first page."
    page = paginator.get_page(asked)
    if page.number != asked:
        return page, "There are fewer pages than that, so this is the last page."
    return page, ""
