"""A run's prompt as the parts of its first user message: text, then images and documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from agentkit.attachments import Attachment, Document, Image
from agentkit.exceptions import UserError
from agentkit.messages import UserPart

if TYPE_CHECKING:
    from agentkit.agent import RunOptions

__all__ = ["Prompt", "UserContent", "split_prompt", "with_content"]

Prompt = str | Sequence[str | Image | Document]
"""What a run takes as its prompt: text, or a list of text, :class:`Image` and :class:`Document` items."""
UserContent = tuple[UserPart | Image | Document, ...]


def split_prompt(prompt: Prompt, attachments: Sequence[Attachment] = ()) -> tuple[str, UserContent]:
    """The prompt's text (for guardrails, events and verifiers) and, when it holds files, the user parts in
    order (empty for plain text, which the run sends as one :class:`~agentkit.messages.UserPart`)."""
    items: list[str | Image | Document] = [prompt] if isinstance(prompt, str) else list(prompt)
    items += list(attachments)
    for item in items:
        if not isinstance(item, str | Image | Document):
            raise UserError(
                f"a prompt item is a {type(item).__name__}; a prompt is text or a list of str, Image and Document "
                "items (make files with Image.from_path(...) or Document.from_path(...))."
            )
    text = "\n".join(item for item in items if isinstance(item, str))
    if all(isinstance(item, str) for item in items):
        return text, ()
    return text, tuple(UserPart(content=item) if isinstance(item, str) else item for item in items)


def with_content(options: RunOptions | None, content: UserContent) -> RunOptions | None:
    """``options`` carrying the user parts ``content`` (unchanged when there are none)."""
    if not content:
        return options
    from agentkit.agent import RunOptions

    return replace(options or RunOptions(), user_content=content)
