"""Jupyter adapters of jupyter_trust: the server extension (ExtensionApp, REST handlers)."""
