"""agentkit's own table of model families: the rules litellm's model table does not hold.

A model name matches a family by prefix (lower-case, after any ``provider/`` path or ``vendor.`` prefix);
the longest matching prefix wins, so ``gpt-5.1-codex`` beats ``gpt-5.1`` beats ``gpt-5``. Context windows
here are the family's floor: the shipped price table's ``max_input_tokens`` wins where it has the model.
"""

from __future__ import annotations

from dataclasses import replace

from agentkit.models.profiles._profile import ModelProfile

__all__ = ["FAMILIES", "match_family"]

_OPENAI_TOOLS = ("web_search", "file_search", "code_interpreter", "image_generation")
_ANTHROPIC_TOOLS = ("web_search", "web_fetch", "code_execution")
_GEMINI_TOOLS = ("google_search", "code_execution", "url_context")
_OPENAI = ModelProfile("OpenAI", structured_output="json_schema", prompt_caching="automatic")
_O_SERIES = replace(_OPENAI, reasoning=True, thinking="effort", sampling=(), max_tokens_param="max_completion_tokens")
_CLAUDE = ModelProfile(
    "Claude",
    reasoning=True,
    efforts=("low", "medium", "high"),
    thinking_temperature=1.0,
    thinking_top_p=(0.95, 1.0),
    context_window=200_000,
    max_output_tokens=64_000,
    native_tools=_ANTHROPIC_TOOLS,
    structured_output="tool",
    prompt_caching="explicit",
)
_GEMINI = ModelProfile(
    "Gemini",
    reasoning=True,
    context_window=1_048_576,
    max_output_tokens=65_536,
    native_tools=_GEMINI_TOOLS,
    structured_output="json_schema",
    prompt_caching="automatic",
)
_OPEN_WEIGHTS = ModelProfile("open weights", structured_output="json_schema", prompt_caching="none")

