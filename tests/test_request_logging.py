import json
import logging

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

pytestmark = pytest.mark.django_db


def test_each_request_is_logged_with_id_method_path_status_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="hubdir.request"):
        response = client.get("/no-such-page/")
    record = next(r for r in caplog.records if r.name == "hubdir.request")
    assert record.request_id == response["X-Request-ID"]
    assert (record.method, record.path, record.status) == ("GET", "/no-such-page/", 404)
    assert record.duration_ms >= 0


def test_the_configured_formatter_writes_one_json_object_per_line():
    options = dict(settings.LOGGING["formatters"]["json"])
    options.pop("()")
    formatter = JsonFormatter(**options)
    record = logging.LogRecord("hubdir.request", logging.INFO, __file__, 1, "request", None, None)
    record.request_id, record.status = "abc", 200
    line = formatter.format(record)
    assert "\n" not in line
    assert {"level": "INFO", "request_id": "abc", "status": 200}.items() <= json.loads(line).items()
