"""Templates of context management (:mod:`agentkit.compaction`): what replaces cleared tool results,
the request that asks the model for a summary of older turns, and the note that carries it."""

TEMPLATES: dict[str, str] = {
    "tool_result_cleared": (
        "[The result of tool '$tool' (call $call_id, $chars characters) was cleared to keep the conversation "
        "within the context window. Call the tool again if you need it.]"
    ),
    "compaction_instructions": (
        "You compress the transcript of an agent's work into a summary the agent continues from. The agent "
        "will see only your summary instead of the transcript, so keep everything it needs: the task exactly "
        "as given, decisions made and why, facts found (names, numbers, identifiers, file paths, results of "
        "tool calls), what was tried and failed, and the open items still to do. Drop repetition and "
        "pleasantries. Write plain text with short sections; no preamble."
    ),
    "compaction_request": (
        "Summary of the work before this part (may be empty):\n$previous\n\nTranscript to add:\n$transcript\n\n"
        "Write the updated summary of everything above, keeping the task, decisions, facts found and open "
        "items. At most about $words words."
    ),
    "compaction_note": (
        "[Earlier turns of this conversation were summarized to keep it within the context window. "
        "Summary:]\n$summary\n[End of summary. Continue the task from here.]"
    ),
    "compaction_line_instructions": "[instructions] $text",
    "compaction_line_user": "[user] $text",
    "compaction_line_assistant": "[assistant] $text",
    "compaction_line_reasoning": "[assistant's reasoning] $text",
    "compaction_line_call": "[assistant calls tool '$tool', call $call_id] $arguments",
    "compaction_line_result": "[result of call $call_id, tool '$tool'] $text",
    "compaction_line_retry": "[error sent back to the assistant] $text",
    "compaction_line_cut": "[... $chars characters left out ...]",
}
