"""Provider error bodies and the exact error texts the real APIs answer with.

Every text below was copied from an error a real provider returned, as quoted in
public bug reports (the source of each is named next to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .signing import new_id

Provider = Literal["openai", "deepseek", "anthropic", "gemini"]

# --- OpenAI Responses API ------------------------------------------------------------
# continuedev/continue#8933, vercel/ai#7099 (400, type invalid_request_error, param "input").
REASONING_WITHOUT_FOLLOWER = "Item '{item_id}' of type 'reasoning' was provided without its required following item."
# mastra-ai/mastra#8738 (400, param "input"); continuedev/continue#12620 shows the 'message' variant.
ITEM_WITHOUT_REASONING = (
    "Item '{item_id}' of type '{item_type}' was provided without its required 'reasoning' item: '{reasoning_id}'."
)
# can1357/oh-my-pi#41, anomalyco/opencode#8987 (HTTP 404).
ITEM_NOT_PERSISTED = (
    "Item with id '{item_id}' not found. Items are not persisted when `store` is set to false. "
    "Try again with `store` set to true, or remove this item from your input."
)
# maximhq/bifrost#2441 (400, code "previous_response_not_found").
PREVIOUS_NOT_FOUND = "Previous response with id '{response_id}' not found."
# The store=true form of the 404 above (same wording, first sentence only; not seen verbatim).
ITEM_NOT_FOUND = "Item with id '{item_id}' not found."
# openai/codex#8145, #8128 (400, param null, code "invalid_encrypted_content"); "gAAA...DQ==" abbreviation.
ENCRYPTED_NOT_VERIFIED = "The encrypted content {abbreviated} could not be verified."
# router-for-me/CLIProxyAPI#2368 (400, param "input").
NO_TOOL_OUTPUT = "No tool output found for function call {call_id}."
# continuedev/continue#10092, microsoft/vscode#320060 (400, param "input").
NO_TOOL_CALL = "No tool call found for function call output with call_id {call_id}."
# AnswerDotAI/fastllm#45, decolua/9router#393 (400, code "string_above_max_length", param "input[N].call_id").
CALL_ID_TOO_LONG = (
    "Invalid 'input[{index}].call_id': string too long. Expected a string with maximum length {limit}, "
    "but got a string with length {length} instead."
)
RESPONSES_CALL_ID_LIMIT = 64

# --- OpenAI Chat Completions ---------------------------------------------------------
# BerriAI/litellm#10083, sdcb/chats#132 (400, param "messages.[57].role", code null).
TOOL_CALLS_UNANSWERED = (
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
    "'tool_call_id'. The following tool_call_ids did not have response messages: {call_ids}"
)
# openai/openai-go#43, sdcb/chats#132 (400, param "messages.[59].role"; OpenAI's spelling "preceeding").
TOOL_WITHOUT_CALL = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
)
# agno-agi/agno#5116 (400, type invalid_request_error, param "messages.[8].tool_call_id", code null).
DUPLICATE_TOOL_CALL_ID = (
    "Invalid parameter: Duplicate value for 'tool_call_id' of '{call_id}', in messages[{first}] and messages[{second}]."
)
# OpenHands/OpenHands#7700, openai/openai-node#1030 (400 invalid_request_error): an image_url part in a
# message whose role is not 'user' (tool, assistant, system); the param was not quoted.
IMAGE_NOT_IN_USER_MESSAGE = (
    "Invalid 'messages[{index}]'. Image URLs are only allowed for messages with role 'user', but this message "
    "with role '{role}' contains an image URL."
)
# linanwx/nagobot#27 (Responses: 400, param "input[2].output[0]", code "invalid_value"): a function_call_output
# whose output list holds a part that is not an input part.
TOOL_OUTPUT_PART_TYPE = (
    "Invalid value: '{type}'. Supported values are: 'input_text', 'input_image', 'input_file', and 'scoped_content'."
)
# Rate limit / server errors as OpenAI words them.
OPENAI_RATE_LIMIT = (
    "Rate limit reached for {model} in organization org-emulator on requests per min (RPM): "
    "Limit 60, Used 60, Requested 1. Please try again in {retry_after}s. "
    "Visit https://platform.openai.com/account/rate-limits to learn more."
)
OPENAI_SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
OPENAI_OVERLOADED = (
    "That model is currently overloaded with other requests. You can retry your request, or contact us "
    "through our help center at help.openai.com if the error persists."
)
OPENAI_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. "
    "If you have trouble figuring out how to fix this, please contact us through our help center at "
    "help.openai.com.)"
)

# --- DeepSeek ------------------------------------------------------------------------
# continuedev/continue#9831, #9720, lobehub/lobehub#11288 (400, type and code "invalid_request_error").
DEEPSEEK_MISSING_REASONING = (
    "Missing `reasoning_content` field in the assistant message at message index {index}. "
    "For more information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls"
)
# deepseek-v4-* models: anomalyco/opencode#24083, crewAIInc/crewAI#5878 (same envelope).
DEEPSEEK_V4_MISSING_REASONING = "The reasoning_content in the thinking mode must be passed back to the API."
# itmisx/deepx-code#94 (DeepSeek: 400, param null, code "invalid_request_error").
DEEPSEEK_TOOL_WITHOUT_CALL = "Messages with role 'tool' must be a response to a preceding message with 'tool_calls'"
# DeepSeek's documented error-code descriptions (api-docs.deepseek.com/quick_start/error_codes).
DEEPSEEK_STATUS_TEXT = {429: "Rate Limit Reached", 500: "Server Error", 503: "Server Overloaded"}

# --- Anthropic Messages --------------------------------------------------------------
# anthropics/claude-code#5955 (400 invalid_request_error): an image block whose base64 media_type is not one
# Anthropic reads; {path} is the block's location, e.g. messages.62.content.0.tool_result.content.0.
IMAGE_MEDIA_TYPE = (
    "{path}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
)
# deepset-ai/haystack-core-integrations#2146, Kilo-Org/kilocode#5219 (400 invalid_request_error).
FINAL_ASSISTANT_NEEDS_THINKING = (
    "messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. "
    "When `thinking` is enabled, a final `assistant` message must start with a thinking block "
    "(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include "
    "thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult "
    "our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)
# BerriAI/litellm#18926, tailcallhq/forgecode#1853 (400 invalid_request_error): thinking switched off while the
# assistant messages of the turn in progress (a tool loop) carry thinking blocks.
THINKING_DISABLED_IN_TURN = (
    "messages.{index}.content.{block}: When thinking is disabled, an `assistant` message in the final position "
    "cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request."
)
# mastra-ai/mastra#7507, can1357/oh-my-pi#341 (400 invalid_request_error): tool_choice "any" or "tool" with
# manual thinking (type "enabled"); adaptive thinking accepts it.
THINKING_WITH_FORCED_TOOL = "Thinking may not be enabled when tool_choice forces tool use."
# liuw1535/antigravity2api-nodejs#149, #150 (400 invalid_request_error); not raised with the beta header
# interleaved-thinking-2025-05-14, where the budget spans the whole tool loop.
MAX_TOKENS_NOT_ABOVE_BUDGET = (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
)
# anthropics/claude-code#10627, ding113/claude-code-hub#518.
INVALID_SIGNATURE = "messages.{index}.content.{block}: Invalid `signature` in `thinking` block"
# anthropics/claude-code#56708.
INVALID_REDACTED_DATA = "messages.{index}.content.{block}: Invalid `data` in `redacted_thinking` block"
# anthropics/claude-code#5060, #5989.
TOOL_USE_WITHOUT_RESULT = (
    "messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: {ids}. "
    "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
)
# anthropics/claude-code#13460, router-for-me/CLIProxyAPI#497 (400 invalid_request_error).
TOOL_RESULT_WITHOUT_USE = (
    "messages.{index}.content.{block}: unexpected `tool_use_id` found in `tool_result` blocks: {ids}. "
    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
)
# anthropics/claude-code#71669 (429 rate_limit_error); 529 overloaded_error "Overloaded"; 500 api_error.
ANTHROPIC_STATUS = {
    429: ("rate_limit_error", "This request would exceed your account's rate limit. Please try again later."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
    503: ("overloaded_error", "Overloaded"),
    400: ("invalid_request_error", "Invalid request"),
}
ANTHROPIC_BAD_JSON = "There was an error parsing the body: the request body is not valid JSON"

# --- Gemini generateContent (Google AI Studio; 400 status INVALID_ARGUMENT) ------------
# manthanabc/paws#103, lbjlaq/Antigravity-Manager#2157, csells/dartantic#86 (Gemini 3 models).
GEMINI_MISSING_SIGNATURE = (
    "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
    "correctly, and missing thought_signature may lead to degraded model performance. Additional data, function "
    "call `default_api:{name}` , position {position}. Please refer to "
    "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)
# AI Studio's answer to a signature it did not mint (litellm rejected_thought_signature_retry.py quotes it).
GEMINI_CORRUPTED_SIGNATURE = "Corrupted thought signature."
# google-gemini/gemini-cli#4217, #16415.
GEMINI_RESPONSE_COUNT = (
    "Please ensure that the number of function response parts is equal to the number of function call parts of "
    "the function call turn."
)
# google-gemini/gemini-cli#11814, #26486 (call turn); langchain-ai/langchain#27799,
# GoogleCloudPlatform/generative-ai#368 (response turn).
GEMINI_CALL_TURN_PLACE = (
    "Please ensure that function call turn comes immediately after a user turn or after a function response turn."
)
GEMINI_RESPONSE_TURN_PLACE = "Please ensure that function response turn comes immediately after a function call turn."
# google-gemini/gemini-cli#8437 (older form), PublicAffairs/openai-gemini#15, anig1scur/tocify#22.
GEMINI_STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
}
GEMINI_BAD_JSON = "Invalid JSON payload received. Unexpected token."


@dataclass(frozen=True)
class ProviderError:
    """An HTTP error answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The human-readable error message inside the body."""
        return str(self.body["error"]["message"])


def openai_error(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProviderError:
    """An error in OpenAI's envelope (also used by DeepSeek and other compatible servers)."""
    error = {"message": message, "type": type_, "param": param, "code": code}
    return ProviderError(status, {"error": error}, dict(headers or {}))


