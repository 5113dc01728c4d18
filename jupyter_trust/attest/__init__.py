"""Sigstore publish attestations (CEP 27 statements, CEP 50 / ``.v0.sigs`` sidecars) beside content trust.

Bundle, certificate, SCT, log-proof and DSSE checks are sigstore-python's; this package adds the CEP 27
statement checks, the publisher policy and the result model.
"""
