from django.core.paginator import Paginator
from django.utils.functional import cached_property

from hubdir.cache_version import cached, data_version


class CachedCountPaginator(Paginator):
    """A paginator whose result count and page membership are cached under the data version.

    At 100,000 organisations the COUNT(*) behind "1,234 results" and the ranking of every match
    cost more than the page itself, and both only change when the data does. A cached page keeps
    just the ids, in order; the rows themselves are read fresh, 20 at a time, by primary key.
    """

    @cached_property
    def version(self):
        return data_version() if hasattr(self.object_list, "query") else None

    @cached_property
    def query_key(self):
        return str(self.object_list.query)

    @cached_property
    def count(self):
        if self.version is None:
            return super().count
        return cached("count", self.query_key, lambda: Paginator.count.func(self), version=self.version)

    def page(self, number):
        if self.version is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        key = f"{self.query_key}|{bottom}:{top}"
        fresh = []

        def page_ids():
            fresh.extend(self.object_list[bottom:top])
            return [row.pk for row in fresh]

        ids = cached("page", key, page_ids, version=self.version)
        if fresh:
            return self._get_page(fresh, number, self)
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)
