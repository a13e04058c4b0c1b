"""An optional judge of groundedness: a target asked, claim by claim, whether the retrieved
passages support it. Its accuracy depends on the judge model; Assay reports no figure for it
(calibrate it on labelled claims first, as ``assay redteam judge-calibrate`` does for safety)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assay.genai._grounding import Passage
from assay.genai._targets import Target, TargetError

__all__ = ["GROUNDEDNESS_RUBRIC", "judge_claim"]

GROUNDEDNESS_RUBRIC = """You check answers of a retrieval-augmented assistant. You are shown \
passages and one claim taken from the assistant's answer. The claim is SUPPORTED only if the \
passages state it (a paraphrase counts; an inference the passages do not make does not; a \
number, name or negation that differs makes it UNSUPPORTED).

Answer with one line of explanation, then a last line that is exactly VERDICT: SUPPORTED or \
VERDICT: UNSUPPORTED."""

_VERDICT = re.compile(r"verdict\s*[:=]\s*\**\s*(supported|unsupported)\b", re.IGNORECASE)


def judge_claim(
    judge: Target, claim: str, passages: Sequence[Passage], *, timeout: float = 60.0
) -> bool:
    """Whether the judge calls ``claim`` supported by ``passages``; raises
    :class:`TargetError` when the call fails or the reply has no verdict."""
    shown = "\n\n".join(f"[{p.id}]\n{p.text}" for p in passages) or "(no passages)"
    reply = judge.complete(
        [
            {"role": "system", "content": GROUNDEDNESS_RUBRIC},
            {"role": "user", "content": f"Passages:\n{shown}\n\nClaim:\n{claim}"},
        ],
        timeout=timeout,
    )
    found = _VERDICT.findall(reply.text)
    if not found:
        raise TargetError(f"the judge's reply has no VERDICT line: {reply.text[:160]!r}")
    return bool(found[-1].lower() == "supported")
