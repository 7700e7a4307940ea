"""Templates used by test-time compute strategies (:mod:`agentkit.strategies`).

Judges, critics and process-reward scorers see these texts; revisions and refused tool calls in
branches too. ``string.Template`` syntax (``$name``).
"""

TEMPLATES: dict[str, str] = {
    "strategy_tool_refused": (
        "Tool '$tool' changes external state and was not run: this run is one of several speculative "
        "attempts, where such tools are disabled. Continue without it, or give your best answer."
    ),
    "judge_instructions": (
        "You are a strict grader. You read a task and a candidate answer and grade the answer against "
        "the rubric. Give a short justification, then a score from 0 (wrong or useless) to 10 (fully "
        "correct and complete)."
    ),
    "judge_prompt": "Task:\n$task\n\nCandidate answer:\n$answer\n\nRubric:\n$rubric",
    "judge_default_rubric": "The answer solves the task correctly and completely.",
    "critic_instructions": (
        "You review a draft answer to a task. If the draft is correct and complete, accept it. Otherwise "
        "do not accept it and write a short, specific critique: what is wrong and how to fix it."
    ),
    "critic_prompt": "Task:\n$task\n\nDraft answer:\n$answer\n\nWhat a good answer needs:\n$rubric",
    "reflect_revise": (
        "A reviewer found problems with your previous answer:\n$critique\n\nRevise your answer to fix "
        "them. Give the complete corrected answer."
    ),
    "reflect_rejected_no_feedback": "The answer did not pass the check ($score). Find the mistake and fix it.",
    "prm_instructions": (
        "You judge the latest step of an agent working on a task. Rate how likely it is that this step "
        "is correct and leads towards a correct final answer, from 0 (wrong or a dead end) to 10 "
        "(certainly correct and useful)."
    ),
    "prm_prompt": "Task:\n$task\n\nSteps so far:\n$transcript\n\nCriteria:\n$rubric",
    "prm_default_rubric": "Each step is logically valid, uses tools correctly and makes progress on the task.",
    "transcript_user": "User: $text",
    "transcript_assistant": "Assistant: $text",
    "transcript_tool_call": "Assistant calls $tool($arguments)",
    "transcript_tool_result": "Tool $tool returned: $text",
    "transcript_retry": "Correction: $text",
    "transcript_step": "--- step $step ---",
}
