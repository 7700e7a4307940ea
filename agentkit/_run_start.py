"""The :class:`~agentkit.events.RunStart` event of a run: what the model is told before the first request.

It records the run's instructions, the tool definitions (with the final-answer tool of a structured
output), the settings that differ from their defaults and the budget, so that reports and traces can
show how the run was set up from its events alone.
"""

from __future__ import annotations

from typing import Any

from agentkit._loop import RunConfig
from agentkit.events import RunStart
from agentkit.tools import ToolDefinition

__all__ = ["run_start_event"]


def run_start_event(config: RunConfig[Any], prompt: str) -> RunStart:
    """The ``RunStart`` event of the run ``config`` describes, for the task ``prompt``."""
    definitions = [*config.registry.definitions()]
    if (output_tool := config.output.tool_definition()) is not None:
        definitions.append(output_tool)
    budget = config.budget
    return RunStart(
        run_id=config.run_id,
        model=f"{config.model.provider}:{config.model.model_name}",
        prompt=prompt,
        instructions=config.instructions.text,
        tools=[_tool(d) for d in definitions],
        settings=config.settings.model_dump(mode="json", exclude_defaults=True),
        budget=None if budget is None else budget.model_dump(mode="json", exclude_defaults=True),
    )


def _tool(definition: ToolDefinition) -> dict[str, Any]:
    return {"name": definition.name, "description": definition.description, "parameters": definition.parameters}
