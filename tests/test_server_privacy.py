"""S5/S6: the token never leaves the server — not in bodies, headers, errors or logs."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse

import pytest
from token_fixtures import GOOD_TOKEN
from tornado.httpclient import HTTPClientError

FORMS = [GOOD_TOKEN, urllib.parse.quote(GOOD_TOKEN, safe=""), base64.b64encode(GOOD_TOKEN.encode()).decode()]


def scan(text: str) -> None:
    for form in FORMS:
        assert form not in text


async def test_token_round_trip_over_rest_is_private(validation_server, jp_fetch, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    async def fetch(*path, **kwargs):
        try:
            response = await jp_fetch("jupyter-trust", *path, **kwargs)
        except HTTPClientError as exc:
            response = exc.response
        seen.append(response.body.decode() + json.dumps(dict(response.headers)))
        return response

    put = await fetch(
        "token", method="PUT", body=json.dumps({"token": GOOD_TOKEN, "enable_signature_verification": True})
    )
    assert put.code == 200
    doc = json.loads(put.body)
    assert doc["token"]["present"] and doc["token"]["masked"] == "****" + GOOD_TOKEN[-4:]
    assert doc["verification"]["enabled"] is True and doc["validated"] is True
    for path in (("token",), ("status",), ("verification",)):
        response = await fetch(*path)
        assert response.code == 200
    bad = await fetch("token", method="PUT", body=json.dumps({"token": GOOD_TOKEN + "x"}))
    assert bad.code == 422 and "could not be validated" in json.loads(bad.body)["message"]
    validation_server.server.stop()
    down = await fetch("token", method="PUT", body=json.dumps({"token": GOOD_TOKEN}))
    assert down.code == 502 and "could not be reached" in json.loads(down.body)["message"]
    removed = await fetch("token", method="DELETE")
    assert removed.code == 200 and not json.loads(removed.body)["token"]["present"]
    for text in seen:
        scan(text)
    scan(caplog.text)


async def test_token_is_not_accepted_in_query_strings(validation_server, jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "token", method="PUT", body="{}", params={"token": GOOD_TOKEN})
    assert info.value.code in (400, 403)  # the server treats ?token= as its own login token: refused


@pytest.mark.parametrize("user", ["alice", "mallory"])
async def test_only_the_hub_owner_may_change_the_token(validation_server, jp_fetch, monkeypatch, user):
    # Under JupyterHub the server's owner is JUPYTERHUB_USER; anyone else reaching it (sharing) gets 403.
    monkeypatch.setenv("JUPYTERHUB_USER", user)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "token", method="PUT", body=json.dumps({"token": GOOD_TOKEN}))
    assert info.value.code == 403 and "owner" in json.loads(info.value.response.body)["message"]