def anthropic_error(
    status: int, message: str, *, type_: str = "invalid_request_error", headers: Mapping[str, str] | None = None
) -> ProviderError:
    """An error in Anthropic's envelope, with a ``request_id``."""
    request_id = new_id("req_", 12)
    body = {"type": "error", "error": {"type": type_, "message": message}, "request_id": request_id}
    return ProviderError(status, body, {"request-id": request_id, **(headers or {})})


def gemini_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> ProviderError:
    """An error in Google's envelope: ``{"error": {"code", "message", "status"}}``."""
    code = GEMINI_STATUS.get(status, ("UNKNOWN", ""))[0]
    return ProviderError(status, {"error": {"code": status, "message": message, "status": code}}, dict(headers or {}))


def deepseek_error(message: str, status: int = 400) -> ProviderError:
    """An error as DeepSeek words it: type and code both ``invalid_request_error``."""
    return openai_error(status, message, code="invalid_request_error")


def status_error(provider: Provider, status: int, model: str, retry_after: float | None) -> ProviderError:
    """The provider's own error body for an injected HTTP status (429, 5xx...)."""
    headers = {"retry-after": _seconds(retry_after)} if retry_after is not None else {}
    if provider == "anthropic":
        type_, message = ANTHROPIC_STATUS.get(status, ("api_error", "Internal server error"))
        return anthropic_error(status, message, type_=type_, headers=headers)
    if provider == "gemini":
        return gemini_error(status, GEMINI_STATUS.get(status, GEMINI_STATUS[500])[1], headers)
    if provider == "deepseek":
        text = DEEPSEEK_STATUS_TEXT.get(status, "Server Error")
        return openai_error(status, text, type_="server_error", headers=headers)
    return _openai_status(status, model, retry_after, headers)


