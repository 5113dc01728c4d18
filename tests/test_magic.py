"""``%conda_trust``: the same core as the CLI and REST, rendered as text/HTML, never showing the token."""

from __future__ import annotations

import getpass

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_trust")
    yield ip
    InteractiveShell.clear_instance()


def test_status_text_says_verification_off(shell, capsys):
    shell.run_line_magic("conda_trust", "status")
    out = capsys.readouterr().out
    assert "Signature verification" in out and "OFF" in out
    assert "Trust anchor" in out and "builtin" in out


def test_status_html_rendering_escapes_and_has_banner():
    from jupyter_trust.core import Core
    from jupyter_trust.status import build_status

    html = build_status(Core()).to_html()
    assert "Signature verification is OFF" in html
    assert "<script" not in html


def test_usage_error_is_one_clear_message(shell, capsys):
    shell.run_line_magic("conda_trust", "frobnicate")
    err = capsys.readouterr().err
    assert err.startswith("%conda_trust:") and "Traceback" not in err


def test_token_is_not_an_argument(shell, capsys):
    shell.run_line_magic("conda_trust", "token set tok-SENTINEL-abcdef123")
    captured = capsys.readouterr()
    assert "tok-SENTINEL-abcdef123" not in captured.out + captured.err


def test_verification_on_and_off_round_trip(shell, capsys, isolated_home):
    shell.run_line_magic("conda_trust", "verification on --metadata-url http://127.0.0.1:9/meta")
    out = capsys.readouterr().out
    assert "signature verification: ON" in out
    condarc = (isolated_home / ".condarc").read_text()
    assert "extra_safety_checks: true" in condarc and "http://127.0.0.1:9/meta" in condarc
    shell.run_line_magic("conda_trust", "verification off")
    assert "signature verification: OFF" in capsys.readouterr().out


def test_token_set_prompts_hidden_and_never_prints_token(shell, capsys, monkeypatch, isolated_home):
    sentinel = "tok-SENTINEL-0123456789abcdef"
    prompts = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return sentinel

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    shell.run_line_magic("conda_trust", "token set --no-validate")
    captured = capsys.readouterr()
    assert prompts, "the token must be read with a hidden prompt"
    assert sentinel not in captured.out + captured.err
    assert "****cdef" in captured.out
    shell.run_line_magic("conda_trust", "status")
    captured = capsys.readouterr()
    assert sentinel not in captured.out + captured.err
    assert "****cdef" in captured.out
