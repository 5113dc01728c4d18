"""The built-in signed demo channel: build it, serve it on 127.0.0.1, start JupyterLab trusting it."""
