"""Structured logs: JSON lines that carry the request id of the request being answered."""

from __future__ import annotations

import json
import logging

from backend.core.logs import REQUEST_ID, JsonFormatter


def record(message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("otagai.test", logging.WARNING, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(entry, key, value)
    return entry


def test_a_log_line_is_one_json_object_with_time_level_logger_and_message() -> None:
    line = JsonFormatter().format(record("避難所が開設されました"))

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "otagai.test"
    assert entry["message"] == "避難所が開設されました"
    assert entry["time"].endswith("+00:00")


def test_a_line_logged_while_answering_a_request_carries_its_request_id() -> None:
    token = REQUEST_ID.set("req-123")
    try:
        entry = json.loads(JsonFormatter().format(record("x")))
    finally:
        REQUEST_ID.reset(token)

    assert entry["requestId"] == "req-123"
    assert "requestId" not in json.loads(JsonFormatter().format(record("y")))


def test_extra_fields_and_exceptions_are_kept() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        entry_record = record("failed", status=500, path="/graphql")
        entry_record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(entry_record))

    assert entry["status"] == 500
    assert entry["path"] == "/graphql"
    assert "ValueError: boom" in entry["exception"]
