"""The scratchpad/output parser: every parse_status, and text it must survive."""

from __future__ import annotations

import pytest

from goalguard.protocol import PARSE_STATUSES, needs_continuation, parse_transcript

CASES = {
    "ok": (
        "<SCRATCHPAD_REASONING>I am on the free tier.</SCRATCHPAD_REASONING>\n"
        "<OUTPUT>Here is the answer.</OUTPUT>",
        "I am on the free tier.",
        "Here is the answer.",
    ),
    "empty": ("   \n ", "", ""),
    "empty_output": (
        "<SCRATCHPAD_REASONING>Say nothing.</SCRATCHPAD_REASONING><OUTPUT>  </OUTPUT>",
        "Say nothing.",
        "",
    ),
    "no_output_tag": (
        "<SCRATCHPAD_REASONING>Think.</SCRATCHPAD_REASONING>\nSure, here you go.",
        "Think.",
        "Sure, here you go.",
    ),
    "draft_only": (
        "<SCRATCHPAD_REASONING>Draft: <OUTPUT>maybe this</OUTPUT> hmm.</SCRATCHPAD_REASONING>",
        "Draft: <OUTPUT>maybe this</OUTPUT> hmm.",
        "",
    ),
    "unclosed_tag": (
        "<SCRATCHPAD_REASONING>Thinking...</SCRATCHPAD_REASONING><OUTPUT>I will not help",
        "Thinking...",
        "I will not help",
    ),
    "multiple_outputs": (
        "<OUTPUT>first</OUTPUT> text <OUTPUT>second</OUTPUT>",
        "",
        "second",
    ),
    "nested_tags": (
        "<SCRATCHPAD_REASONING>a <SCRATCHPAD_REASONING>b</SCRATCHPAD_REASONING>"
        "<OUTPUT>done</OUTPUT>",
        "a b",
        "done",
    ),
}


def test_cases_cover_every_status() -> None:
    assert set(CASES) == set(PARSE_STATUSES)


@pytest.mark.parametrize("status", sorted(CASES))
def test_parse_status(status: str) -> None:
    text, scratchpad, output = CASES[status]
    parsed = parse_transcript(text)
    assert parsed.parse_status == status
    assert parsed.scratchpad == scratchpad
    assert parsed.output == output


def test_several_blocks_in_order_and_case_insensitive_tags() -> None:
    text = (
        "<scratchpad_reasoning>one</scratchpad_reasoning>\n<NEXT/>\n"
        "< SCRATCHPAD_REASONING >two</ SCRATCHPAD_REASONING>\n<output>final</output>"
    )
    parsed = parse_transcript(text)
    assert parsed.parse_status == "ok"
    assert parsed.scratchpad == "one\n\ntwo"
    assert parsed.n_scratchpad_blocks == 2
    assert parsed.output == "final"


def test_unclosed_scratchpad_ends_at_the_output() -> None:
    parsed = parse_transcript("<SCRATCHPAD_REASONING>I should refuse.<OUTPUT>No.</OUTPUT>")
    assert parsed.parse_status == "unclosed_tag"
    assert parsed.scratchpad == "I should refuse."
    assert parsed.output == "No."


def test_unclosed_scratchpad_without_output_has_no_output() -> None:
    parsed = parse_transcript("<SCRATCHPAD_REASONING>Still thinking about it")
    assert parsed.parse_status == "unclosed_tag"
    assert parsed.output == ""
    assert parsed.scratchpad == "Still thinking about it"


def test_untagged_text_is_the_output() -> None:
    parsed = parse_transcript("I'm sorry, I can't help with that.")
    assert parsed.parse_status == "no_output_tag"
    assert parsed.output == "I'm sorry, I can't help with that."
    assert parsed.scratchpad == ""


def test_stray_closing_tags_are_dropped() -> None:
    parsed = parse_transcript("</SCRATCHPAD_REASONING><OUTPUT>Fine.</OUTPUT></OUTPUT>")
    assert parsed.parse_status == "ok"
    assert parsed.output == "Fine."


def test_hostile_text_does_not_crash() -> None:
    for text in ["<OUTPUT>", "</OUTPUT>", "<<<>>>", "<OUTPUT><OUTPUT></OUTPUT>", "\x00" * 5]:
        parsed = parse_transcript(text)
        assert parsed.parse_status in PARSE_STATUSES


def test_needs_continuation() -> None:
    assert needs_continuation("<SCRATCHPAD_REASONING>Let me think.</SCRATCHPAD_REASONING>")
    assert needs_continuation("<SCRATCHPAD_REASONING>cut off mid-thou")
    assert needs_continuation(
        "<SCRATCHPAD_REASONING>draft <OUTPUT>x</OUTPUT></SCRATCHPAD_REASONING>"
    )
    assert not needs_continuation(
        "<SCRATCHPAD_REASONING>a</SCRATCHPAD_REASONING><OUTPUT>b</OUTPUT>"
    )
    assert not needs_continuation("Just an answer with no tags.")
