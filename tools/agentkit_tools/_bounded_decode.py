"""Content-Encoding decoding that never produces more than the caller asked for.

httpx decompresses a whole network chunk at once; a small gzip bomb chunk can expand a
thousandfold. Here decompression output is capped per call, so a size limit on the decoded body
holds no matter how the body was compressed.
"""

from __future__ import annotations

import zlib

from agentkit_tools._netpolicy import FetchError

__all__ = ["ACCEPT_ENCODING", "BoundedDecoder"]

ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BoundedDecoder:
    """Decodes one response body of a given ``Content-Encoding`` (``identity``, gzip, deflate)."""

    def __init__(self, content_encoding: str) -> None:
        names = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        names = [e for e in names if e != "identity"]
        if len(names) > 1 or (names and names[0] not in _WBITS):
            raise FetchError(
                f"The server sent an unsupported Content-Encoding {content_encoding!r}; "
                f"only {ACCEPT_ENCODING} are accepted."
            )
        self._zlib = zlib.decompressobj(_WBITS[names[0]]) if names else None

    def decode(self, chunk: bytes, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` decoded bytes from ``chunk`` (the rest is dropped: the caller stops)."""
        if self._zlib is None:
            return chunk[:max_bytes]
        try:
            return self._zlib.decompress(chunk, max(max_bytes, 1))[:max_bytes]
        except zlib.error as exc:
            raise FetchError(f"The response body is not valid compressed data: {exc}.") from None
