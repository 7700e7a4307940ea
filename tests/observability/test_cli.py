"""The ``agentkit`` command line, driven by typer's CliRunner with scripted models."""

from __future__ import annotations

import importlib
import io
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import typer
from inline_snapshot import snapshot
from rich.console import Console
from typer.testing import CliRunner, Result

from agentkit._cli import background
from agentkit._cli.reporters import ConsoleReporter
from agentkit._cli.run import RunSpec, build, run_task
from agentkit.cli import app

from .conftest import APP

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb", "AGENTKIT_MODEL": None}
WEATHER = ["run", "Weather in Paris?", "-m", f"{APP}:weather_model", "-t", f"{APP}:get_weather", "--run-id", "run-1"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=ENV)


def timeless(text: str) -> str:
    """Durations vary from run to run: replace them."""
    return re.sub(r"\d+(\.\d+)? (ms|s)\b", "<t>", text)


def test_run_shows_each_step_and_prints_the_answer_on_stdout() -> None:
    result = invoke(*WEATHER)

    assert result.exit_code == 0
    assert result.stdout == "It is 21 °C and clear in Paris.\n"
    assert timeless(result.stderr) == snapshot("""\
▶ run run-1 · test:scripted
● step 1 · <t> · 160 tokens (120 in / 40 out, 25 reasoning) · $0.0012
  thinking: The user wants the weather in Paris; I should call get_weather.
  → get_weather {"city": "Paris"}
  ✓ get_weather · <t> · {"city": "Paris", "temp_c": 21, "sky": "clear"}
● step 2 · <t> · 192 tokens (180 in / 12 out) · $0.0008
■ done · final · 2 steps · 1 tool call · 352 tokens (300 in / 52 out, 25 reasoning) · $0.0020 · <t>
""")


def test_run_json_prints_every_event_then_the_result() -> None:
    result = invoke(*WEATHER, "--json")

    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [_stable(r) for r in records] == snapshot(
        [
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "run_start",
                "model": "test:scripted",
                "prompt": "Weather in Paris?",
                "instructions": "",
                "tools": [
                    {
                        "name": "get_weather",
                        "description": "Current weather for a city.",
                        "parameters": {
                            "additionalProperties": False,
                            "properties": {"city": {"description": "City name.", "type": "string"}},
                            "required": ["city"],
                            "type": "object",
                        },
                    }
                ],
                "settings": {},
                "budget": None,
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "model_request",
                "step": 0,
                "model": "test:scripted",
                "final_answer": False,
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "reasoning_delta",
                "text": "The user wants the weather in Paris; I should call get_weather.",
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "tool_call_delta",
                "index": 1,
                "call_id": "call_1",
                "name": "get_weather",
                "args_delta": '{"city": "Paris"}',
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "model_response",
                "step": 0,
                "response": {
                    "kind": "response",
                    "parts": [
                        {
                            "kind": "reasoning",
                            "content": "The user wants the weather in Paris; I should call get_weather.",
                            "provider": None,
                            "id": None,
                            "signature": None,
                            "encrypted_content": None,
                            "redacted": False,
                            "data": {},
                        },
                        {
                            "kind": "tool_call",
                            "id": "call_1",
                            "name": "get_weather",
                            "arguments": '{"city": "Paris"}',
                            "provider_id": None,
                        },
                    ],
                    "model_name": "scripted",
                    "provider": "test",
                    "usage": {
                        "input_tokens": 120,
                        "output_tokens": 40,
                        "reasoning_tokens": 25,
                        "cached_tokens": 0,
                        "requests": 0,
                        "tool_calls": 0,
                        "cost_usd": 0.0012,
                    },
                    "finish_reason": None,
                    "id": None,
                },
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "tool_call_start",
                "step": 0,
                "call": {
                    "kind": "tool_call",
                    "id": "call_1",
                    "name": "get_weather",
                    "arguments": '{"city": "Paris"}',
                    "provider_id": None,
                },
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "tool_call_end",
                "step": 0,
                "call_id": "call_1",
                "name": "get_weather",
                "result": {
                    "kind": "tool_result",
                    "call_id": "call_1",
                    "name": "get_weather",
                    "content": {"city": "Paris", "temp_c": 21, "sky": "clear"},
                },
                "is_error": False,
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "model_request",
                "step": 1,
                "model": "test:scripted",
                "final_answer": False,
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "text_delta",
                "text": "It is 21 °C and clear in Paris.",
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "model_response",
                "step": 1,
                "response": {
                    "kind": "response",
                    "parts": [{"kind": "text", "content": "It is 21 °C and clear in Paris."}],
                    "model_name": "scripted",
                    "provider": "test",
                    "usage": {
                        "input_tokens": 180,
                        "output_tokens": 12,
                        "reasoning_tokens": 0,
                        "cached_tokens": 0,
                        "requests": 0,
                        "tool_calls": 0,
                        "cost_usd": 0.0008,
                    },
                    "finish_reason": None,
                    "id": None,
                },
            },
            {
                "run_id": "run-1",
                "branch": None,
                "parent_call_id": None,
                "kind": "final",
                "output": "It is 21 °C and clear in Paris.",
                "stop_reason": "final",
                "usage": {
                    "input_tokens": 300,
                    "output_tokens": 52,
                    "reasoning_tokens": 25,
                    "cached_tokens": 0,
                    "requests": 2,
                    "tool_calls": 1,
                    "cost_usd": 0.002,
                },
            },
            {
                "kind": "result",
                "run_id": "run-1",
                "output": "It is 21 °C and clear in Paris.",
                "stop_reason": "final",
                "usage": {
                    "input_tokens": 300,
                    "output_tokens": 52,
                    "reasoning_tokens": 25,
                    "cached_tokens": 0,
                    "requests": 2,
                    "tool_calls": 1,
                    "cost_usd": 0.002,
                },
            },
        ]
    )
    assert result.stderr == ""


