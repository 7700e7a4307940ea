"""agentkit: one controller loop for reasoning models, typed tools, test-time compute, durable runs."""

from agentkit.agent import Agent, AgentRun, RunOptions
from agentkit.context import RunContext
from agentkit.exceptions import (
    AgentkitError,
    BudgetExceeded,
    ModelHTTPError,
    ModelRetry,
    OutputValidationError,
    ToolDefinitionError,
    ToolRetriesExceeded,
    UnexpectedModelBehavior,
    UserError,
)
from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.result import AgentResult
from agentkit.settings import ModelSettings
from agentkit.tools import Tool, ToolRegistry, tool
from agentkit.usage import Budget, Usage

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "AgentResult",
    "AgentRun",
    "AgentkitError",
    "Budget",
    "BudgetExceeded",
    "ModelHTTPError",
    "ModelRequest",
    "ModelResponse",
    "ModelRetry",
    "ModelSettings",
    "OutputValidationError",
    "ReasoningPart",
    "RetryPrompt",
    "RunContext",
    "RunOptions",
    "SystemPart",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolDefinitionError",
    "ToolRegistry",
    "ToolResult",
    "ToolRetriesExceeded",
    "UnexpectedModelBehavior",
    "Usage",
    "UserError",
    "UserPart",
    "__version__",
    "tool",
]
