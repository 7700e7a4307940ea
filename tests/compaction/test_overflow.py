"""A provider's context-overflow error, in each provider's wording, is a typed ContextWindowExceeded."""

from __future__ import annotations

import pickle

import pytest

from agentkit import ContextWindowExceeded, ModelHTTPError
from agentkit.messages import ModelRequest, UserPart
from agentkit.models._errors import Failure, final_error
from agentkit.models.base import Model, RequestParams
from agentkit.settings import ModelSettings
from tests.emulator import Emulator, Fault
from tests.models._helpers import anthropic_model, deepseek_model, plain_chat_model, responses_model

WORDINGS = [
    pytest.param(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 204308 tokens. "
        "Please reduce the length of the messages.",
        128000,
        204308,
        id="openai-chat",
    ),
    pytest.param(
        "This model's maximum context length is 8192 tokens. However, you requested 8213 tokens (6683 in the "
        "messages, 730 in the functions, and 800 in the completion). Please reduce the length of the messages, "
        "functions, or completion.",
        8192,
        8213,
        id="openai-chat-functions",
    ),
    pytest.param(
        "Your input exceeds the context window of this model. Please adjust your input and try again.",
        None,
        None,
        id="openai-responses",
    ),
    pytest.param(
        "the response failed mid-stream: Your input exceeds the context window of this model. Please adjust your "
        "input and try again.",
        None,
        None,
        id="openai-responses-stream",
    ),
    pytest.param("prompt is too long: 208310 tokens > 200000 maximum", 200000, 208310, id="anthropic"),
    pytest.param(
        "input length and `max_tokens` exceed context limit: 199759 + 8192 > 200000, decrease input length or "
        "`max_tokens` and try again",
        200000,
        199759,
        id="anthropic-max-tokens",
    ),
    pytest.param(
        "This model's maximum context length is 65536 tokens. However, you requested 66343 tokens (62247 in the "
        "messages, 4096 in the completion). Please reduce the length of the messages or completion.",
        65536,
        66343,
        id="deepseek",
    ),
    pytest.param(
        "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum context length is 4096 "
        "tokens and your request has 2778 input tokens (8000 > 4096 - 2778). None",
        4096,
        2778,
        id="vllm",
    ),
    pytest.param(
        "This endpoint's maximum context length is 32768 tokens. However, you requested about 42832 tokens (42832 "
        'of text input). Please reduce the length of either one, or use the "middle-out" transform to compress '
        "your prompt automatically.",
        32768,
        42832,
        id="openrouter",
    ),
    pytest.param(
        "request (4476 tokens) exceeds the available context size (4096 tokens), try increasing it",
        4096,
        4476,
        id="llama.cpp",
    ),
    pytest.param("the request exceeds the available context size, try increasing it", None, None, id="llama.cpp-older"),
    pytest.param(
        "The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).",
        1048576,
        1200293,
        id="gemini",
    ),
]


@pytest.mark.parametrize(("message", "window", "tokens"), WORDINGS)
def test_each_wording_is_a_context_overflow(message: str, window: int | None, tokens: int | None) -> None:
    error = final_error("m", Failure(message, status=400), attempts=1)
    assert isinstance(error, ContextWindowExceeded)
    assert isinstance(error, ModelHTTPError)
    assert (error.window, error.tokens, error.status_code) == (window, tokens, 400)


def test_the_message_names_the_problem_and_the_fix() -> None:
    error = final_error("gpt-4o", Failure("prompt is too long: 208310 tokens > 200000 maximum", status=400), 1)
    assert str(error) == (
        "Model 'gpt-4o' answered HTTP 400: prompt is too long: 208310 tokens > 200000 maximum. The conversation is "
        "longer than the model's context window: keep context management on (Agent(context=ContextPolicy(...))), "
        "give it the server's real window with ContextPolicy(window=...), or shorten the prompt and the tool results"
    )


def test_an_error_code_alone_is_enough() -> None:
    body = {"error": {"message": "too big", "type": "invalid_request_error", "code": "context_length_exceeded"}}
    error = final_error("m", Failure("too big", status=400, body=body), 1)
    assert isinstance(error, ContextWindowExceeded) and error.window is None
    llama = {
        "error": {"code": 400, "message": "x", "type": "exceed_context_size_error", "n_prompt_tokens": 9, "n_ctx": 8}
    }
    error = final_error("m", Failure("x", status=400, body=llama), 1)
    assert isinstance(error, ContextWindowExceeded) and (error.window, error.tokens) == (8, 9)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "Unsupported parameter: 'temperature' is not supported with this model."),
        (429, "This model's maximum context length is 8192 tokens."),  # not a refusal of the request's size
        (500, "prompt is too long: 9 tokens > 8 maximum"),
    ],
)
def test_other_errors_are_not_overflows(status: int, message: str) -> None:
    assert not isinstance(final_error("m", Failure(message, status=status), 1), ContextWindowExceeded)


def test_it_survives_pickling_as_durable_runs_record_it() -> None:
    error = final_error("m", Failure("prompt is too long: 9 tokens > 8 maximum", status=400), 1)
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ContextWindowExceeded)
    assert (str(copy), copy.window, copy.tokens, copy.model_name) == (str(error), 8, 9, "m")


async def _overflowing(model: Model) -> ContextWindowExceeded:
    with pytest.raises(ContextWindowExceeded) as caught:
        await model.request([ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(), RequestParams())
    return caught.value


async def test_through_the_chat_completions_adapter(emulator: Emulator) -> None:
    emulator.script(Fault.http_error(400, WORDINGS[0].values[0]))  # type: ignore[arg-type]
    error = await _overflowing(plain_chat_model(emulator))
    assert (error.window, error.tokens) == (128000, 204308)


async def test_through_the_responses_adapter(emulator: Emulator) -> None:
    emulator.script(Fault.http_error(400, WORDINGS[2].values[0]))  # type: ignore[arg-type]
    error = await _overflowing(responses_model(emulator))
    assert (error.window, error.tokens) == (None, None)


async def test_through_litellm_to_anthropic(emulator: Emulator) -> None:
    emulator.script(Fault.http_error(400, "prompt is too long: 208310 tokens > 200000 maximum"))
    error = await _overflowing(anthropic_model(emulator))
    assert (error.window, error.tokens) == (200000, 208310)


async def test_through_the_deepseek_adapter(deepseek_emulator: Emulator) -> None:
    deepseek_emulator.script(Fault.http_error(400, WORDINGS[6].values[0]))  # type: ignore[arg-type]
    error = await _overflowing(deepseek_model(deepseek_emulator))
    assert (error.window, error.tokens) == (65536, 66343)
