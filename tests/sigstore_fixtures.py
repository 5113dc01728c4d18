"""The private Sigstore the tests sign with (it lives in the demo, which ships its own attested packages)."""

from jupyter_trust.demo.sigstore import GITHUB_ISSUER, PrivateSigstore, Publisher, sidecar, statement

__all__ = ["GITHUB_ISSUER", "PrivateSigstore", "Publisher", "sidecar", "statement"]