def custom_error(provider: Provider, status: int, message: str, retry_after: float | None) -> ProviderError:
    """A test-chosen message in the provider's error envelope."""
    headers = {"retry-after": _seconds(retry_after)} if retry_after is not None else {}
    if provider == "anthropic":
        type_ = ANTHROPIC_STATUS.get(status, ("api_error", ""))[0]
        return anthropic_error(status, message, type_=type_, headers=headers)
    if provider == "gemini":
        return gemini_error(status, message, headers)
    type_ = "invalid_request_error" if status < 500 else "server_error"
    return openai_error(status, message, type_=type_, headers=headers)


def echo_credentials_error(provider: Provider, status: int, headers: Mapping[str, str]) -> ProviderError:
    """An error whose message and body repeat the request's credentials verbatim (no real provider does;
    a misconfigured proxy might). Lets a test check that a client never shows a key it sent."""
    authorization = headers.get("authorization", "")
    api_key = headers.get("x-api-key", "")
    token = authorization.removeprefix("Bearer ").strip() or api_key
    message = f"Incorrect API key provided: {token}. The request carried Authorization: {authorization}"
    if api_key:
        message += f" and x-api-key: {api_key}"
    problem = custom_error(provider, status, message + ".", None)
    problem.body["received_headers"] = {"authorization": authorization, "x-api-key": api_key}
    return problem


def bad_json_error(provider: Provider) -> ProviderError:
    """The provider's answer to a body that is not JSON."""
    if provider == "anthropic":
        return anthropic_error(400, ANTHROPIC_BAD_JSON)
    if provider == "gemini":
        return gemini_error(400, GEMINI_BAD_JSON)
    return openai_error(400, OPENAI_BAD_JSON)


def _openai_status(status: int, model: str, retry_after: float | None, headers: dict[str, str]) -> ProviderError:
    if status == 429:
        message = OPENAI_RATE_LIMIT.format(model=model, retry_after=_seconds(retry_after or 1))
        return openai_error(429, message, type_="requests", code="rate_limit_exceeded", headers=headers)
    message = OPENAI_OVERLOADED if status == 503 else OPENAI_SERVER_ERROR
    return openai_error(status, message, type_="server_error", headers=headers)


def abbreviate(token: str) -> str:
    """OpenAI's abbreviation of encrypted content in errors: first and last four characters."""
    return f"{token[:4]}...{token[-4:]}" if len(token) > 8 else token


def _seconds(value: float | None) -> str:
    seconds = float(value or 0)
    return str(int(seconds)) if seconds.is_integer() else f"{seconds:g}"
