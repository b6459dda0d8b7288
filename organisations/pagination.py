from django.core.paginator import Paginator
from django.utils.functional import cached_property

from hubdir.cache_version import cached, data_version


class CachedCountPaginator(Paginator):
    """A paginator whose result count is cached under the data version.

    At 100,000 organisations the COUNT(*) behind "1,234 results" costs more than the page itself,
    and it only changes when the data does.
    """

    @cached_property
    def count(self):
        version = data_version() if hasattr(self.object_list, "query") else None
        if version is None:
            return super().count
        return cached(
            "count", str(self.object_list.query), lambda: Paginator.count.func(self), version=version
        )
