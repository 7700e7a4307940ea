"""A minimal PNG reader for screenshot checks (8-bit RGB/RGBA, not interlaced: what Chromium writes)."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {2: 3, 6: 4}  # colour type -> channels (RGB, RGBA)


@dataclass(frozen=True)
class Image:
    """A decoded image's size and colour histogram: how many pixels have each (r, g, b)."""

    width: int
    height: int
    colours: Counter[tuple[int, int, int]]

    def count(self, predicate: Callable[[tuple[int, int, int]], bool]) -> int:
        """How many pixels satisfy ``predicate(rgb)``."""
        return sum(n for colour, n in self.colours.items() if predicate(colour))


def read_png(data: bytes) -> Image:
    """Decode ``data``; fails clearly on PNG flavours Chromium does not produce."""
    assert data.startswith(_SIGNATURE), "not a PNG file"
    pos, idat, header = len(_SIGNATURE), b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in _CHANNELS and interlace == 0, (depth, colour, interlace)
    channels = _CHANNELS[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours: Counter[tuple[int, int, int]] = Counter()
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels)
        colours.update(zip(line[0::channels], line[1::channels], line[2::channels], strict=True))
        previous = line
    return Image(width, height, colours)


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> bytearray:
    if kind == 0:
        return line
    if kind == 2:
        return _add_bytes(line, previous)
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
        else:
            corner = previous[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + _paeth(left, previous[i], corner)) & 0xFF
    return line


def _add_bytes(a: bytearray, b: bytearray) -> bytearray:
    """Byte-wise (a + b) mod 256, all bytes at once (SWAR on big integers)."""
    n = len(a)
    low, high = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    total = ((x & low) + (y & low)) ^ ((x ^ y) & high)
    return bytearray(total.to_bytes(n, "big"))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c
