"""Hand a request's long list to the ``openai`` SDK past its parameter transform.

The SDK walks every request parameter through a type-driven transform (``async_maybe_transform``)
that changes nothing in the plain JSON agentkit builds but costs about 0.2-0.6 ms per message on a
2-core machine: a 300-step tool run against a loopback server spent 90 % of its time there
(openai/openai-python#3616). The list (``messages`` / ``input``) goes in ``extra_body`` instead, which
the SDK merges into the JSON as it is, at the same key; a user's own ``extra_body`` still wins.
"""

from __future__ import annotations

from typing import Any

__all__ = ["sdk_kwargs"]

JSON = dict[str, Any]


def sdk_kwargs(body: JSON, key: str, options: JSON) -> JSON:
    """The keyword arguments for ``create(...)``: ``body`` and ``options`` with ``body[key]`` sent untransformed."""
    if key not in body:
        return {**body, **options}
    extra_body = {key: body[key], **(options.get("extra_body") or {})}
    return {**body, key: [], **options, "extra_body": extra_body}
