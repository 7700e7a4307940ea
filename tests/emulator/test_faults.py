"""Injected faults as the real openai client experiences them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from .script import Fault, Reply, ToolCall
from .server import Emulator

USER = {"role": "user", "content": "hi"}


@pytest.fixture
def client(emulator: Emulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=emulator.base_url, api_key="k", max_retries=0, timeout=5) as c:
        yield c


def test_rate_limit_has_openai_text_and_retry_after(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Fault.rate_limit(retry_after=2), Reply(text="ok"))
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[USER])
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.response.json()["error"] == {
        "message": "Rate limit reached for gpt-4o in organization org-emulator on requests per min (RPM): "
        "Limit 60, Used 60, Requested 1. Please try again in 2s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert client.chat.completions.create(model="gpt-4o", messages=[USER]).choices[0].message.content == "ok"
    emulator.assert_all_consumed()


def test_client_retry_honours_retry_after(emulator: Emulator) -> None:
    emulator.script(Fault.rate_limit(retry_after=0.5), Reply(text="ok"))
    with openai.OpenAI(base_url=emulator.base_url, api_key="k", max_retries=1) as retrying:
        started = time.monotonic()
        result = retrying.chat.completions.create(model="gpt-4o", messages=[USER])
        elapsed = time.monotonic() - started
    assert result.choices[0].message.content == "ok"
    assert elapsed >= 0.5
    assert [r.status for r in emulator.requests] == [429, 200]
    assert emulator.requests[1].headers["x-stainless-retry-count"] == "1"


@pytest.mark.parametrize(
    ("status", "error_class", "message"),
    [
        (500, openai.InternalServerError, "The server had an error while processing your request. Sorry about that!"),
        (503, openai.InternalServerError, "That model is currently overloaded with other requests."),
    ],
)
def test_server_errors(
    emulator: Emulator, client: openai.OpenAI, status: int, error_class: type[Exception], message: str
) -> None:
    emulator.script(Fault.server_error(status))
    with pytest.raises(error_class) as caught:
        client.responses.create(model="o4-mini", input="hi")
    assert isinstance(caught.value, openai.APIStatusError)
    assert caught.value.status_code == status
    assert caught.value.response.json()["error"]["message"].startswith(message)
    assert caught.value.response.json()["error"]["type"] == "server_error"


def test_custom_http_error(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Fault.http_error(401, "Incorrect API key provided."))
    with pytest.raises(openai.AuthenticationError, match=r"Incorrect API key provided\."):
        client.chat.completions.create(model="gpt-4o", messages=[USER])


def test_deepseek_status_texts(deepseek_emulator: Emulator) -> None:
    deepseek_emulator.script(Fault.server_error(503))
    with (
        openai.OpenAI(base_url=deepseek_emulator.base_url, api_key="k", max_retries=0) as ds,
        pytest.raises(openai.InternalServerError) as caught,
    ):
        ds.chat.completions.create(model="deepseek-reasoner", messages=[USER])
    assert caught.value.response.json()["error"]["message"] == "Server Overloaded"


def test_connection_reset(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Fault.reset(), Reply(text="after reset"))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=[USER])
    assert client.chat.completions.create(model="gpt-4o", messages=[USER]).choices[0].message.content == "after reset"
    assert emulator.requests[0].outcome == "reset" and emulator.requests[0].status is None


def test_hang_longer_than_client_timeout(emulator: Emulator) -> None:
    emulator.script(Fault.hang(seconds=30))
    with openai.OpenAI(base_url=emulator.base_url, api_key="k", max_retries=0, timeout=0.3) as impatient:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            impatient.chat.completions.create(model="gpt-4o", messages=[USER])
    assert time.monotonic() - started < 5
    assert emulator.requests[0].outcome == "hang" and emulator.requests[0].status is None
    deadline = time.monotonic() + 5
    while emulator.stats.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.stats.in_flight == 0  # the client hung up, so the emulator stopped waiting


def test_truncated_stream(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(text="a long answer that will never finish arriving", truncate_after=3))
    received: list[str] = []
    with pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError)):
        for chunk in client.chat.completions.create(model="gpt-4o", messages=[USER], stream=True):
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "a long answer that will never fi"  # role chunk + two 16-character pieces
    assert emulator.requests[0].outcome == "truncated"


def test_truncated_responses_stream_by_index(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(text="first"), Reply(text="second"))
    emulator.inject(1, Fault.truncate(after_events=4))
    assert client.responses.create(model="o4-mini", input="hi", stream=True) is not None
    seen: list[str] = []
    with pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError)):
        for event in client.responses.create(model="o4-mini", input="hi", stream=True):
            seen.append(event.type)
    assert "response.completed" not in seen and len(seen) == 4
    emulator.assert_all_consumed()


def test_truncated_non_stream_body(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(text="x" * 200, truncate_after=0))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=[USER])


def test_malformed_tool_arguments(emulator: Emulator, client: openai.OpenAI) -> None:
    call = ToolCall("get_weather", {"city": "Paris"})
    emulator.script(Reply(tool_calls=[call]), Reply(tool_calls=[ToolCall("get_weather", '{"city": "Par')]))
    emulator.inject(0, Fault.malformed_arguments())
    for _ in range(2):
        result = client.chat.completions.create(model="gpt-4o", messages=[USER])
        tool_calls = result.choices[0].message.tool_calls
        assert tool_calls is not None
        arguments = tool_calls[0].function.arguments  # type: ignore[union-attr]
        with pytest.raises(json.JSONDecodeError):
            json.loads(arguments)


def test_scheduled_faults_by_request_index(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.responder = lambda request: Reply(text=f"echo {len(request['messages'])}")
    emulator.inject(1, Fault.server_error(500)).inject(2, Fault.rate_limit())
    assert client.chat.completions.create(model="m", messages=[USER]).choices[0].message.content == "echo 1"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[USER])
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=[USER])
    assert client.chat.completions.create(model="m", messages=[USER, USER]).choices[0].message.content == "echo 2"
    assert [r.status for r in emulator.requests] == [200, 500, 429, 200]
    emulator.assert_all_consumed()


def test_fault_that_damages_a_reply_cannot_stand_alone(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="damages a reply"):
        emulator.script(Fault.truncate(2))


@pytest.mark.parametrize("stream", [False, True])
def test_invalid_json_on_a_200(emulator: Emulator, client: openai.OpenAI, stream: bool) -> None:
    emulator.script(Fault.invalid_json(), Reply(text="ok"))
    with pytest.raises(json.JSONDecodeError):  # what the openai SDK raises: adapters must wrap it
        answer = client.chat.completions.create(model="gpt-4o", messages=[USER], stream=stream)
        if stream:
            list(answer)  # type: ignore[arg-type]
    assert emulator.requests[0].status == 200 and emulator.requests[0].outcome == "invalid_json"
    assert client.chat.completions.create(model="gpt-4o", messages=[USER]).choices[0].message.content == "ok"
    emulator.assert_all_consumed()


def test_invalid_json_body_is_complete(emulator: Emulator) -> None:
    emulator.script(Fault.invalid_json())
    answer = httpx.post(emulator.base_url + "/responses", json={"model": "m", "input": "hi"}, timeout=5)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert answer.content.startswith(b'{"id":"emulator-cut"')
    with pytest.raises(json.JSONDecodeError):
        answer.json()


@pytest.mark.parametrize("path", ["chat", "responses"])
def test_echo_credentials_repeats_the_key(emulator: Emulator, path: str) -> None:
    emulator.script(Fault.echo_credentials(401))
    key = "emulator-secret-key-1234"
    with (
        openai.OpenAI(base_url=emulator.base_url, api_key=key, max_retries=0) as c,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        if path == "chat":
            c.chat.completions.create(model="gpt-4o", messages=[USER])
        else:
            c.responses.create(model="o4-mini", input="hi")
    error = caught.value.response.json()
    assert error["error"]["message"] == (
        f"Incorrect API key provided: {key}. The request carried Authorization: Bearer {key}."
    )
    assert error["received_headers"] == {"authorization": f"Bearer {key}", "x-api-key": ""}
    assert key in str(caught.value)  # the raw SDK error shows it: agentkit's errors must not
    assert emulator.requests[0].headers["authorization"] == "<redacted>"


def test_anthropic_echo_credentials(emulator: Emulator) -> None:
    emulator.script(Fault.echo_credentials(403))
    answer = httpx.post(
        emulator.url + "/v1/messages",
        json={"model": "claude", "messages": []},
        headers={"x-api-key": "ant-key-12345678"},
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == {
        "type": "api_error",
        "message": "Incorrect API key provided: ant-key-12345678. The request carried Authorization:  "
        "and x-api-key: ant-key-12345678.",
    }


def test_recording_knows_which_key_was_sent_without_keeping_it(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(text="ok"))
    client.chat.completions.create(model="gpt-4o", messages=[USER])
    recorded = emulator.requests[0]
    assert recorded.used_key("k") and not recorded.used_key("other")
    assert "k" not in recorded.headers.values() and recorded.credential_sha256 != "k"
