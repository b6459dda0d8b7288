"""The judged quality suite (tests/data/search_cases.yaml): what real visitors type, and the
organisations or initiatives a good search puts within its first results.

A case: `query`; `expected` (organisation slugs) and/or `initiatives` (initiative slugs, from the
group shown above the results); `within` (default 3): every expected item must be in that many
first results for the case to pass; optional `filters` (queryset filters applied first), `absent`
(slugs that must not be returned at all), `typo: true` (needs typo tolerance, which SQLite
lacks) and `nothing: true` (the directory holds nothing about it: no organisation may be returned,
and the page's other offers take over). `kind` names what the case exercises.

The measures, over the cases that expect something: success@k, the share whose first expected
item is among the first k results; MRR, the mean of 1 / the rank of the first expected item (0
beyond the tenth).
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.apps import apps
from django.conf import settings

from .engine import prepare, search
from .site import site_results

CASES_FILE = Path(settings.BASE_DIR) / "tests" / "data" / "search_cases.yaml"
DEPTH = 10
TARGETS = {"postgresql": 0.95, "sqlite": 0.90}  # success@3 on the fixtures


@dataclass
class Case:
    query: str
    kind: str
    expected: list = field(default_factory=list)
    initiatives: list = field(default_factory=list)
    within: int = 3
    filters: dict = field(default_factory=dict)
    absent: list = field(default_factory=list)
    typo: bool = False
    nothing: bool = False

    @classmethod
    def of(cls, row):
        row = dict(row)
        for name in ("expected", "initiatives", "absent"):
            if isinstance(row.get(name), str):
                row[name] = [row[name]]
        return cls(**row)

    @property
    def label(self):
        return f"{self.kind}: {self.query}" + (f" {self.filters}" if self.filters else "")


@dataclass
class Result:
    case: Case
    organisations: list  # the first DEPTH slugs
    initiatives: list  # the initiatives shown above the results
    returned_absent: list

    def ranks(self):
        """The rank (1-based) of each expected item, None where it is not in the first DEPTH."""
        ranks = [
            self.organisations.index(s) + 1 if s in self.organisations else None for s in self.case.expected
        ]
        ranks += [
            self.initiatives.index(s) + 1 if s in self.initiatives else None for s in self.case.initiatives
        ]
        return ranks

    @property
    def first_rank(self):
        found = [rank for rank in self.ranks() if rank is not None]
        return min(found) if found else None

    @property
    def passed(self):
        return (
            all(rank is not None and rank <= self.case.within for rank in self.ranks())
            and not self.returned_absent
        )


def load_cases(path=CASES_FILE):
    return [Case.of(row) for row in yaml.safe_load(Path(path).read_text())]


def evaluate(case):
    organisation = apps.get_model("organisations", "Organisation")
    plan = prepare(case.query)
    queryset = organisation.objects.published().filter(**case.filters)
    found = list(search(queryset, plan).values_list("slug", flat=True))
    groups = site_results(plan)
    initiatives = [result.slug for result in groups["initiatives"]]
    return Result(case, found[:DEPTH], initiatives, sorted(set(case.absent) & set(found)))


def measures(results):
    """{"cases", "success@1", "success@3", "mrr", "passed"}: the rates over the cases that expect
    something, "passed" over all."""
    passed = sum(r.passed for r in results)
    results = [r for r in results if not r.case.nothing]
    count = len(results) or 1
    firsts = [r.first_rank for r in results]
    return {
        "cases": len(results),
        "success@1": sum(1 for rank in firsts if rank == 1) / count,
        "success@3": sum(1 for rank in firsts if rank is not None and rank <= 3) / count,
        "mrr": sum(1 / rank for rank in firsts if rank is not None) / count,
        "passed": passed,
    }
