"""Regenerate ``agentkit/models/prices.json`` from the installed litellm's price table.

    .venv/bin/python scripts/refresh_prices.py          # rewrite the file
    .venv/bin/python scripts/refresh_prices.py --check  # exit 1 when the file is out of date

Keeps the chat models of the providers agentkit supports (OpenAI's o-series, gpt-4o, gpt-4.1 and
gpt-5 families; Anthropic; DeepSeek; Gemini; Groq; Together; Fireworks; xAI; OpenRouter; Moonshot)
and, of each entry, only the fields agentkit reads (prices, and ``max_input_tokens``: the context
window). The output is sorted, so a refresh diff shows only price changes. litellm is read as a file,
not imported.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "agentkit" / "models" / "prices.json"
TABLE_FILE = "model_prices_and_context_window_backup.json"
FIELDS = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "output_cost_per_reasoning_token",
    "supports_reasoning",
    "max_input_tokens",
)
MODES = {"chat", "responses"}
PROVIDERS = {
    "anthropic",
    "deepseek",
    "fireworks_ai",
    "gemini",
    "groq",
    "moonshot",
    "openai",
    "openrouter",
    "together_ai",
    "xai",
}
OPENAI_FAMILIES = re.compile(r"^(o\d|gpt-4o|gpt-4\.1|gpt-5|codex)")
NOT_TEXT = re.compile(r"audio|realtime|search|transcribe|tts|image|^ft:")


def litellm_table() -> dict[str, Any]:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("litellm is not installed: pip install 'agentkit[litellm]' first.")
    path = Path(next(iter(spec.submodule_search_locations))) / TABLE_FILE
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return table


def keep(name: str, entry: Mapping[str, Any]) -> bool:
    """A priced chat model of a supported provider (OpenAI: only the supported families)."""
    provider = entry.get("litellm_provider")
    if provider not in PROVIDERS or entry.get("mode") not in MODES or "input_cost_per_token" not in entry:
        return False
    if NOT_TEXT.search(name):
        return False
    return provider != "openai" or OPENAI_FAMILIES.match(name.removeprefix("openai/")) is not None


def slim(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {field: entry[field] for field in FIELDS if entry.get(field) is not None}


def render(table: Mapping[str, Any], source: str) -> str:
    models = {
        name: slim(entry) for name, entry in sorted(table.items()) if isinstance(entry, dict) and keep(name, entry)
    }
    lines = [f"  {json.dumps(name)}: {json.dumps(entry, sort_keys=True)}" for name, entry in models.items()]
    header = f'{{\n  "source": {json.dumps(source)},\n  "models": {{\n'
    return header + ",\n".join("  " + line for line in lines) + "\n  }\n}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when prices.json differs from litellm's table")
    args = parser.parse_args()
    source = f"litellm {importlib.metadata.version('litellm')} {TABLE_FILE}"
    text = render(litellm_table(), source)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date; run scripts/refresh_prices.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text) // 1024} KB, {len(json.loads(text)['models'])} models) from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
