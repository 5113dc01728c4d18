"""Trust anchors and the verified trust-metadata store (root chain + key_mgr per signing-metadata URL)."""
