"""Multi-turn attacks: the built-in ``multiturn`` suite (escalation, many-shot, role-play set-ups)
beats the weak demo assistant and not the guarded one, every case keeps its transcript, and an
interrupted conversation resumes with its earlier turns replayed from the cache."""

from __future__ import annotations

from pathlib import Path

from assay.demo.chat_server import weak_assistant
from assay.genai import CallableTarget, load_suite, run_redteam


def test_the_suite_beats_the_weak_assistant_not_the_guarded(tmp_path: Path) -> None:
    weak = run_redteam("multiturn", "assay.demo.chat_server:weak_assistant", output=tmp_path / "w")
    guarded = run_redteam("multiturn", "assay.demo.chat_server:guarded_assistant",
                          output=tmp_path / "g")  # fmt: skip
    assert weak.result.counts["fail"] == 12
    assert guarded.result.counts["pass"] == 12
    kinds = {t for c in weak.cases for t in c.tags} - {"multi_turn"}
    assert kinds == {"escalation", "many_shot", "roleplay_setup"}


def test_every_case_keeps_its_transcript(tmp_path: Path) -> None:
    run = run_redteam("multiturn", "assay.demo.chat_server:guarded_assistant", output=tmp_path)
    by_id = {r["case_id"]: r for r in run.records}
    # escalation: four user turns, each with its reply
    escalation = by_id["mt-esc-01"]["transcript"]
    assert [m["role"] for m in escalation] == ["user", "assistant"] * 4
    # many-shot: the pre-filled history (8 messages) comes first, then the exchange
    many = by_id["mt-many-01"]["transcript"]
    assert len(many) == 10
    first_answer = "Use a long passphrase of unrelated words, unique per site."
    assert many[1] == {"role": "assistant", "content": first_answer}
    assert many[-1]["role"] == "assistant"


def test_the_conversation_is_what_gets_through() -> None:
    """The final request alone is refused by the weak assistant; after the set-up it is not."""
    suite = load_suite("multiturn")
    for case_id in ("mt-role-01", "mt-many-01"):
        case = next(c for c in suite.cases() if c.id == case_id)
        alone = weak_assistant([{"role": "user", "content": case.prompt}])
        assert alone.startswith(("I'm sorry", "I can't", "That's not", "I won't", "Sorry"))
        history = [{"role": r, "content": t} for r, t in case.history]
        convo: list[dict[str, str]] = list(history)
        for turn in case.turns:
            convo.append({"role": "user", "content": turn})
            convo.append({"role": "assistant", "content": weak_assistant(convo)})
        assert not convo[-1]["content"].startswith(("I'm sorry", "I can't", "Sorry"))


def test_an_interrupted_conversation_resumes_from_the_cache(tmp_path: Path) -> None:
    calls: list[int] = []
    down = {"on": True}

    def flaky(messages: list[dict[str, str]]) -> str:
        turn = sum(m["role"] == "user" for m in messages)
        calls.append(turn)
        if down["on"] and turn == 3:
            raise RuntimeError("backend down")  # every conversation breaks at its third turn
        return "I'm sorry, but I can't help with that."

    target = CallableTarget(flaky, name="tests:flaky")
    out, cache = tmp_path / "run", tmp_path / "cache"
    first = run_redteam("multiturn", target, output=out, cache=cache, retries=0)
    # the 4 escalation conversations and the 3-turn control break; the rest finish
    assert first.result.counts["error"] == 5
    down["on"] = False
    calls.clear()
    second = run_redteam("multiturn", target, output=out, cache=cache, retries=0)
    assert second.result.counts["error"] == 0
    # turns 1 and 2 come from the cache; only turns 3 (and 4) are sent again
    assert sorted(calls) == [3] * 5 + [4] * 4
