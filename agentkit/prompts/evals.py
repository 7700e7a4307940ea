"""Templates used by evaluations (:mod:`agentkit.evals`): the model judge's instructions and prompt.

``string.Template`` syntax (``$name``).
"""

TEMPLATES: dict[str, str] = {
    "eval_judge_instructions": (
        "You are a strict grader. You read a task, a reference answer (when there is one) and a candidate "
        "answer, and grade the candidate against the rubric. Give a short justification, then a score from "
        "0 (wrong or useless) to 10 (fully correct and complete)."
    ),
    "eval_judge_prompt": (
        "Task:\n$task\n\nReference answer:\n$expected\n\nCandidate answer:\n$answer\n\nRubric:\n$rubric"
    ),
    "eval_judge_no_reference": "(none: judge the candidate on its own merits)",
    "eval_judge_default_rubric": (
        "The candidate answer solves the task correctly and completely, and agrees with the reference answer "
        "when one is given."
    ),
}