FAMILIES: tuple[ModelProfile, ...] = (
    # --- OpenAI ----------------------------------------------------------------------------------
    replace(
        _O_SERIES,
        family="OpenAI o-series",
        models=("o1", "o3", "o4"),
        efforts=("low", "medium", "high"),
        context_window=200_000,
        max_output_tokens=100_000,
        native_tools=_OPENAI_TOOLS,
    ),
    replace(
        _O_SERIES,
        family="OpenAI o1-mini / o1-preview",
        models=("o1-mini", "o1-preview"),
        efforts=(),
        context_window=128_000,
        max_output_tokens=65_536,
        parallel_tool_calls=False,
    ),
    replace(
        _O_SERIES,
        family="OpenAI GPT-5",
        models=("gpt-5",),
        efforts=("minimal", "low", "medium", "high"),
        context_window=272_000,
        max_output_tokens=128_000,
        native_tools=_OPENAI_TOOLS,
    ),
    replace(
        _O_SERIES,
        family="OpenAI GPT-5.1",
        models=("gpt-5.1",),
        efforts=("none", "low", "medium", "high"),
        context_window=272_000,
        max_output_tokens=128_000,
        native_tools=_OPENAI_TOOLS,
    ),
    replace(
        _O_SERIES,
        family="OpenAI GPT-5.2 and later",
        models=("gpt-5.2", "gpt-5.3", "gpt-5.4", "gpt-5.5"),
        efforts=("none", "low", "medium", "high", "xhigh"),
        context_window=272_000,
        max_output_tokens=128_000,
        native_tools=_OPENAI_TOOLS,
    ),
    replace(
        _O_SERIES,
        family="OpenAI GPT-5 Codex",
        models=("gpt-5-codex", "gpt-5.1-codex", "codex-mini"),
        efforts=("low", "medium", "high"),
        context_window=272_000,
        max_output_tokens=128_000,
    ),
    replace(
        _O_SERIES,
        family="OpenAI GPT-5 Pro",
        models=("gpt-5-pro",),
        efforts=("high",),
        context_window=272_000,
        max_output_tokens=272_000,
    ),
    replace(
        _OPENAI,
        family="OpenAI GPT-5 Chat",
        models=("gpt-5-chat",),
        reasoning=False,
        efforts=(),
        context_window=128_000,
        max_output_tokens=16_384,
    ),
    replace(
        _OPENAI,
        family="OpenAI GPT-5.x Chat",
        models=("gpt-5.1-chat", "gpt-5.2-chat", "gpt-5.3-chat"),
        reasoning=True,
        efforts=("medium",),
        thinking="effort",
        sampling=(),
        max_tokens_param="max_completion_tokens",
        context_window=128_000,
        max_output_tokens=16_384,
    ),
    replace(
        _OPENAI,
        family="OpenAI GPT-4.1",
        models=("gpt-4.1",),
        reasoning=False,
        efforts=(),
        context_window=1_047_576,
        max_output_tokens=32_768,
        native_tools=_OPENAI_TOOLS,
    ),
    replace(
        _OPENAI,
        family="OpenAI GPT-4o / GPT-4",
        models=("gpt-4o", "gpt-4-turbo", "gpt-4", "gpt-3.5", "chatgpt-4o"),
        reasoning=False,
        efforts=(),
        context_window=128_000,
        max_output_tokens=16_384,
        native_tools=_OPENAI_TOOLS,
    ),
    replace(
        _OPEN_WEIGHTS,
        family="OpenAI gpt-oss",
        models=("gpt-oss",),
        reasoning=True,
        efforts=("low", "medium", "high"),
        thinking="effort",
        context_window=131_072,
        max_output_tokens=131_072,
    ),
    # --- Anthropic -------------------------------------------------------------------------------
    replace(
        _CLAUDE,
        family="Claude 4 (thinking budget)",
        models=("claude-opus-4", "claude-sonnet-4", "claude-haiku-4", "claude-3-7-sonnet", "claude-4"),
        thinking="budget",
    ),
    replace(
        _CLAUDE,
        family="Claude Opus 4.5 (effort)",
        models=("claude-opus-4-5",),
        thinking="effort",
    ),
    replace(
        _CLAUDE,
        family="Claude 4.6 and later (adaptive thinking)",
        models=("claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-7", "claude-opus-4-8", "claude-sonnet-4-7"),
        thinking="adaptive",
        efforts=("low", "medium", "high", "max"),
    ),
    # --- DeepSeek --------------------------------------------------------------------------------
    ModelProfile(
        "DeepSeek V3 (non-thinking)",
        models=("deepseek-chat", "deepseek-v3"),
        reasoning=False,
        efforts=(),
        context_window=65_536,
        max_output_tokens=8_192,
        structured_output="json_object",
        prompt_caching="automatic",
    ),
    ModelProfile(
        "DeepSeek V3.1 / V3.2 (hybrid thinking)",
        models=("deepseek-v3.1", "deepseek-v3.2", "deepseek-v3p1", "deepseek-v3p2"),
        reasoning=True,
        context_window=128_000,
        max_output_tokens=65_536,
        structured_output="json_object",
        prompt_caching="automatic",
    ),
    ModelProfile(
        "DeepSeek R1",
        models=("deepseek-reasoner", "deepseek-r1"),
        reasoning=True,
        context_window=65_536,
        max_output_tokens=65_536,
        structured_output="json_object",
        prompt_caching="automatic",
    ),
    ModelProfile(
        "DeepSeek V4",
        models=("deepseek-v4", "deepseek-flash"),
        reasoning=True,
        thinking="effort",
        context_window=1_000_000,
        max_output_tokens=384_000,
        structured_output="json_object",
        prompt_caching="automatic",
    ),
    # --- Qwen, Llama, local ----------------------------------------------------------------------
    replace(
        _OPEN_WEIGHTS,
        family="Qwen3 / QwQ",
        models=("qwen3", "qwq"),
        reasoning=True,
        thinking="think_tags",
        context_window=32_768,
        max_output_tokens=32_768,
    ),
    replace(
        _OPEN_WEIGHTS,
        family="Llama 3 / 4",
        models=("llama-3", "llama3", "llama-4", "llama4", "meta-llama-3", "llama-v3"),
        reasoning=False,
        efforts=(),
        context_window=131_072,
        max_output_tokens=8_192,
    ),
    replace(
        _OPEN_WEIGHTS,
        family="SmolLM2 (local default)",
        models=("smollm2",),
        reasoning=False,
        efforts=(),
        context_window=8_192,
        max_output_tokens=8_192,
    ),
    # --- Gemini ----------------------------------------------------------------------------------
    replace(
        _GEMINI,
        family="Gemini 2.5",
        models=("gemini-2.5",),
        efforts=("minimal", "low", "medium", "high"),
        thinking="budget",
    ),
    replace(_GEMINI, family="Gemini 3", models=("gemini-3",), thinking="effort"),
    replace(
        _GEMINI,
        family="Gemini 3 Pro",
        models=("gemini-3-pro",),
        efforts=("low", "high"),
        thinking="effort",
    ),
    replace(
        _GEMINI,
        family="Gemini 3 Flash",
        models=("gemini-3-flash",),
        efforts=("minimal", "low", "medium", "high"),
        thinking="effort",
    ),
)


def _candidates(model_name: str) -> list[str]:
    """The lower-case name after each ``/`` or ``.``-separated prefix (``openrouter/openai/o4-mini``:
    ``o4-mini``; ``us.anthropic.claude-sonnet-4``: ``claude-sonnet-4``)."""
    name = model_name.lower().rsplit("/", 1)[-1]
    return [name, *(name[index + 1 :] for index, char in enumerate(name) if char == ".")]


def match_family(model_name: str) -> ModelProfile | None:
    """The family whose longest name prefix matches ``model_name``, or ``None``."""
    best: tuple[int, ModelProfile] | None = None
    for name in _candidates(model_name):
        for family in FAMILIES:
            for prefix in family.models:
                if _matches(name, prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), family)
    return None if best is None else best[1]


def _matches(name: str, prefix: str) -> bool:
    """``name`` starts with ``prefix`` at a word boundary (``o1-mini`` is ``o1``'s; ``o10`` is not)."""
    rest = name[len(prefix) :] if name.startswith(prefix) else None
    return rest is not None and (not rest or not rest[0].isalnum())
