"""Messages serialise to JSON and back without loss (property test)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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
    dump_messages,
    load_messages,
)
from agentkit.usage import Usage

texts = st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
request_parts = st.one_of(
    st.builds(SystemPart, content=texts),
    st.builds(UserPart, content=texts),
    st.builds(ToolResult, call_id=texts, name=texts, content=json_values),
    st.builds(RetryPrompt, content=texts, call_id=st.none() | texts, name=st.none() | texts),
)
response_parts = st.one_of(
    st.builds(
        ReasoningPart,
        content=texts,
        provider=st.none() | texts,
        id=st.none() | texts,
        signature=st.none() | texts,
        encrypted_content=st.none() | texts,
        redacted=st.booleans(),
        data=st.dictionaries(texts, json_values, max_size=2),
    ),
    st.builds(TextPart, content=texts),
    st.builds(ToolCall, id=texts, name=texts, arguments=texts, provider_id=st.none() | texts),
)
usages = st.builds(
    Usage,
    input_tokens=st.integers(0, 10**9),
    output_tokens=st.integers(0, 10**9),
    reasoning_tokens=st.integers(0, 10**9),
    cost_usd=st.floats(0, 1000, allow_nan=False),
)
messages = st.lists(
    st.one_of(
        st.builds(ModelRequest, parts=st.lists(request_parts, max_size=4)),
        st.builds(
            ModelResponse,
            parts=st.lists(response_parts, max_size=4),
            usage=usages,
            model_name=st.none() | texts,
            provider=st.none() | texts,
            finish_reason=st.none() | texts,
        ),
    ),
    max_size=5,
)


@given(messages)
def test_json_round_trip_is_lossless(history: list[ModelRequest | ModelResponse]) -> None:
    assert load_messages(dump_messages(history)) == history


def test_part_helpers() -> None:
    response = ModelResponse(
        parts=[ReasoningPart(content="r", signature="s"), TextPart(content="a"), ToolCall.create("f", {"x": 1}, id="1")]
    )
    assert (response.text, response.reasoning, response.tool_calls[0].arguments) == ("a", "r", '{"x": 1}')
    assert response.parts[0].has_opaque_state  # type: ignore[union-attr]
    assert ToolResult(call_id="1", name="f", content={"a": 1}).content_text() == '{"a": 1}'
