"""The typer app of the ``agentkit`` command: ``run`` a task with live progress, ``view`` a run's HTML
report, and the background-run commands ``runs`` and ``worker`` (from :mod:`agentkit.background.cli`,
when installed).

Needs the ``cli`` extra (rich, typer); :mod:`agentkit.cli`, the entry point, checks it is installed.
"""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from agentkit._cli.background import register_background_commands
from agentkit._cli.evals import register_eval_commands
from agentkit._cli.loading import CliInputError
from agentkit._cli.run import RunSpec, build, run_task
from agentkit._cli.sessions import register_session_commands
from agentkit._cli.view import default_output, load_source, render_source
from agentkit.exceptions import AgentkitError, UserError
from agentkit.redaction import redact_text
from agentkit.settings import ReasoningEffort

__all__ = ["app", "main"]

EXIT_USAGE = 2

app = typer.Typer(
    name="agentkit",
    help="Run reasoning agents from the command line and look at what they did.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _usage_error(error: Exception) -> typer.Exit:
    typer.echo(f"error: {redact_text(str(error))}", err=True)
    return typer.Exit(EXIT_USAGE)


@app.command()
def run(
    task: Annotated[str, typer.Argument(help="The task, in plain words.")],
    *,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            envvar="AGENTKIT_MODEL",
            help="A model string (openai:o4-mini, anthropic:..., deepseek:..., ollama:..., litellm:provider/model, "
            "local ...; see docs/reference/models.md) "
            "or module:attribute naming a Model or a function returning one.",
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", "-a", help="module:attribute naming an Agent (or a function returning one)."),
    ] = None,
    tool: Annotated[
        list[str] | None, typer.Option("--tool", "-t", help="module:function to offer as a tool (repeatable).")
    ] = None,
    instructions: Annotated[str | None, typer.Option("--instructions", "-i", help="System instructions.")] = None,
    reasoning_effort: Annotated[
        ReasoningEffort | None, typer.Option("--reasoning-effort", "-r", help="How hard the model should think.")
    ] = None,
    max_turns: Annotated[int | None, typer.Option(min=1, help="Budget: most model requests.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Budget: most tokens in total.")] = None,
    max_cost: Annotated[float | None, typer.Option(min=0.0, help="Budget: most US dollars.")] = None,
    max_seconds: Annotated[float | None, typer.Option(min=0.0, help="Budget: most seconds.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print every event, then the result, as JSON lines on stdout.")
    ] = False,
    save: Annotated[
        Path | None, typer.Option("--save", help="Also write the run (events and result) to this JSON file.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the answer.")] = False,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Use this run id instead of a random one.")] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="AGENTKIT_DB",
            help="Run database where --save also lists the run for 'agentkit runs ls' "
            "(default: ~/.agentkit/runs.sqlite).",
        ),
    ] = None,
) -> None:
    """Run a task and watch it: steps, tool calls, tokens and cost as they happen. The answer goes to stdout."""
    spec = RunSpec(
        model=model,
        agent=agent,
        tools=tuple(tool or ()),
        instructions=instructions,
        reasoning_effort=reasoning_effort,
        max_turns=max_turns,
        max_tokens=max_tokens,
        max_cost=max_cost,
        max_seconds=max_seconds,
        run_id=run_id,
    )
    try:
        built_agent, options = build(spec)
    except (CliInputError, UserError) as exc:
        raise _usage_error(exc) from None
    code = run_task(task, built_agent, options, json_output=json_output, quiet=quiet, save=save, db=db)
    if code:
        raise typer.Exit(code)


@app.command()
def view(
    source: Annotated[str, typer.Argument(help="A file from 'agentkit run --save' or '--json', or a run id.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Where to write the HTML ('-' for stdout).")
    ] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the report in a web browser.")] = False,
) -> None:
    """Write a self-contained HTML report of a run: timeline, reasoning, tool calls, tokens and cost."""
    try:
        loaded = load_source(source)
    except CliInputError as exc:
        raise _usage_error(exc) from None
    except AgentkitError as exc:
        typer.echo(f"error: {redact_text(str(exc))}", err=True)
        raise typer.Exit(1) from None
    page = render_source(loaded)
    if output == "-":
        sys.stdout.write(page)
        return
    path = Path(output) if output else default_output(source, loaded)
    path.write_text(page, encoding="utf-8")
    typer.echo(f"Report written to {path}", err=True)
    if open_browser:
        webbrowser.open(path.resolve().as_uri())


register_background_commands(app)
register_session_commands(app)
register_eval_commands(app)


def main() -> None:
    """The console-script entry point."""
    app()
