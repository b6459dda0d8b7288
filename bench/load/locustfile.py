"""Load scenario: visitors mixing search, browse, profiles, the API and filtered CSV exports.

Run by bench/load/run.sh against gunicorn on 127.0.0.1 only.
"""

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
SLUGS = []


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
    # A visitor reads each page for a few seconds before the next click.
    wait_time = between(2, 8)

    @task(5)
    def search(self):
        q = " ".join(random.sample(WORDS, k=random.choice([1, 1, 2])))
        self.client.get("/organisations/", params={"q": q}, name="/organisations/?q=")

    @task(3)
    def search_with_filters(self):
        params = {"q": random.choice(WORDS), "sector": random.choice(SECTORS), "type": random.choice(TYPES)}
        self.client.get("/organisations/", params=params, name="/organisations/?q=&sector=&type=")

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
        params = {"q": random.choice(WORDS), "page": random.randint(1, 3)}
        self.client.get("/api/organisations/", params=params, name="/api/organisations/?q=")

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
