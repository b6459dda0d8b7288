"""Load scenario: visitors mixing search, browse, profiles, the API and filtered CSV exports.

Run by bench/load/run.sh against gunicorn on 127.0.0.1 only.

Half the searches are new: two or three words combined at random from NEW_WORDS (words of the
seeded text), each combination used once per locust process, so that no cache of a search result
can answer them (issue 16). The other half repeat the few WORDS, as popular searches do.

Each simulated user sends its own X-Forwarded-For address, which run.sh tells the app to believe
from 127.0.0.1 (DJANGO_TRUSTED_PROXIES), as a reverse proxy would: without it all 50 users are one
client to the per-client rate limits (the CSV export's 10 a minute) and the test measures the limit.
The addresses are from 198.18.0.0/15, the range set aside for benchmarking (RFC 2544); they are only
header values, and nothing is ever sent to them.
"""

import ipaddress
import random

from locust import HttpUser, between, events, task

WORDS = [
    "health",
    "digital",
    "leeds",
    "diagnostics",
    "medtech",
    "care",
    "data",
    "imaging",
    "pharmacy",
    "genomics",
    "telehealth",
    "hospital",
    "research",
    "orthopaedic",
    "wellbeing",
    "bradford",
]
SECTORS = [
    "digital-health",
    "medtech",
    "diagnostics",
    "ai-and-data",
    "pharmaceuticals",
    "telehealth",
    "research",
    "genomics",
    "imaging",
    "wellbeing",
]
TYPES = ["company", "nhs", "university", "charity", "support_organisation", "public_body"]
# Words of the seeded text (seed_demo) of high, middle and low frequency, for new searches.
NEW_WORDS = [
    *("health", "digital", "clinical", "data", "care", "patients", "services", "platform", "software"),
    *("diagnostic", "laboratories", "tools", "local", "life", "growing", "community", "support"),
    *("research", "imaging", "genomics", "telehealth", "pharmacy", "wellbeing", "medtech", "devices"),
    *("monitoring", "remote", "analytics", "records", "mental", "clinics", "hospital", "primary"),
    *("genetics", "vision", "ageing", "harbour", "willow", "nova", "triage", "pharma", "sciences"),
    *("kinetic", "labs", "economics", "collaboration", "expertise", "repair", "companies", "district"),
    *("pudsey", "guiseley", "rothwell", "holbeck", "calder", "craven", "yorkshire", "leeds", "bradford"),
    *("wakefield", "harrogate", "medicine", "developer", "launched", "aimed", "links", "start"),
    *("dementai", "pathalogy", "diabtes", "tinnitus", "zzyzx", "wellbeng"),
]
SLUGS = []
_asked = set()
_addresses = ipaddress.ip_network("198.18.0.0/15").hosts()


def new_query():
    """Words never combined before in this process: no cache has seen this search."""
    for _ in range(1000):
        q = " ".join(random.sample(NEW_WORDS, k=random.choice([2, 2, 3])))
        if q not in _asked:
            _asked.add(q)
            return q
    raise RuntimeError("NEW_WORDS ran out of new combinations")


def search_words(k=1):
    """Half the time a search never asked before, else one of the popular repeated ones."""
    if random.random() < 0.5:
        return new_query(), "new"
    return " ".join(random.sample(WORDS, k=k)), "repeated"


@events.test_start.add_listener
def load_slugs(environment, **kwargs):
    # A sample of real profile slugs, taken once through the API the scenario also exercises.
    import json
    import urllib.request

    for page in range(1, 6):
        url = f"{environment.host}/api/organisations/?page={page}&sort=recent"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback only)
            SLUGS.extend(item["slug"] for item in json.load(response)["results"])


class Visitor(HttpUser):
    # A visitor reads each page for a few seconds before the next click. With 2–8 s (5 s on
    # average) between requests, N users send at most about N / 5 requests a second, however fast
    # the server answers: 10 a second for 50 users.
    wait_time = between(2, 8)

    def on_start(self):
        # Its own client address, as the reverse proxy would report it (see the module's docstring).
        self.client.headers["X-Forwarded-For"] = str(next(_addresses))

    @task(5)
    def search(self):
        q, kind = search_words(k=random.choice([1, 1, 2]))
        self.client.get("/organisations/", params={"q": q}, name=f"/organisations/?q= ({kind})")

    @task(3)
    def search_with_filters(self):
        q, kind = search_words()
        params = {"q": q, "sector": random.choice(SECTORS), "type": random.choice(TYPES)}
        self.client.get("/organisations/", params=params, name=f"/organisations/?q=&sector=&type= ({kind})")

    @task(4)
    def browse(self):
        params = {"sector": random.choice(SECTORS), "page": random.randint(1, 20)}
        self.client.get("/organisations/", params=params, name="/organisations/?sector=&page=")

    @task(4)
    def profile(self):
        if SLUGS:
            self.client.get(f"/organisations/{random.choice(SLUGS)}/", name="/organisations/<slug>/")

    @task(3)
    def api_list(self):
        q, kind = search_words()
        # A new combination matches few organisations: a later page of it would be a 404 no
        # visitor meets (they page through results they have seen); popular words have pages.
        params = {"q": q, "page": 1 if kind == "new" else random.randint(1, 3)}
        self.client.get("/api/organisations/", params=params, name=f"/api/organisations/?q= ({kind})")

    @task(1)
    def filtered_csv_export(self):
        params = {"sector": random.choice(SECTORS), "type": random.choice(TYPES), "q": random.choice(WORDS)}
        with self.client.get(
            "/organisations/export.csv",
            params=params,
            name="/organisations/export.csv?…",
            stream=True,
            catch_response=True,
        ) as response:
            for _ in response.iter_content(65536):
                pass
            if response.status_code == 200:
                response.success()

    @task(1)
    def home(self):
        self.client.get("/", name="/")
