"""Images and documents sent to a model: ``agent.run("What is this?", attachments=[Image.from_path("cat.png")])``.

:class:`Image` and :class:`Document` hold their bytes (or a URL) and a media type. They are message parts
too: a run's first request keeps them after the prompt's text, so they stay in the history, in
:func:`~agentkit.messages.dump_messages` output and in sessions. A tool may return one; the model then
sees it as an image (or a document) where the provider takes those in tool results, and otherwise in a
user message right after the tool results. Each adapter maps them to its wire format.

Size limits (checked when an attachment is made): :data:`MAX_IMAGE_BYTES` for images and
:data:`MAX_DOCUMENT_BYTES` for documents. Providers may refuse less (Anthropic: 5 MB per image).
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from agentkit.exceptions import UserError

__all__ = [
    "DOCUMENT_TYPES",
    "IMAGE_TYPES",
    "MAX_DOCUMENT_BYTES",
    "MAX_IMAGE_BYTES",
    "Attachment",
    "Document",
    "Image",
]

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""20 MB: the largest image OpenAI accepts."""
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
"""32 MB: the largest PDF Anthropic accepts (OpenAI takes up to 50 MB per request)."""

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
"""Image types every supported provider reads."""
DOCUMENT_TYPES = ("application/pdf",)
"""Document types every supported provider reads."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    media_type: str
    data: bytes | None = None
    """The file's bytes (``None`` when the file is given by :attr:`url`)."""
    url: str | None = None
    """An ``http(s)`` URL the provider fetches itself (``None`` when the bytes are here)."""
    name: str | None = None
    """A file name (documents send it to the provider; otherwise only shown in messages)."""

    @model_validator(mode="after")
    def _one_source(self) -> _File:
        if (self.data is None) == (self.url is None):
            raise ValueError("give exactly one of data= and url=")
        return self

    @property
    def label(self) -> str:
        """The name, the URL or the media type: how messages and errors refer to this file."""
        return self.name or self.url or self.media_type

    def data_url(self) -> str:
        """The URL to send: the ``http(s)`` URL, or a ``data:`` URL holding the bytes in base64."""
        if self.data is None:
            assert self.url is not None  # the validator allows no other case
            return self.url
        return f"data:{self.media_type};base64,{self.base64()}"

    def base64(self) -> str:
        """The bytes in standard base64 (empty for a URL)."""
        return base64.b64encode(self.data or b"").decode("ascii")

    def __repr_args__(self) -> list[tuple[str | None, object]]:
        size = None if self.data is None else f"{len(self.data)} bytes"
        shown = {"media_type": self.media_type, "data": size, "url": self.url, "name": self.name}
        return [(k, v) for k, v in shown.items() if v is not None]


class Image(_File):
    """An image for the model: :meth:`from_path`, :meth:`from_bytes` or :meth:`from_url`."""

    kind: Literal["image"] = "image"

    @classmethod
    def from_path(cls, path: str | Path, *, media_type: str | None = None) -> Image:
        """Read an image file; the media type comes from the bytes, else the extension."""
        data, name = _read(path, MAX_IMAGE_BYTES, "Image")
        return cls(media_type=media_type or _media_type(data, name, "Image", IMAGE_TYPES), data=data, name=name)

    @classmethod
    def from_bytes(cls, data: bytes, *, media_type: str | None = None, name: str | None = None) -> Image:
        """An image from its bytes; ``media_type`` is detected from them when not given."""
        _check_size(len(data), MAX_IMAGE_BYTES, "Image", name)
        return cls(media_type=media_type or _media_type(data, name, "Image", IMAGE_TYPES), data=data, name=name)

    @classmethod
    def from_url(cls, url: str, *, media_type: str | None = None) -> Image:
        """An image the provider downloads itself (``http://`` or ``https://``)."""
        _check_url(url, "Image")
        guessed = mimetypes.guess_type(url.split("?", maxsplit=1)[0])[0]
        return cls(media_type=media_type or guessed or "image/*", url=url)


class Document(_File):
    """A document (PDF) for the model: :meth:`from_path`, :meth:`from_bytes` or :meth:`from_url`."""

    kind: Literal["document"] = "document"

    @classmethod
    def from_path(cls, path: str | Path, *, media_type: str | None = None) -> Document:
        """Read a document file; the media type comes from the bytes, else the extension."""
        data, name = _read(path, MAX_DOCUMENT_BYTES, "Document")
        kind = media_type or _media_type(data, name, "Document", DOCUMENT_TYPES)
        return cls(media_type=kind, data=data, name=name)

    @classmethod
    def from_bytes(cls, data: bytes, *, media_type: str | None = None, name: str | None = None) -> Document:
        """A document from its bytes; ``media_type`` is detected from them when not given."""
        _check_size(len(data), MAX_DOCUMENT_BYTES, "Document", name)
        kind = media_type or _media_type(data, name, "Document", DOCUMENT_TYPES)
        return cls(media_type=kind, data=data, name=name)

    @classmethod
    def from_url(cls, url: str, *, media_type: str = "application/pdf") -> Document:
        """A document the provider downloads itself (``http://`` or ``https://``)."""
        _check_url(url, "Document")
        return cls(media_type=media_type, url=url, name=url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or None)


Attachment = Image | Document
"""What :meth:`agentkit.Agent.run` takes in ``attachments=`` and in a list prompt."""


def _read(path: str | Path, limit: int, what: str) -> tuple[bytes, str]:
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise UserError(f"{what}.from_path: can't read {str(path)!r} ({exc.strerror}); check the path.") from None
    _check_size(size, limit, what, file.name)
    return file.read_bytes(), file.name


def _check_size(size: int, limit: int, what: str, name: str | None) -> None:
    if size > limit:
        label = f" {name!r}" if name else ""
        raise UserError(
            f"{what}{label} is {size / 1024 / 1024:.1f} MB, over the {limit // 1024 // 1024} MB limit for "
            f"attachments; make it smaller, or pass a URL the provider can fetch with {what}.from_url(...)."
        )


def _check_url(url: str, what: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise UserError(f"{what}.from_url: {url!r} is not an http(s) URL; use {what}.from_path(...) for a local file.")


def _media_type(data: bytes, name: str | None, what: str, allowed: tuple[str, ...]) -> str:
    """The media type from the file's first bytes, else its name's extension; must be one of ``allowed``."""
    found = _sniff(data) or (mimetypes.guess_type(name)[0] if name else None)
    if found in allowed:
        return found
    seen = f"it looks like {found}" if found else "its type can't be told from its bytes or name"
    raise UserError(
        f"{what}{f' {name!r}' if name else ''}: {seen}; supported: {', '.join(allowed)}. "
        "Convert it, or pass media_type=... if you know the type."
    )


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
