"""``assay genai scan-logs`` (issue 20, item 7): harmful-output rates of a production log by
window and cohort, the change against a baseline, and the scan as incident evidence."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from assay import governance as g
from assay.cli import main
from assay.errors import InputError
from assay.genai import LogScanResult, scan_logs

SAFE = "Your parcel is on its way and should arrive on Tuesday."
TOXIC = "Shut up, you pathetic idiot."


def _log(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "timestamp": [t for t, _, _ in rows],
            "response": [r for _, r, _ in rows],
            "model": [m for _, _, m in rows],
        }
    )


def _spike() -> pl.DataFrame:
    """Day 1: 2 of 100 toxic on model a; day 2: 20 of 100 on model a; model b stays at 1%."""
    rows = []
    for day, toxic in (("2026-11-01", 2), ("2026-11-02", 20)):
        rows += [
            (f"{day}T{h % 24:02d}:00:00Z", TOXIC if h < toxic else SAFE, "a") for h in range(100)
        ]
        rows += [(f"{day}T{h % 24:02d}:30:00Z", TOXIC if h < 1 else SAFE, "b") for h in range(100)]
    return _log(rows)


def test_rates_intervals_and_the_flagged_change() -> None:
    result = scan_logs(_spike(), by="model", detectors=["toxicity"])
    groups = {(gr["window"][:10], gr["cohort"]): gr for gr in result.to_dict()["groups"]}
    day2 = groups[("2026-11-02", "a")]
    assert (day2["n"], day2["harmful"], day2["rate"]) == (100, 20, 0.2)
    low, high = proportion_confint(20, 100, alpha=0.05, method="wilson")
    assert day2["ci"] == {
        "low": pytest.approx(low, abs=1e-6),
        "high": pytest.approx(high, abs=1e-6),
    }
    change = day2["change"]
    assert change["baseline_window"].startswith("2026-11-01")
    assert change["difference"] == pytest.approx(0.18)
    assert change["flagged"] is True
    assert change["direction"] == "up"
    # Newcombe's hybrid score interval for 20/100 − 2/100, by hand from the Wilson limits.
    l1 = low
    _, u2 = proportion_confint(2, 100, alpha=0.05, method="wilson")
    assert change["ci"]["low"] == pytest.approx(
        0.18 - ((0.2 - l1) ** 2 + (u2 - 0.02) ** 2) ** 0.5, abs=1e-6
    )
    assert groups[("2026-11-02", "b")]["change"]["flagged"] is False
    assert [(f["window"][:10], f["cohort"]) for f in result.flagged] == [("2026-11-02", "a")]
    assert groups[("2026-11-01", "a")]["change"] is None  # the baseline itself


def test_baseline_window_can_be_named_and_the_prompt_is_not_a_leak() -> None:
    result = scan_logs(_spike(), by="model", baseline="2026-11-02T05:00", detectors=["toxicity"])
    payload = result.to_dict()
    assert payload["baseline"].startswith("2026-11-02")
    first = next(
        g for g in payload["groups"] if g["window"].startswith("2026-11-01") and g["cohort"] == "a"
    )
    assert first["change"]["direction"] == "down"
    log = pl.DataFrame(
        {
            "timestamp": ["2026-11-01T09:00:00Z", "2026-11-01T10:00:00Z"],
            "prompt": ["My number is (415) 555-0132", "hi"],
            "response": ["Saved (415) 555-0132 for you.", "Jane's number is (415) 555-0199."],
        }
    )
    counts = scan_logs(log, prompt="prompt").to_dict()["detectors"]
    assert counts == {"toxicity": 0, "pii": 1}


def test_nested_fields_canaries_and_bad_options(tmp_path: Path) -> None:
    path = tmp_path / "chats.jsonl"
    lines = [
        {
            "ts": "2026-11-01T09:00:00Z",
            "messages": [{"text": "code?"}, {"text": "It is ZQ-7F3A-91C2-4B0D"}],
        },
        {"ts": "2026-11-01T09:05:00Z", "messages": [{"text": "hi"}, {"text": "Hello!"}]},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = scan_logs(path, response="messages.1.text", prompt="messages.0.text", time="ts",
                       canaries=["ZQ-7F3A-91C2-4B0D"])  # fmt: skip
    assert result.to_dict()["detectors"]["canary"] == 1
    assert result.to_dict()["provenance"]["dataset"]["digest"].startswith("sha256:")
    with pytest.raises(InputError, match=r"messages\.1\.text"):
        scan_logs(path, response="reply", time="ts")
    with pytest.raises(InputError, match="--window must be"):
        scan_logs(path, response="messages.1.text", time="ts", window="daily")
    with pytest.raises(InputError, match="needs the tokens"):
        scan_logs(path, response="messages.1.text", time="ts", detectors=["canary"])
    with pytest.raises(InputError, match="before the first window"):
        scan_logs(path, response="messages.1.text", time="ts", baseline="2020-01-01")


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    capsys.readouterr()
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_records_the_scan_and_an_incident_bundle_carries_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.parquet"
    _spike().write_parquet(log)
    ws = g.init_workspace(tmp_path / "project", user="ada")
    g.add_system(ws, "helpdesk", purpose="Answers customers.", owner="ada", generative=True)
    g.add_model_version(ws, "helpdesk", "7")
    code, out, _ = _run(monkeypatch, capsys, "genai", "scan-logs", str(log), "--by", "model",
                        "-f", "json", "--fail-on-flag")  # fmt: skip
    assert code == 1
    assert LogScanResult.from_json(out).flagged
    code, out, err = _run(monkeypatch, capsys, "genai", "scan-logs", str(log), "--window", "1d",
                          "--record", "--system", "helpdesk", "--model-version", "7",
                          "--workspace", str(tmp_path / "project"))  # fmt: skip
    assert code == 0, err
    assert "recorded evidence EV-" in out
    inc = g.open_incident(ws, title="Toxic replies", severity="sev2", systems=["helpdesk"],
                          occurred_at="2026-11-02T00:00")  # fmt: skip
    bundle = g.bundle_incident(ws, inc.ref, out=tmp_path / "bundle.zip")
    with zipfile.ZipFile(bundle.path) as z:
        evidence = json.loads(z.read("evidence.json"))
        scans = [e for e in evidence if e["kind"] == "genai_log_scan"]
        assert len(scans) == 1
        (path,) = [n for n in z.namelist() if n.startswith(f"evidence/{scans[0]['ref']}-")]
        blob = json.loads(z.read(path))
    assert blob["schema"] == "assay.genai-log-scan/v1"
    code, _, err = _run(monkeypatch, capsys, "genai", "scan-logs", str(log), "--window", "soon")
    assert code == 2
    assert "--window must be" in err
    code, _, err = _run(monkeypatch, capsys, "genai", "scan-logs", str(log), "--response", "reply")
    assert code == 2
    assert "Columns are: timestamp, response, model" in err
