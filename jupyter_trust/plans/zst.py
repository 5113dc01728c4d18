"""``repodata.json.zst``: decompressed while it downloads, into the same spool a ``repodata.json`` goes to.

The decompressed size is capped as it grows (a small compressed body can expand enormously), and each step
decompresses at most one MiB, so memory stays bounded whatever the body holds. The plan then pins the sha256
of the decompressed JSON: the bytes that were verified and that the solver reads.
"""

from __future__ import annotations

import sys
from typing import Protocol

from ..fetch import FetchError, TooLarge

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdDecompressor, ZstdError
else:
    from backports.zstd import ZstdDecompressor, ZstdError

_STEP = 1 << 20


class _Spool(Protocol):
    size: int

    def write(self, chunk: bytes) -> None: ...

    def reset(self) -> None: ...


class ZstdSink:
    """A fetch ``sink`` that writes the decompressed stream to ``spool``, at most ``max_bytes`` of it."""

    def __init__(self, spool: _Spool, max_bytes: int, label: str) -> None:
        self.spool, self.max_bytes, self.label = spool, max_bytes, label
        self._decompressor = ZstdDecompressor()

    def write(self, chunk: bytes) -> None:
        data = chunk
        try:
            while True:
                if self._decompressor.eof:  # a frame ended: anything after it is the next frame
                    data = self._decompressor.unused_data + data
                    if not data:
                        return
                    self._decompressor = ZstdDecompressor()
                out = self._decompressor.decompress(data, max_length=_STEP)
                data = b""
                if out:
                    if self.spool.size + len(out) > self.max_bytes:
                        raise TooLarge(f"{self.label} decompresses to more than the {self.max_bytes}-byte limit")
                    self.spool.write(out)
                if self._decompressor.needs_input and not self._decompressor.eof:
                    return
        except ZstdError as exc:
            raise FetchError(f"{self.label} is not valid zstd data: {exc}") from None

    def finish(self) -> None:
        """The body ended: it must have ended with a complete frame."""
        if not self._decompressor.eof:
            raise FetchError(f"{self.label} ends in the middle of a zstd frame")

    def reset(self) -> None:
        self.spool.reset()
        self._decompressor = ZstdDecompressor()
