"""Secrets (API keys, Authorization headers, secret tool arguments) never reach spans, logs, events,
the HTML report or the CLI's output and saved files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentkit import Agent, RunOptions
from agentkit.cli import app
from agentkit.events import ModelResponseEvent, ToolCallEnd, event_adapter
from agentkit.redaction import REDACTED, add_secret, is_secret_key, redact_event, redact_text, redact_value
from agentkit.report import render_html

from . import obs_app
from .conftest import APP, Traces
from .obs_app import API_KEY, BEARER, PASSWORD, SECRETS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key sk-proj-Abc123Def456Ghi789Jkl0 ok", "key [REDACTED] ok"),
        ("sk-ant-api03-abcdefghijklmnopqrstuv", "[REDACTED]"),
        ("Authorization: Bearer abc.def-ghi_123", "Authorization: [REDACTED]"),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=[REDACTED]"),
        ("curl -H 'Authorization: token ghp_abc'", "curl -H 'Authorization: [REDACTED]'"),
        ("sent bearer eyJhbGciOi.payload", "sent bearer [REDACTED]"),
        ('{"api_key": "abcd1234efgh", "n": 1}', '{"api_key": "[REDACTED]", "n": 1}'),
        ("https://x.test/?api_key=abcd1234&q=paris", "https://x.test/?api_key=[REDACTED]&q=paris"),
        ("x-api-key: 12345678abcdef", "x-api-key: [REDACTED]"),
        ("password='s3cret!' user=ada", "password='[REDACTED]' user=ada"),
        ("aws AKIAIOSFODNN7EXAMPLE", "aws [REDACTED]"),
        ("gh ghp_0123456789abcdefghijABCDEFGHIJ0123", "gh [REDACTED]"),
        ("google AIzaSyA-0123456789abcdefghijklmnopqrstu", "google [REDACTED]"),
        ("hf hf_abcdefghijklmnopqrstuvwxyzABCDEF", "hf [REDACTED]"),
        ("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", "jwt [REDACTED]"),
    ],
)
def test_redact_text_scrubs_known_secret_shapes(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens=100, input_tokens: 5, tokens 12",
        "use scikit-learn and sk-learn",
        "The weather in Paris is 21 °C.",
        "task-1234567890 and key_points: many",
        '{"token_count": 3, "secretary": "Ada"}',
    ],
)
def test_redact_text_leaves_ordinary_text_alone(text: str) -> None:
    assert redact_text(text) == text


def test_redact_value_blanks_secret_keys_and_scrubs_strings() -> None:
    value = {
        "password": "p4ssw0rd",
        "headers": [{"Authorization": "Basic xyz"}, {"Accept": "text/html"}],
        "note": f"key {API_KEY}",
        "count": 3,
        "token": None,
        "input_tokens": 12,
    }
    assert redact_value(value) == {
        "password": REDACTED,
        "headers": [{"Authorization": REDACTED}, {"Accept": "text/html"}],
        "note": f"key {REDACTED}",
        "count": 3,
        "token": None,
        "input_tokens": 12,
    }
    assert is_secret_key("X-API-Key") and is_secret_key("client_secret") and not is_secret_key("tokens")


def test_values_of_secret_environment_variables_and_registered_secrets_are_scrubbed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_SERVICE_API_KEY", "plainvalue-without-any-prefix")
    monkeypatch.setenv("MY_SERVICE_URL", "https://service.example")
    monkeypatch.setenv("SHORT_TOKEN", "abc")
    add_secret("registered-secret-value-42")
    add_secret("tiny")

    text = "plainvalue-without-any-prefix at https://service.example, abc, registered-secret-value-42, tiny"
    assert redact_text(text) == f"{REDACTED} at https://service.example, abc, {REDACTED}, tiny"


async def test_redact_event_hides_secret_arguments_inside_model_responses() -> None:
    agent: Agent[None, str] = Agent(obs_app.secrets_model(), tools=[obs_app.login, obs_app.http_debug])
    result = await agent.run("Log in", options=RunOptions(run_id="r"))
    response_event = next(e for e in result.events if isinstance(e, ModelResponseEvent))
    tool_end = next(e for e in result.events if isinstance(e, ToolCallEnd) and e.call_id == "call_debug")

    redacted = redact_event(response_event, agent.registry)
    assert isinstance(redacted, ModelResponseEvent)
    assert redacted.response.tool_calls[0].arguments == '{"user": "ada", "password": "[REDACTED]"}'
    assert PASSWORD not in redacted.model_dump_json()
    scrubbed_end = redact_event(tool_end)
    assert not any(s in scrubbed_end.model_dump_json() for s in SECRETS)
    start = result.events[0]
    assert redact_event(start) is start  # nothing to scrub: the same object


def _run_with_everything(caplog: pytest.LogCaptureFixture) -> Any:
    """The secrets scenario, traced with content capture, with every log record captured."""
    import asyncio

    import agentkit.tracing

    caplog.set_level(logging.DEBUG)
    agent: Agent[None, str] = Agent(obs_app.secrets_model(), name="secrets", tools=[obs_app.login, obs_app.http_debug])

    async def run() -> Any:
        with agentkit.tracing.traced(None, agent_name=agent.name) as emit:
            return await agent.run("Log in and fetch data", options=RunOptions(emit=emit, run_id="run-s"))

    return asyncio.run(run())


def _span_text(traces: Traces) -> str:
    parts = []
    for span in traces.spans():
        parts.append(json.dumps(dict(span.attributes or {}), default=str))
        parts += [json.dumps(dict(e.attributes or {}), default=str) for e in span.events]
        parts.append(str(span.status.description))
    return "\n".join(parts)


def test_secrets_never_reach_spans_logs_or_the_report(traces: Traces, caplog: pytest.LogCaptureFixture) -> None:
    result = _run_with_everything(caplog)

    spans = _span_text(traces)
    html = render_html(result)
    assert "http_debug" in spans and "login" in html  # the content is there ...
    assert REDACTED in spans and REDACTED in html  # ... with the secrets replaced
    for secret in SECRETS:
        assert secret not in spans
        assert secret not in caplog.text
        assert secret not in html


def test_secrets_never_reach_the_cli_output_or_saved_file(tmp_path: Path) -> None:
    saved = tmp_path / "run.json"
    args = ["run", "Log in and fetch data", "-m", f"{APP}:secrets_model", "--run-id", "run-s"]
    args += ["-t", f"{APP}:login", "-t", f"{APP}:http_debug"]
    json_out = CliRunner().invoke(app, [*args, "--json", "--save", str(saved)])
    console_out = CliRunner().invoke(app, args)
    view_out = CliRunner().invoke(app, ["view", str(saved), "-o", "-"])

    assert json_out.exit_code == console_out.exit_code == view_out.exit_code == 0, json_out.output
    starts = [e for e in json.loads(saved.read_text())["events"] if e["kind"] == "tool_call_start"]
    assert starts[0]["call"]["arguments"] == '{"user": "ada", "password": "[REDACTED]"}'

    for secret in SECRETS:
        for text in (json_out.output, console_out.output, saved.read_text(), view_out.output):
            assert secret not in text


def test_secrets_never_reach_events(caplog: pytest.LogCaptureFixture) -> None:
    """Events as the run emits them (what stream(), background logs and every sink see).

    Needs the core to pass each event through agentkit.redaction.redact_event(event, registry) in
    Agent._config's emit: ModelResponseEvent carries tool calls with their raw arguments, and tool
    results carry whatever the tool returned.
    """
    result = _run_with_everything(caplog)
    dumped = [event_adapter().dump_json(e).decode() for e in result.events]

    leaks = [(e.kind, s) for e, text in zip(result.events, dumped, strict=True) for s in SECRETS if s in text]
    assert leaks == [], "secrets in events: apply redact_event in Agent._config's emit (see report)"
    assert BEARER not in json.dumps(dumped) and API_KEY not in json.dumps(dumped) and PASSWORD not in str(dumped)
