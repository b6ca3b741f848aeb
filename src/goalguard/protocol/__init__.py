"""The scratchpad/output protocol: a multi-step solver and a tolerant parser."""

from goalguard.protocol.parser import (
    PARSE_STATUSES,
    ParsedTranscript,
    ParseStatus,
    needs_continuation,
    parse_transcript,
)
from goalguard.protocol.solver import scratchpad_protocol

__all__ = [
    "PARSE_STATUSES",
    "ParseStatus",
    "ParsedTranscript",
    "needs_continuation",
    "parse_transcript",
    "scratchpad_protocol",
]
