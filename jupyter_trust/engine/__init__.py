"""The rattler boundary: solving and linking run in a child process (``python -m jupyter_trust.engine.worker``)."""
