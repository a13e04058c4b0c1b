"""The gate's decision posted to a chat channel (a Slack-compatible incoming webhook)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.gate._model import GateResult
from assay.integrations import post_json, webhook_url

__all__ = ["post_gate_to_webhook"]


def post_gate_to_webhook(config: Mapping[str, Any], result: GateResult) -> None:
    """Post a gate decision to a Slack-compatible incoming webhook (``{"text": ...}``)."""
    url = webhook_url(config)
    what = f"{result.system} {result.model_version}" if result.system else "evaluation results"
    lines = [
        f"*Assay gate {result.decision.upper()}* for {what} "
        f"({result.policy}, {result.checkpoint}): "
        f"{len(result.failures)} of {len(result.outcomes)} rules failed."
    ]
    lines += [
        f"• `{o.rule}` {o.subject}: {o.value} (threshold {o.threshold}). Fix: {o.fix}"
        for o in result.failures[:10]
    ]
    if len(result.failures) > 10:
        lines.append(f"… and {len(result.failures) - 10} more.")
    post_json(url, {"text": "\n".join(lines)}, what="The webhook")
