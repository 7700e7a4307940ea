"""Test-time compute strategies over whole agent runs and over agent steps.

Pass one as ``agent.run(task, strategy=...)``. Every strategy drives the ordinary loop as a caller
(whole runs with ``agent.run``, steps with ``agent.iter`` and forks), so tools, typed outputs, events
and budgets work as in a plain run:

- :class:`BestOfN`: n runs in parallel, chosen by a verifier (``weighted=True`` sums per answer);
- :class:`SelfConsistency`: k runs, majority vote over the typed outputs;
- :class:`AdaptiveConsistency`: majority vote that stops sampling once the leading answer is settled;
- :class:`Reflect`: draft → critique → revise until the critic accepts;
- :class:`BeamSearch` and :class:`DVTS`: searches over agent steps with a step scorer.

Shared rules: the run's budget is global across branches (and judges); ``concurrency`` caps the model
requests in flight; branches refuse mutating tools unless :class:`ToolPolicy` opts in, and share the
results of identical pure tool calls. The result is a :class:`StrategyResult` with every
:class:`Candidate` (score, tokens, cost, status) and the reason for the choice; events carry their
branch.
"""

from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies.adaptive import AdaptiveConsistency
from agentkit.strategies.base import Strategy
from agentkit.strategies.beam import BeamSearch
from agentkit.strategies.best_of_n import BestOfN
from agentkit.strategies.dvts import DVTS
from agentkit.strategies.reflect import ModelCritic, Reflect
from agentkit.strategies.result import Candidate, CandidateStatus, NoCandidateError, StrategyResult, Vote
from agentkit.strategies.self_consistency import SelfConsistency
from agentkit.strategies.step_scorers import (
    Aggregate,
    FunctionStepScorer,
    JudgeStepScorer,
    StepContext,
    StepScorer,
    StepScorerLike,
    aggregate_scores,
    as_step_scorer,
)
from agentkit.strategies.verifiers import (
    FunctionVerifier,
    JudgeVerifier,
    PydanticVerifier,
    RewardVerifier,
    TestsVerifier,
    Verdict,
    Verifier,
    VerifierLike,
    VerifyContext,
    as_verifier,
)

__all__ = [
    "DVTS",
    "AdaptiveConsistency",
    "Aggregate",
    "BeamSearch",
    "BestOfN",
    "Candidate",
    "CandidateStatus",
    "FunctionStepScorer",
    "FunctionVerifier",
    "JudgeStepScorer",
    "JudgeVerifier",
    "ModelCritic",
    "NoCandidateError",
    "PydanticVerifier",
    "Reflect",
    "RewardVerifier",
    "SelfConsistency",
    "StepContext",
    "StepScorer",
    "StepScorerLike",
    "Strategy",
    "StrategyResult",
    "TestsVerifier",
    "ToolPolicy",
    "Verdict",
    "Verifier",
    "VerifierLike",
    "VerifyContext",
    "Vote",
    "aggregate_scores",
    "as_step_scorer",
    "as_verifier",
]
