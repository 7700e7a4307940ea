"""Splitting inline ``<think>...</think>`` reasoning from content, whole or chunk by chunk."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from agentkit.models._openai_common import ThinkSplitter, split_think


def test_leading_think_block_is_reasoning() -> None:
    assert split_think("<think>Let me add 2 and 2.</think>\n\nIt is 4.") == ("Let me add 2 and 2.", "It is 4.")


def test_whitespace_before_the_tag_is_allowed() -> None:
    assert split_think("\n <think>hmm</think>ok") == ("hmm", "ok")


def test_text_without_a_leading_tag_is_unchanged() -> None:
    text = "The tag <think>x</think> appears later, so it is text."
    assert split_think(text) == ("", text)
    assert split_think("plain") == ("", "plain")
    assert split_think("<thin") == ("", "<thin")


def test_unclosed_think_is_all_reasoning() -> None:
    assert split_think("<think>cut off while thinking") == ("cut off while thinking", "")


def test_empty_think_block() -> None:
    assert split_think("<think></think>answer") == ("", "answer")


def chunked(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def stream_split(chunks: list[str]) -> tuple[str, str]:
    splitter = ThinkSplitter()
    pieces = [p for chunk in chunks for p in splitter.feed(chunk)] + splitter.finish()
    return "".join(t for k, t in pieces if k == "reasoning"), "".join(t for k, t in pieces if k == "text")


texts = st.one_of(
    st.builds(
        lambda pre, thought, answer: f"{pre}<think>{thought}</think>{answer}",
        st.sampled_from(["", " ", "\n"]),
        st.text(alphabet="ab<>/thinkx \n", max_size=30),
        st.text(alphabet="ab<>/thinkx \n", max_size=30),
    ),
    st.text(alphabet="ab<>/thinkx \n", max_size=40),
)


@given(texts, st.lists(st.integers(min_value=0, max_value=80), max_size=12))
def test_any_chunking_gives_the_same_split_as_the_whole_text(text: str, cuts: list[int]) -> None:
    assert stream_split(chunked(text, cuts)) == split_think(text)


@given(st.text(alphabet="ab<>/thinkx \n", max_size=40), st.text(alphabet="ab<>/thinkx \n", max_size=40))
def test_reasoning_without_close_tag_inside_is_recovered(thought: str, answer: str) -> None:
    if "</think>" in thought:
        return
    reasoning, text = split_think(f"<think>{thought}</think>{answer}")
    assert reasoning == thought
    assert text == answer.lstrip()
