"""A conda-content-trust compatible verifier (and signer), byte-compatible with CCT's formats.

See ``docs/architecture.md``: canonical serialization (``canonical``), strict parsing (``jsonload``),
typed metadata (``metadata``), verification (``verify``) and signing tools (``signing``).
"""
