"""Templates of prompted tool calling (:mod:`agentkit.models.prompted`).

The model sees tools described in its system prompt and answers with one JSON object: a tool call or
the final answer. They are kept short: the embedded local model is a 135M model with a small context.
"""

from __future__ import annotations

__all__ = ["TEMPLATES"]

TEMPLATES: dict[str, str] = {
    # --- the system prompt -------------------------------------------------------------------
    "prompted_system": "$instructions\n\n$body",
    "prompted_tools": "You can call these tools:\n$tools",
    "prompted_tool_line": "- $name($params): $description",
    "prompted_tool_line_bare": "- $name($params)",
    "prompted_param_line": "    $name: $description",
    "prompted_format": (
        "Reply with one JSON object and nothing else:\n"
        '{"tool": "<tool name>", "arguments": {...}} to call a tool, or\n'
        '{"final_answer": $answer} to give your final answer.'
    ),
    "prompted_format_final": 'Reply with one JSON object and nothing else:\n{"final_answer": $answer}',
    "prompted_answer_text": '"<your answer>"',
    "prompted_answer_typed": "<$type>",
    # --- the history as plain turns ----------------------------------------------------------
    "prompted_tool_result": "Result of $tool: $content",
    "prompted_tool_error": "Error from $tool: $content",
    # --- a reply that can't be used: the retry prompt is `prompted_format_error` with a problem -
    "prompted_format_error": (
        "Your reply could not be used: $problem.\n"
        'Reply with one JSON object only: {"tool": "<tool name>", "arguments": {...}} '
        'or {"final_answer": ...}.'
    ),
    "prompted_format_error_final": (
        'Your reply could not be used: $problem.\nReply with one JSON object only: {"final_answer": ...}.'
    ),
    "prompted_problem_empty": "it was empty",
    "prompted_problem_no_json": "it contains no JSON object",
    "prompted_problem_bad_json": "its JSON is invalid ($error)",
    "prompted_problem_no_action": 'the JSON object has neither a "tool" nor a "final_answer" key (keys: $keys)',
    "prompted_problem_bad_tool": '"tool" must be a string naming a tool, not $value',
    "prompted_problem_bad_arguments": '"arguments" of tool $tool must be a JSON object, not $value',
    "prompted_problem_tools_closed": "no more tools may be called (you called $tool); give your final answer",
    # --- a weak model repeating itself -------------------------------------------------------
    "prompted_repeated_call": (
        "You already called $tool with these arguments; the result is above. "
        "Do not call it again: give your final answer now."
    ),
}
