"""A missing optional dependency ends in one line naming the extra that installs it (issue 14, item 5).

A missing module is simulated with ``sys.modules[name] = None`` (which makes ``import name`` fail), in
this process or, where process-wide state matters (the background engine, the console script), in a
child process.
"""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

import agentkit
from agentkit import Agent
from agentkit._extras import require
from agentkit.exceptions import MissingExtra, UserError
from agentkit.messages import ModelRequest, UserPart
from agentkit.models import infer_model
from agentkit.models.base import RequestParams
from agentkit.settings import ModelSettings

ROOT = Path(__file__).resolve().parents[2]


def install_line(extra: str) -> str:
    return f"Install it with: pip install 'agentkit[{extra}]'"


def missing(feature: str, module: str, extra: str) -> str:
    return f"{feature} needs the optional dependency {module!r}, which is not installed. {install_line(extra)}"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


# --- the exception and the helper ------------------------------------------------------------------


def test_missing_extra_is_a_user_error_and_a_module_not_found_error_that_pickles() -> None:
    error = MissingExtra("litellm", "litellm", "The thing")
    assert str(error) == missing("The thing", "litellm", "litellm")
    assert isinstance(error, UserError) and isinstance(error, ModuleNotFoundError)
    assert (error.name, error.extra, error.feature) == ("litellm", "litellm", "The thing")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is MissingExtra and str(copy) == str(error) and copy.args == error.args
    assert (copy.name, vars(copy)) == ("litellm", vars(error))
    assert agentkit.MissingExtra is MissingExtra


def test_require_returns_the_module_when_it_is_installed() -> None:
    assert require("json", "none", "The test") is importlib.import_module("json")


def test_require_names_the_extra_when_the_module_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "typer", None)
    with pytest.raises(MissingExtra) as info:
        require("typer", "cli", "The agentkit command")
    assert str(info.value) == (
        "The agentkit command needs the optional dependency 'typer', which is not installed. "
        "Install it with: pip install 'agentkit[cli]'"
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_module_missing_one_of_its_own_dependencies_is_a_broken_install_not_a_missing_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "agentkit_test_broken_sdk.py").write_text("import agentkit_test_no_such_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as info:
        require("agentkit_test_broken_sdk", "litellm", "The test")
    assert type(info.value) is ModuleNotFoundError
    assert info.value.name == "agentkit_test_no_such_module"


# --- litellm: anthropic:, gemini:, litellm: ---------------------------------------------------------

LITELLM_MISSING = missing(
    "LiteLLMModel (model strings 'litellm:...', 'anthropic:...', 'gemini:...')", "litellm", "litellm"
)


@pytest.mark.parametrize("spec", ["anthropic:claude-sonnet-4-5", "gemini:gemini-2.5-pro", "litellm:mistral/large"])
async def test_a_litellm_model_without_litellm_says_which_extra_at_its_first_request(
    monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    monkeypatch.setitem(sys.modules, "litellm", None)
    model = infer_model(spec)  # building it needs no litellm: its price is known from agentkit's table
    with pytest.raises(MissingExtra) as info:
        await model.request([ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(), RequestParams())
    assert str(info.value) == LITELLM_MISSING


async def test_an_agent_on_anthropic_without_litellm_fails_with_the_same_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "litellm", None)
    with pytest.raises(MissingExtra) as info:
        await Agent("anthropic:claude-sonnet-4-5").run("hi")
    assert str(info.value) == LITELLM_MISSING


# --- the local model ----------------------------------------------------------------------------------


def test_the_local_model_without_xllamacpp_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with pytest.raises(MissingExtra) as info:
        infer_model("local")
    assert str(info.value) == missing("The local model ('local' model strings, LocalModel)", "xllamacpp", "local")


# --- MCP tools ----------------------------------------------------------------------------------------


def test_the_mcp_tools_without_mcp_say_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)
    monkeypatch.delitem(sys.modules, "agentkit_tools.mcp", raising=False)
    with pytest.raises(MissingExtra) as info:
        importlib.import_module("agentkit_tools.mcp")
    assert str(info.value) == missing("agentkit_tools.mcp (tools from MCP servers)", "mcp", "mcp")


# --- background runs (a child process: the background engine is process-wide) ----------------------

BACKGROUND_MISSING = missing("The background-run engine (agent.start(), agentkit.runs)", "dbos", "background")
WITHOUT_BACKGROUND = """
    import sys
    for name in ("dbos", "sqlalchemy"):
        sys.modules[name] = None
    from agentkit import Agent, MissingExtra
    from agentkit.testing import ScriptedModel
"""


def test_agent_start_without_the_background_extra_says_which_extra() -> None:
    done = run_python(
        WITHOUT_BACKGROUND
        + """
    agent = Agent(ScriptedModel(["ok"]))
    try:
        agent.start("hi")
    except MissingExtra as exc:
        print(exc)
    """
    )
    assert (done.returncode, done.stderr, done.stdout) == (0, "", BACKGROUND_MISSING + "\n")


def test_agentkit_runs_without_the_background_extra_says_which_extra() -> None:
    done = run_python(
        WITHOUT_BACKGROUND
        + """
    import agentkit
    try:
        agentkit.runs.get("run-1")
    except MissingExtra as exc:
        print(exc)
    """
    )
    assert (done.returncode, done.stderr, done.stdout) == (0, "", BACKGROUND_MISSING + "\n")


# --- the console script -----------------------------------------------------------------------------


def cli_missing(module: str) -> str:
    return f"error: {missing('The agentkit command', module, 'cli')}\n"


def test_the_console_script_is_the_small_entry_point() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"] == {"agentkit": "agentkit.cli:main"}
    assert pyproject["project"]["optional-dependencies"]["cli"] == ["rich>=13", "typer>=0.15"]


@pytest.mark.parametrize("module", ["typer", "rich"])
def test_the_console_script_without_the_cli_extra_prints_one_line_and_exits_1(module: str) -> None:
    done = run_python(
        f"""
        import sys
        from importlib.metadata import entry_points
        sys.modules[{module!r}] = None
        [script] = entry_points(group="console_scripts", name="agentkit")
        script.load()()
        """
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", cli_missing(module))


def test_python_dash_m_agentkit_without_the_cli_extra_prints_one_line_and_exits_1() -> None:
    done = run_python(
        """
        import runpy, sys
        sys.modules["typer"] = None
        runpy.run_module("agentkit", run_name="__main__")
        """
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", cli_missing("typer"))


def test_the_entry_point_imports_neither_typer_nor_rich() -> None:
    done = run_python("import sys, agentkit.cli; print(sorted({'typer', 'rich'} & set(sys.modules)))")
    assert (done.returncode, done.stdout) == (0, "[]\n")


def test_python_dash_m_agentkit_still_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agentkit", "--help"], check=False, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0
    assert "Run reasoning agents from the command line" in done.stdout


def test_importing_the_app_without_the_cli_extra_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "typer", None)
    with pytest.raises(MissingExtra) as info:
        from agentkit.cli import app  # noqa: F401
    assert str(info.value) == missing("The agentkit command", "typer", "cli")
