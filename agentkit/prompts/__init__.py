"""Every text a model sees, as named templates in one place.

Templates use ``string.Template`` syntax (``$name``). :func:`render` fails loudly on a missing value,
so a template and its callers can't drift apart silently. Modules for other areas (prompted tool
calling, strategies) register their templates in :data:`TEMPLATES` from ``agentkit/prompts/*.py``.
"""

from __future__ import annotations

from string import Template

from agentkit.prompts import agent_tool as _agent_tool
from agentkit.prompts import attachments as _attachments
from agentkit.prompts import compaction as _compaction
from agentkit.prompts import core as _core
from agentkit.prompts import evals as _evals
from agentkit.prompts import prompted as _prompted
from agentkit.prompts import strategies as _strategies

__all__ = ["TEMPLATES", "register", "render"]

TEMPLATES: dict[str, str] = {}


def render(name: str, /, **values: object) -> str:
    """Fill template ``name`` with ``values``; a missing value raises ``KeyError``."""
    try:
        template = TEMPLATES[name]
    except KeyError:
        raise KeyError(f"no prompt template named {name!r}; known: {sorted(TEMPLATES)}") from None
    return Template(template).substitute({k: str(v) for k, v in values.items()})


def register(templates: dict[str, str]) -> None:
    """Add templates of another area; a name may only be defined once."""
    clash = set(templates) & set(TEMPLATES)
    if clash:
        raise KeyError(f"prompt templates defined twice: {sorted(clash)}")
    TEMPLATES.update(templates)


for _area in (_core, _prompted, _strategies, _compaction, _evals, _agent_tool, _attachments):
    register(_area.TEMPLATES)
