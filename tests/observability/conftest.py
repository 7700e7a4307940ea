"""Fixtures for tracing, CLI and report tests (the network is blocked by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentkit.tracing

from . import obs_app


@dataclass(frozen=True)
class Traces:
    """Where a test's spans go."""

    provider: TracerProvider
    exporter: InMemorySpanExporter

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()


def _tracing(capture_content: bool) -> Iterator[Traces]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentkit.tracing.instrument(provider, capture_content=capture_content)
    try:
        yield Traces(provider, exporter)
    finally:
        agentkit.tracing.uninstrument()
        provider.shutdown()


@pytest.fixture
def traces() -> Iterator[Traces]:
    """Tracing on, with content captured, into an in-memory exporter; off again afterwards."""
    yield from _tracing(capture_content=True)


@pytest.fixture
def traces_without_content() -> Iterator[Traces]:
    """Tracing on with the default settings (no message or tool contents)."""
    yield from _tracing(capture_content=False)


APP = obs_app.__name__
"""The import name of the test app module, for ``module:attribute`` command-line values."""
