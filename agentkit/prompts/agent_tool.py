"""Templates used by agents run as tools of other agents (:meth:`agentkit.Agent.as_tool`).

The parent agent's model sees these texts: the ``task`` parameter's description and the failures of a
sub-agent run. ``string.Template`` syntax (``$name``).
"""

TEMPLATES: dict[str, str] = {
    "agent_tool_task": (
        "The task for this agent, complete and self-contained: it sees nothing else of your conversation."
    ),
    "agent_tool_no_budget": (
        "Agent tool '$tool' was not run: this run's budget has no $limit left. Answer with what you have."
    ),
    "agent_tool_budget": (
        "Agent tool '$tool' stopped at its budget limit $limit before it answered. Give it a smaller task, "
        "or answer without it."
    ),
    "agent_tool_failed": (
        "Agent tool '$tool' failed; try a clearer or smaller task, or answer without it. "
        "The agent's error: $error_type: $error"
    ),
}
