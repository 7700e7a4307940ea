"""Templates used by the controller loop."""

TEMPLATES: dict[str, str] = {
    "tool_args_invalid": (
        "The arguments for tool '$tool' are invalid: $error\nFix the arguments and call the tool again."
    ),
    "tool_args_not_json": (
        "The arguments for tool '$tool' are not valid JSON ($error). "
        "Send the arguments as one JSON object and call the tool again."
    ),
    "tool_unknown": "Unknown tool '$tool'. Available tools: $available. Call one of these or give your answer.",
    "tool_failed": "Tool '$tool' raised $error_type: $error\nFix the problem and try again, or answer without it.",
    "tool_result_invalid": (
        "Tool '$tool' returned a value that can't be turned into JSON ($error). This is a fault of the "
        "tool, not of your arguments: try other arguments, another tool, or answer without it."
    ),
    "tool_result_bytes_note": (
        "The tool returned $size bytes of binary data that are not UTF-8 text; 'data' holds them in base64."
    ),
    "tool_exited": (
        "Tool '$tool' tried to stop the program ($error_type: $error); it was stopped instead. "
        "Try other arguments, another tool, or answer without it."
    ),
    "tool_timeout": (
        "Tool '$tool' did not finish within $seconds seconds. Calling it again is safe; try different "
        "arguments or answer without it."
    ),
    "tool_timeout_mutating": (
        "Tool '$tool' did not finish within $seconds seconds. Its outcome is unknown: it may have completed; "
        "check before retrying."
    ),
    "tool_out_of_time": "Tool '$tool' did not finish before the time budget of this run ran out.",
    "tool_out_of_time_mutating": (
        "Tool '$tool' did not finish before the time budget of this run ran out. Its outcome is unknown: "
        "it may have completed; check before retrying."
    ),
    "tool_no_time_left": (
        "Tool '$tool' was not run: the time budget of this run is used up. Answer with what you have."
    ),
    "tool_busy": (
        "Tool '$tool' was not run: an earlier call of the mutating tool '$running' did not finish and is "
        "still running, and mutating tools never run at the same time. That call's outcome is unknown: "
        "check whether it completed before calling a mutating tool again."
    ),
    "tool_retry": "$message",
    "tool_call_limit": (
        "Tool '$tool' was not run: the tool-call budget of this run is used up. Answer with what you have."
    ),
    "tool_skipped_final": "Tool '$tool' was not run because the final answer was given in the same turn.",
    "final_answer_recorded": "Final answer recorded.",
    "tool_call_cancelled": "Tool '$tool' has no result: the run was cancelled before this call finished.",
    "tool_call_unanswered": "Tool '$tool' has no result: the run ended ($why) before this call was answered.",
    "tool_needs_approver": (
        "Tool '$tool' was not run: it needs approval and this run has no approver. Answer without it."
    ),
    "tool_denied": "The user did not approve the call to tool '$tool' (reason: $reason). Do not retry it as is.",
    "output_invalid": "Your final answer is invalid: $error\nFix it and answer again.",
    "output_tool_required": ("Give your final answer by calling the tool '$tool' with the answer as its arguments."),
    "empty_response": "Your response was empty. Call a tool or give your final answer.",
    "final_answer_now": (
        "You have reached the limit of this run ($limit). Do not call any more tools. Using only what "
        "you already know, give your best final answer now."
    ),
    "output_tool_description": "Give the final answer of the task. Call this once, when you are done.",
}
