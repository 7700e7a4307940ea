"""Templates about images and documents a tool returned (see :mod:`agentkit.attachments`).

``string.Template`` syntax (``$name``).
"""

TEMPLATES: dict[str, str] = {
    "tool_result_file": "The tool returned the $kind '$label' ($media_type); it is attached.",
    "tool_files_follow_up": (
        "The files returned by these tool calls, attached here because a tool result can't hold them: $tools."
    ),
}