def _stable(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its timings."""
    out = {k: v for k, v in record.items() if k not in {"ts", "duration_s"}}
    if "response" in out:
        out["response"] = {k: v for k, v in out["response"].items() if k != "timestamp"}
    return out


def test_quiet_prints_only_the_answer() -> None:
    result = invoke(*WEATHER, "--quiet")

    assert (result.exit_code, result.stdout, result.stderr) == (0, "It is 21 °C and clear in Paris.\n", "")


def test_run_an_agent_from_an_import_path_with_an_extra_tool() -> None:
    result = invoke("run", "Weather?", "--agent", f"{APP}:weather_agent", "-t", f"{APP}:login", "-q")

    assert (result.exit_code, result.stdout) == (0, "It is 21 °C and clear in Paris.\n")


def test_a_failing_run_exits_1_with_the_error() -> None:
    result = invoke("run", "Weather?", "-m", f"{APP}:failing_model", "-t", f"{APP}:broken", "--run-id", "run-2")

    assert result.exit_code == 1
    assert result.stdout == ""
    progress, error = timeless(result.stderr).split("error: ", 1)
    assert progress == snapshot("""\
▶ run run-2 · test:scripted
● step 1 · <t> · 15 tokens (10 in / 5 out) · $0.0000
  → broken {"city": "Paris"}
  ✗ broken · <t> · Tool 'broken' raised ConnectionError: weather service for Paris is down
● step 2 · <t> · 15 tokens (10 in / 5 out) · $0.0000
  → broken {"city": "Paris"}
  ✗ broken · <t> · Tool 'broken' raised ConnectionError: weather service for Paris is down
● step 3 · <t> · 15 tokens (10 in / 5 out) · $0.0000
  → broken {"city": "Paris"}
  ✗ broken · <t> · Tool 'broken' raised ConnectionError: weather service for Paris is down
""")
    assert error.startswith("Tool 'broken' failed 3 times, more than its retry limit of 2.")
    assert error.endswith("Raise the limit with @tool(retries=...) or fix the tool/prompt.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "hi"],
            "error: No model: pass --model (e.g. --model openai:o4-mini, --model local, or --model "
            "myapp:make_model), --agent myapp:agent, or set AGENTKIT_MODEL.\n",
        ),
        (
            ["run", "hi", "-m", "gpt-5"],
            "error: Unknown model 'gpt-5': the part before ':' must be one of \"openai:<model>\", "
            '"openai-chat:<model>", "anthropic:<model>", "gemini:<model>", "deepseek:<model>", '
            '"openrouter:<vendor/model>", "groq:<model>", "moonshot:<model>", "together:<model>", '
            '"fireworks:<model>", "xai:<model>", "ollama:<model>", "vllm:<model>", "litellm:<provider/model>", '
            '"local", "local:<path.gguf>".\n',
        ),
        (
            ["run", "hi", "-m", f"{APP}:not_a_model"],
            f"error: --model '{APP}:not_a_model' is a int; it must be a Model or a function that returns one.\n",
        ),
        (
            ["run", "hi", "-m", "local", "-t", f"{APP}:nothing"],
            f"error: --tool '{APP}:nothing': module '{APP}' has no attribute 'nothing'.\n",
        ),
        (
            ["run", "hi", "-m", "local", "-t", "get_weather"],
            "error: --tool 'get_weather' is not of the form module:attribute (e.g. myapp.tools:search).\n",
        ),
        (
            ["run", "hi", "--agent", f"{APP}:weather_agent", "-i", "Be brief."],
            "error: --instructions can't be combined with --agent: the agent has its own instructions.\n",
        ),
        (
            ["run", "hi", "-m", "local", "-t", f"{APP}:get_weather", "-t", f"{APP}:get_weather"],
            "error: Tool name 'get_weather' is registered twice. Give one of them another name with @tool(name=...).\n",
        ),
    ],
)
def test_bad_command_lines_exit_2_naming_the_fix(args: list[str], message: str) -> None:
    result = invoke(*args)

    assert (result.exit_code, result.stderr) == (2, message)


def test_a_model_import_path_that_does_not_resolve_explains_both_readings() -> None:
    result = invoke("run", "hi", "-m", "nowhere.models:fast")

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --model 'nowhere.models:fast' is neither a model string nor an importable module:attribute.",
        "  As a model string: Unknown model 'nowhere.models:fast': the part before ':' must be one of "
        '"openai:<model>", "openai-chat:<model>", "anthropic:<model>", "gemini:<model>", "deepseek:<model>", '
        '"openrouter:<vendor/model>", "groq:<model>", "moonshot:<model>", "together:<model>", '
        '"fireworks:<model>", "xai:<model>", "ollama:<model>", "vllm:<model>", "litellm:<provider/model>", '
        '"local", "local:<path.gguf>".',
        "  As an import: --model 'nowhere.models:fast': cannot import module 'nowhere.models' "
        "(No module named 'nowhere').",
    ]


def test_save_then_view_writes_the_html_report(tmp_path: Path) -> None:
    saved = tmp_path / "weather.json"
    assert invoke(*WEATHER, "-q", "--save", str(saved)).exit_code == 0
    document = json.loads(saved.read_text())
    assert [e["kind"] for e in document["events"]] == [
        "run_start",
        "model_request",
        "model_response",
        "tool_call_start",
        "tool_call_end",
        "model_request",
        "model_response",
        "final",
    ]
    assert (document["format"], document["run_id"], document["error"]) == ("agentkit.run", "run-1", None)

    result = invoke("view", str(saved))

    report = tmp_path / "weather.html"
    assert (result.exit_code, result.stderr) == (0, f"Report written to {report}\n")
    html = report.read_text()
    assert html.count('class="tl-bar ') == 3  # two model requests, one tool call
    assert "It is 21 °C and clear in Paris." in html


def test_view_reads_json_lines_output_and_failed_runs(tmp_path: Path) -> None:
    lines = tmp_path / "failed.jsonl"
    run = invoke("run", "Weather?", "-m", f"{APP}:failing_model", "-t", f"{APP}:broken", "--json")
    assert run.exit_code == 1
    lines.write_text(run.stdout)
    assert json.loads(run.stdout.splitlines()[-1])["kind"] == "error"

    result = invoke("view", str(lines), "-o", "-")

    assert result.exit_code == 0
    assert result.stdout.count('class="tl-bar tl-tool tl-error"') == 3
    assert "ToolRetriesExceeded: Tool &#x27;broken&#x27; failed 3 times" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"hello": "world"}', "is not a saved run"),
        ("not json at all", ":1: not JSON"),
    ],
)
def test_view_refuses_files_that_are_not_runs(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(content)

    result = invoke("view", str(path))

    assert result.exit_code == 2
    assert message in result.stderr
    assert "Write one with 'agentkit run TASK --save" in result.stderr


def test_view_of_a_run_id_without_background_runs_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "agentkit.runs", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "agentkit.background.runtime", None)

    result = invoke("view", "0123abcd")

    assert result.exit_code == 2
    assert "'0123abcd' is not a file, and background runs are not available" in result.stderr
    assert "pip install 'agentkit[background]'" in result.stderr
    assert invoke("view", "missing.json").stderr == "error: No such file: missing.json.\n"


def test_view_of_a_run_id_reads_the_run_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    saved = tmp_path / "run.json"
    assert invoke(*WEATHER, "-q", "--save", str(saved)).exit_code == 0
    stored = json.loads(saved.read_text())["events"]

    class Handle:
        def events(self, *, follow: bool = True) -> list[Any]:
            assert not follow, "view must not wait for a running run"
            return [types.SimpleNamespace(seq=i, data=e) for i, e in enumerate(stored[:5])]

        def status(self) -> Any:
            return types.SimpleNamespace(error="RunFailed: the worker died")

    runs = types.ModuleType("agentkit.runs")
    runs.get = lambda run_id: Handle()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agentkit.runs", runs)
    monkeypatch.chdir(tmp_path)

    result = invoke("view", "run-1")

    assert (result.exit_code, result.stderr) == (0, "Report written to run-1.html\n")
    html = (tmp_path / "run-1.html").read_text()
    assert html.count('class="tl-bar ') == 2
    assert "RunFailed: the worker died" in html


def test_view_of_an_unknown_run_id_asks_the_real_run_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("dbos")
    monkeypatch.setenv("AGENTKIT_DB", f"sqlite:///{tmp_path / 'runs.sqlite'}")

    result = invoke("view", "no-such-run")

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: No run 'no-such-run' in {tmp_path / 'runs.sqlite'}; check the id with `agentkit runs ls`.\n"
    )


def test_background_commands_are_registered_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    runs_app = typer.Typer()

    @runs_app.command("ls")
    def ls() -> None:
        typer.echo("no runs")

    def worker(queue: str = "default") -> None:
        typer.echo(f"worker on {queue}")

    module = types.ModuleType("agentkit.background.cli")
    module.runs_app = runs_app  # type: ignore[attr-defined]
    module.worker = worker  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agentkit.background.cli", module)
    fresh = typer.Typer()
    fresh.command("version")(lambda: None)
    background.register_background_commands(fresh)

    runner = CliRunner()
    assert runner.invoke(fresh, ["runs", "ls"]).stdout == "no runs\n"
    assert runner.invoke(fresh, ["worker", "--queue", "fast"]).stdout == "worker on fast\n"


def test_background_commands_explain_what_to_install_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "agentkit.background.cli", None)  # as if not installed
    fresh = typer.Typer()
    fresh.command("version")(lambda: None)
    background.register_background_commands(fresh)

    result = CliRunner().invoke(fresh, ["runs", "ls", "--all"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: Background runs are not available here (import of agentkit.background.cli halted; None in "
        "sys.modules). Install them with: pip install 'agentkit[background]'\n"
    )


def test_a_bug_in_the_background_module_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> Any:
        raise ModuleNotFoundError("No module named 'helpers'", name="helpers")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="helpers"):
        background.register_background_commands(typer.Typer())


def test_the_live_view_shows_a_spinner_with_step_tokens_and_cost() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=120, color_system=None)
    agent, options = build(RunSpec(model=f"{APP}:weather_model", tools=(f"{APP}:get_weather",), run_id="run-1"))
    reporter = ConsoleReporter(live=True, console=console)

    code = run_task("Weather in Paris?", agent, options, reporter=reporter)

    screen = stream.getvalue()
    assert code == 0
    assert re.search(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] step 1 · ", screen)  # a spinner frame with the status
    assert "tokens (" in screen and "$0.00" in screen
    assert "✓ get_weather" in screen
    assert "■ done · final · 2 steps · 1 tool call" in screen


def test_ctrl_c_stops_the_run_saves_what_happened_and_exits_130(tmp_path: Path) -> None:
    saved = tmp_path / "interrupted.json"

    result = invoke("run", "hi", "-m", f"{APP}:interrupted_model", "--run-id", "run-3", "--save", str(saved))

    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "error: cancelled (Ctrl-C); the run stopped where it was"
    document = json.loads(saved.read_text())
    assert [e["kind"] for e in document["events"]] == ["run_start", "model_request"]
    assert document["error"] == {"kind": "error", "type": "KeyboardInterrupt", "message": ""}
