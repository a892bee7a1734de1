"""Errors answered before Django sees a request (by gunicorn) are JSON in the API's shape."""

import json
import runpy
import socket
from pathlib import Path

import pytest
from gunicorn import util

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn_config(monkeypatch):
    monkeypatch.setattr(util, "write_error", util.write_error)  # restored after the test
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


@pytest.mark.parametrize(
    ("status", "reason", "code"),
    [
        (400, "Bad Request", "bad_request"),
        (431, "Request Header Fields Too Large", "request_header_fields_too_large"),
    ],
)
def test_gunicorn_refusals_are_json(gunicorn_config, status, reason, code):
    server, client = socket.socketpair()
    with server, client:
        util.write_error(server, status, reason, "Invalid Request Line 'GARBAGE'")
        server.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := client.recv(4096):
            raw += chunk
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Content-Type: application/json" in head
    assert json.loads(body) == {"code": code, "detail": "Invalid Request Line 'GARBAGE'"}
