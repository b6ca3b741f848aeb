"""Split a model's transcript into hidden scratchpad reasoning and final output.

Models, small ones especially, write malformed tags. The parser never raises on
model text: whatever it finds is recorded, and ``parse_status`` says how well
the text followed the protocol.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel

SCRATCHPAD_TAG = "SCRATCHPAD_REASONING"
OUTPUT_TAG = "OUTPUT"

ParseStatus = Literal[
    "ok",  # scratchpad blocks (if any) closed, exactly one final <OUTPUT> block
    "empty",  # the model wrote nothing but whitespace
    "empty_output",  # an <OUTPUT> block that holds nothing
    "no_output_tag",  # no <OUTPUT> tag: output is the text outside the scratchpad
    "draft_only",  # <OUTPUT> appears only inside the scratchpad, never as a final answer
    "unclosed_tag",  # a scratchpad or output block that is never closed
    "multiple_outputs",  # several final <OUTPUT> blocks: the last is taken
    "nested_tags",  # a scratchpad opened inside another scratchpad
]

PARSE_STATUSES: tuple[str, ...] = ParseStatus.__args__  # type: ignore[attr-defined]


class ParsedTranscript(BaseModel):
    """The protocol view of one transcript."""

    scratchpad: str
    """All scratchpad blocks in order, separated by blank lines."""

    output: str
    """The final output (inside the last top-level <OUTPUT> block where there is one)."""

    parse_status: ParseStatus

    n_scratchpad_blocks: int = 0

    has_final_output: bool = False
    """Whether an <OUTPUT> tag appears outside the scratchpad."""

    @property
    def ok(self) -> bool:
        return self.parse_status == "ok"

    def as_metadata(self) -> dict[str, Any]:
        return self.model_dump()


def _tag(name: str, closing: bool = False) -> str:
    slash = r"/\s*" if closing else ""
    return rf"<\s*{slash}{name}\s*>"


def parse_transcript(
    text: str, scratchpad_tag: str = SCRATCHPAD_TAG, output_tag: str = OUTPUT_TAG
) -> ParsedTranscript:
    """Parse model text written under the scratchpad/output protocol.

    Args:
        text: Everything the model wrote, all turns joined in order.
        scratchpad_tag: Name of the hidden-reasoning tag.
        output_tag: Name of the final-output tag.
    """
    if not text or not text.strip():
        return ParsedTranscript(scratchpad="", output="", parse_status="empty")

    flags = re.IGNORECASE | re.DOTALL
    sp_open, sp_close = _tag(scratchpad_tag), _tag(scratchpad_tag, closing=True)
    out_open, out_close = _tag(output_tag), _tag(output_tag, closing=True)

    unclosed = False
    nested = False

    # 1. Closed scratchpad blocks; <OUTPUT> inside them is a draft, part of the reasoning.
    blocks: list[str] = []
    rest_parts: list[str] = []
    pos = 0
    for match in re.finditer(rf"{sp_open}(.*?){sp_close}", text, flags):
        rest_parts.append(text[pos : match.start()])
        body = match.group(1)
        if re.search(sp_open, body, flags):
            nested = True
            body = re.sub(sp_open, "", body, flags=flags)
        blocks.append(body.strip())
        pos = match.end()
    rest = "".join(rest_parts) + text[pos:]

    # 2. A scratchpad left open runs to the next top-level <OUTPUT> or to the end.
    open_match = re.search(sp_open, rest, flags)
    if open_match:
        unclosed = True
        after = rest[open_match.end() :]
        next_output = re.search(out_open, after, flags)
        end = next_output.start() if next_output else len(after)
        blocks.append(after[:end].strip())
        rest = rest[: open_match.start()] + after[end:]
    rest = re.sub(sp_close, "", rest, flags=flags)  # stray closing tags
    scratchpad = "\n\n".join(b for b in blocks if b)

    # 3. Final output blocks in what remains.
    outputs = [m.group(1) for m in re.finditer(rf"{out_open}(.*?){out_close}", rest, flags)]
    tail = re.sub(rf"{out_open}(.*?){out_close}", "", rest, flags=flags)
    dangling = re.search(out_open, tail, flags)
    if dangling:
        unclosed = True
        outputs.append(tail[dangling.end() :])

    status: ParseStatus
    if outputs:
        output = re.sub(out_close, "", outputs[-1], flags=flags).strip()
        if unclosed:
            status = "unclosed_tag"
        elif len(outputs) > 1:
            status = "multiple_outputs"
        elif nested:
            status = "nested_tags"
        elif not output:
            status = "empty_output"
        else:
            status = "ok"
    else:
        drafted = any(re.search(out_open, b, flags) for b in blocks)
        output = "" if drafted else re.sub(out_close, "", rest, flags=flags).strip()
        if unclosed:
            status = "unclosed_tag"
        elif drafted:
            status = "draft_only"
        else:
            status = "no_output_tag"

    return ParsedTranscript(
        scratchpad=scratchpad,
        output=output,
        parse_status=status,
        n_scratchpad_blocks=len([b for b in blocks if b]),
        has_final_output=bool(outputs),
    )


def needs_continuation(
    reply: str, scratchpad_tag: str = SCRATCHPAD_TAG, output_tag: str = OUTPUT_TAG
) -> bool:
    """Whether a reply reasoned in the scratchpad but gave no final output yet."""
    parsed = parse_transcript(reply, scratchpad_tag, output_tag)
    return parsed.n_scratchpad_blocks > 0 and not parsed.has_final_output
