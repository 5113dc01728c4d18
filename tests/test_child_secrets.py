"""Admin-supplied token variables leave the server's own environment at start (the core keeps them in memory), so
a real kernel and a real terminal started through the server's REST API do not inherit them."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

ADMIN_VAR = "JT_TEST_ADMIN_CREDENTIAL"
ADMIN_TOKEN = "adm-" + "7" * 28
ANACONDA_TOKEN = "ana-" + "5" * 28


@pytest.fixture
def jp_server_config(jp_server_config, monkeypatch):
    """The admin token in the server's environment before it starts, and policy naming its variable."""
    monkeypatch.setenv(ADMIN_VAR, ADMIN_TOKEN)
    monkeypatch.setenv("ANACONDA_TOKEN", ANACONDA_TOKEN)
    jp_server_config.setdefault("JupyterTrustApp", {})["token_env_var"] = ADMIN_VAR
    return jp_server_config


def proc_environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def assert_clean(env: dict[str, str], what: str) -> None:
    assert env, f"no environment read for the {what}"
    assert ADMIN_VAR not in env and "ANACONDA_TOKEN" not in env, what
    text = json.dumps(env)
    assert ADMIN_TOKEN not in text and ANACONDA_TOKEN not in text, what


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to read a child's environment")
async def test_kernel_and_terminal_started_over_rest_do_not_inherit_token_variables(jp_serverapp, jp_fetch):
    assert ADMIN_VAR not in os.environ and "ANACONDA_TOKEN" not in os.environ  # withdrawn at extension start
    # ...but still the token the server uses (masked), from memory
    info = json.loads((await jp_fetch("jupyter-trust", "token")).body)
    assert info["present"] and info["source"] == "env" and info["masked"] == "****" + ADMIN_TOKEN[-4:]

    kernel = json.loads((await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))).body)
    terminal = json.loads((await jp_fetch("api", "terminals", method="POST", body="{}")).body)
    try:
        km = jp_serverapp.kernel_manager.get_kernel(kernel["id"])
        kernel_pid = km.provisioner.process.pid
        term_manager = jp_serverapp.web_app.settings["terminal_manager"]
        terminal_pid = term_manager.get_terminal(terminal["name"]).ptyproc.pid
        for _ in range(50):  # the kernel process exists at once; give exec a moment to settle
            if Path(f"/proc/{kernel_pid}/environ").read_bytes():
                break
            await asyncio.sleep(0.1)
        kernel_env = proc_environ(kernel_pid)
        assert "JPY_PARENT_PID" in kernel_env or "PATH" in kernel_env
        assert_clean(kernel_env, "kernel")
        assert_clean(proc_environ(terminal_pid), "terminal")
    finally:
        await jp_fetch("api", "kernels", kernel["id"], method="DELETE")
        await jp_fetch("api", "terminals", terminal["name"], method="DELETE")
