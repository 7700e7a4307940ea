"""Where ``agentkit run`` sends what happens: a rich live view / log on stderr, or JSON lines on stdout."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, Protocol

from rich.console import Console, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from agentkit._cli.progress import RunProgress, event_line
from agentkit._cli.records import dumps, error_record, result_record
from agentkit._report.render import output_text
from agentkit.events import AgentEvent
from agentkit.redaction import redact_text
from agentkit.result import AgentResult

__all__ = ["ConsoleReporter", "JsonReporter", "Reporter"]


class Reporter(Protocol):
    """Shows a run: entered before it starts, told each event, then its result or its error."""

    def __enter__(self) -> Reporter: ...

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        """Stop any live display."""

    def event(self, event: AgentEvent, record: dict[str, Any]) -> None:
        """One event, with its redacted JSON record."""

    def finished(self, result: AgentResult[Any]) -> None:
        """The run ended with a result."""

    def failed(self, error: BaseException) -> None:
        """The run raised ``error``."""


class _Status:
    """The live part of the view: a spinner with the run's current state (re-rendered on each refresh)."""

    def __init__(self, progress: RunProgress) -> None:
        self._progress = progress
        self._spinner = Spinner("dots", style="cyan")

    def __rich__(self) -> RenderableType:
        self._spinner.update(text=self._progress.status())
        return self._spinner


class ConsoleReporter:
    """Progress on stderr (a live spinner and status on a terminal, plain lines otherwise); the answer on
    stdout, so ``agentkit run ... > answer.txt`` keeps only the answer."""

    def __init__(self, *, quiet: bool = False, live: bool | None = None, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.progress = RunProgress()
        self._quiet = quiet
        show_live = self.console.is_terminal if live is None else live
        self._live = None if quiet or not show_live else self._make_live()

    def _make_live(self) -> Live:
        return Live(_Status(self.progress), console=self.console, transient=True, refresh_per_second=8)

    def __enter__(self) -> ConsoleReporter:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.stop()

    def event(self, event: AgentEvent, record: dict[str, Any]) -> None:
        self.progress.update(event)
        if self._quiet:
            return
        line = event_line(event, self.progress)
        if line is not None:
            self.console.print(line, soft_wrap=True)

    def finished(self, result: AgentResult[Any]) -> None:
        # The answer is the product, printed as it is; only the progress log (a record others may see)
        # is scrubbed of secrets.
        sys.stdout.write(output_text(result.output) + "\n")
        sys.stdout.flush()

    def failed(self, error: BaseException) -> None:
        if isinstance(error, KeyboardInterrupt):
            message = "cancelled (Ctrl-C); the run stopped where it was"
        else:
            message = redact_text(str(error)) or type(error).__name__
        self.console.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


class JsonReporter:
    """Every event as a JSON line on stdout, then a ``result`` or ``error`` line (see :mod:`.records`)."""

    def __enter__(self) -> JsonReporter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        sys.stdout.flush()

    def event(self, event: AgentEvent, record: dict[str, Any]) -> None:
        sys.stdout.write(dumps(record) + "\n")
        sys.stdout.flush()

    def finished(self, result: AgentResult[Any]) -> None:
        sys.stdout.write(dumps(result_record(result)) + "\n")

    def failed(self, error: BaseException) -> None:
        sys.stdout.write(dumps(error_record(error)) + "\n")
