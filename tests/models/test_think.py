"""Splitting inline ``<think>`` reasoning from content, whole or chunk by chunk (agentkit.models._think)."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from agentkit.models._think import Piece, ThinkSplitter, split_think, template_opens_think

JSON_STARTS = ("{", "```")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>Let me add 2 and 2.</think>\n\nIt is 4.", ("Let me add 2 and 2.", "It is 4.")),
        ("\n <think>hmm</think>ok", ("hmm", "ok")),
        ("<think>\n  spaced out \n</think>  ok ", ("spaced out", "ok ")),
        ("<think></think>answer", ("", "answer")),
        ("<think>cut off while thinking", ("cut off while thinking", "")),
        ("<think>cut off at the tag</thi", ("cut off at the tag</thi", "")),
        ("<thinking>a</thinking>b", ("a", "b")),
        ("<think>a</thinking>b", ("a</thinking>b", "")),
        ("<think>a</think>\n<thinking>c</thinking> d", ("a\nc", "d")),
        ("<think>a</think><think> </think>d", ("a", "d")),
        ("Okay, 2 + 2.\n</think>\n\nIt is 4.", ("Okay, 2 + 2.", "It is 4.")),
        ("  a</thinking>b", ("a", "b")),
        ("a</think>\n<think>b</think>c", ("a\nb", "c")),
        ("</think>answer", ("", "answer")),
        (
            "The tag <think>x</think> appears later, so it is text.",
            ("", "The tag <think>x</think> appears later, so it is text."),
        ),
        ("b<think>c</think>d", ("", "b<think>c</think>d")),
        ("  plain", ("", "  plain")),
        ("<thin", ("", "<thin")),
        ("<thinkx>a</think>b", ("", "<thinkx>a</think>b")),
        ("", ("", "")),
    ],
)
def test_split_think(text: str, expected: tuple[str, str]) -> None:
    assert split_think(text) == expected


def test_orphan_close_can_be_turned_off() -> None:
    assert split_think("a</think>b", orphan=False) == ("", "a</think>b")
    assert split_think("<think>a</think>b", orphan=False) == ("a", "b")


def test_text_starts_are_never_reasoning() -> None:
    reply = '{"final_answer": "the tag </think>"}'
    assert split_think(reply, text_starts=JSON_STARTS) == ("", reply)
    assert split_think(reply) == ('{"final_answer": "the tag', '"}')
    assert split_think("<think>a</think>{}", text_starts=JSON_STARTS) == ("a", "{}")


def pieces_of(splitter: ThinkSplitter, chunks: list[str]) -> list[Piece]:
    return [piece for chunk in chunks for piece in splitter.feed(chunk)] + splitter.finish()


def test_orphan_reasoning_is_held_until_the_close_tag() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Okay, so ") == []
    assert splitter.feed("2 + 2.</th") == []
    assert splitter.feed("ink>\n\nIt") == [("reasoning", "Okay, so 2 + 2."), ("text", "It")]
    assert splitter.feed(" is 4.") == [("text", " is 4.")]
    assert splitter.finish() == []


def test_undecided_text_is_text_at_the_end_or_at_an_open_tag() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Hello") == []
    assert splitter.finish() == [("text", "Hello")]
    splitter = ThinkSplitter()
    assert splitter.feed("Hello <thi") == []
    assert splitter.feed("nk") == [("text", "Hello <think")]
    assert splitter.feed("> x") == [("text", "> x")]


def test_text_streams_at_once_without_the_orphan_rule_or_after_a_text_start() -> None:
    assert ThinkSplitter(orphan=False).feed("Hello") == [("text", "Hello")]
    splitter = ThinkSplitter(text_starts=JSON_STARTS)
    assert splitter.feed(" `") == []
    assert splitter.feed('``json\n{"a"') == [("text", ' ```json\n{"a"')]


def test_reasoning_streams_before_its_close_tag_whitespace_held() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("<think>\n one ") == [("reasoning", "one")]
    assert splitter.feed("two\n</") == [("reasoning", " two")]
    assert splitter.feed("think>") == []
    assert splitter.feed("<think>three") == [("reasoning", "\nthree")]
    assert splitter.finish() == []


# --- every chunking gives the documented split ---------------------------------------------------

_BLOCK = re.compile(r"\s*<(think|thinking)>(.*?)(?:</\1>|\Z)", re.DOTALL)
_ORPHAN = re.compile(r"(.*?)</(?:think|thinking)>", re.DOTALL)
_LEADING_TAG = re.compile(r"\s*<(?:think|thinking)>")


def reference_split(text: str, orphan: bool, text_starts: tuple[str, ...]) -> tuple[str, str]:
    """The rules of the module docstring, written with regular expressions."""
    blocks: list[str] = []
    rest = text
    starts_as_text = text.lstrip().startswith(text_starts) if text_starts else False
    if orphan and not _LEADING_TAG.match(text) and not starts_as_text:
        found = _ORPHAN.match(text)
        if found and "<think" not in found.group(1):
            blocks.append(found.group(1).strip())
            rest = text[found.end() :]
    while found := _BLOCK.match(rest):
        blocks.append(found.group(2).strip())
        rest = rest[found.end() :]
    if not blocks:
        return "", text
    return "\n".join(b for b in blocks if b), rest.lstrip()


def chunked(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in itertools.pairwise([0, *points, len(text)])]


ALPHABET = "ab{<>/thinkg \n"
words = st.text(alphabet=ALPHABET, max_size=25)
tags = st.sampled_from(["<think>", "</think>", "<thinking>", "</thinking>", "<thin", "</th", "{", " ", "\n"])
texts = st.lists(st.one_of(words, tags), max_size=8).map("".join)
cuts = st.lists(st.integers(min_value=0, max_value=200), max_size=20)
rules = st.tuples(st.booleans(), st.sampled_from([(), JSON_STARTS]))


@given(texts, cuts, rules)
def test_any_chunking_gives_the_documented_split(text: str, cut: list[int], rule: tuple[bool, tuple[str, ...]]) -> None:
    orphan, text_starts = rule
    splitter = ThinkSplitter(orphan=orphan, text_starts=text_starts)
    pieces = pieces_of(splitter, chunked(text, cut))
    reasoning = "".join(t for kind, t in pieces if kind == "reasoning")
    answer = "".join(t for kind, t in pieces if kind == "text")
    assert (reasoning, answer) == reference_split(text, orphan, text_starts)
    assert split_think(text, orphan=orphan, text_starts=text_starts) == (reasoning, answer)
    assert all(t for _, t in pieces)


@given(words, words, cuts)
def test_nothing_is_lost_but_tags_and_edge_whitespace(thought: str, answer: str, cut: list[int]) -> None:
    assume("<think" not in thought and "</think" not in thought and not _LEADING_TAG.match(answer))
    pieces = pieces_of(ThinkSplitter(), chunked(f"{thought}</think>{answer}", cut))
    kinds = [kind for kind, _ in pieces]
    assert kinds == sorted(kinds, key=["reasoning", "text"].index)
    assert "".join(t for _, t in pieces) == thought.strip() + answer.lstrip()


@pytest.mark.parametrize(
    ("name", "opens"),
    [
        ("deepseek-r1-distill-qwen-7b", True),
        ("DeepSeek-R1-0528-Qwen3-8B-Q4_K_M.gguf", True),
        ("deepseek-r1:14b", True),
        ("QwQ-32B", True),
        ("Qwen3-4B-Thinking-2507", True),
        ("qwen3-8b", False),
        ("gpt-4.1", False),
        ("smollm2-135m-instruct", False),
        ("r10-model", False),
        ("deepseek-reasoner", False),
    ],
)
def test_template_opens_think(name: str, opens: bool) -> None:
    assert template_opens_think(name) is opens
