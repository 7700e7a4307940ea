"""Closing the HTTP clients litellm keeps for an event loop, before that loop closes.

litellm keeps ``httpx`` clients in ``litellm.in_memory_llm_clients_cache`` (one per provider and event
loop: the loop's token ends the cache key) plus one module-level client shared by every loop
(``litellm.module_level_aclient``, used for Anthropic), and closes them only at interpreter exit, on a
new loop: by then their connections belong to a closed loop. :func:`close_loop_clients` closes the
running loop's clients while it still runs, and the shared client once no other loop that used
litellm through agentkit is still running; :class:`~agentkit.models.litellm.LiteLLMModel` calls it when
a loop ends (:func:`~agentkit.models._loop_close.close_at_loop_end`). Internals it does not find are
left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

__all__ = ["close_loop_clients", "loop_token", "using_loop"]

_live_tokens: set[object] = set()
"""Tokens of the loops that use litellm through agentkit and have not ended yet."""


def loop_token(litellm: Any) -> object:
    """The suffix litellm puts on the running loop's cache keys (``None`` outside a loop)."""
    try:
        from litellm.caching.evicted_client_closer import running_loop_token
    except ImportError:  # older litellm: the key ends with id(loop)
        return id(asyncio.get_running_loop())
    return running_loop_token()


def using_loop(token: object) -> None:
    """Note that the loop with this token uses litellm (until :func:`close_loop_clients` for it)."""
    _live_tokens.add(token)


async def close_loop_clients(litellm: Any, token: object) -> None:
    """Close and forget litellm's cached clients of the loop whose cache keys end with ``-{token}``,
    and the shared module-level client when no other loop uses litellm."""
    _live_tokens.discard(token)
    cache = getattr(litellm, "in_memory_llm_clients_cache", None)
    entries = getattr(cache, "cache_dict", None)
    if cache is not None and isinstance(entries, dict):
        suffix = f"-{token}"
        for key in [k for k in entries if isinstance(k, str) and k.endswith(suffix)]:
            handler = entries.get(key)
            with contextlib.suppress(Exception):  # best effort: never fail a loop that is shutting down
                cache.delete_cache(key)
            await _close(getattr(handler, "_client", None))
    if not _live_tokens:
        shared = vars(litellm).get("module_level_aclient")  # not the attribute: that would create one
        await _close(getattr(shared, "_client", None))  # litellm makes a new one when it is closed


async def _close(client: object) -> None:
    close = getattr(client, "aclose", None)
    if close is not None and not getattr(client, "is_closed", True):
        with contextlib.suppress(Exception):
            await close()
