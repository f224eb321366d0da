"""``querywright.fineTune`` over stdio: $/progress, switching models, cancellation.

The language server under test is the real one (``querywright lsp`` as a subprocess, a
pytest-lsp client with VS Code's capabilities). The training pipeline it launches is replaced,
through ``QUERYWRIGHT_FINETUNE_COMMAND``, by a small script that prints the JSON lines
``querywright finetune --progress json`` prints (stage ``begin``, ``progress``, ``done``), so
these tests check the glue in seconds; the real pipeline is tested in
tests/trainer/test_finetune_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..support.lsp_client import STATUS, as_dict
from .conftest import EXAMPLE, TIMEOUT_S

EVENTS_OK = [
    {"event": "begin", "stage": "dataset", "start": 0, "weight": 5},
    {"event": "begin", "stage": "train", "start": 5, "weight": 55},
    {"event": "progress", "stage": "train", "step": 1, "total": 2, "loss": 2.5},
    {"event": "progress", "stage": "train", "step": 2, "total": 2, "loss": 1.5},
    {"event": "begin", "stage": "export", "start": 70, "weight": 15},
    {"event": "done", "stage": "finetune", "model": "{model}", "better": "{better}",
     "message": "execution accuracy 50% vs 20%"},
]
SCRIPT = """
import json, os, sys, time
args = sys.argv[1:]
open(os.environ["QW_TEST_ARGS"], "w").write(json.dumps(args))
for event in json.loads(os.environ["QW_TEST_EVENTS"]):
    print(json.dumps(event), flush=True)
if os.environ.get("QW_TEST_HANG"):  # keep reporting until terminated
    for step in range(3000):
        print(json.dumps({"event": "progress", "stage": "train", "step": 1, "total": 9}), flush=True)
        time.sleep(0.2)
sys.exit(int(os.environ.get("QW_TEST_EXIT", "0")))
"""
STAGE_DIR = Path(os.environ.get("PYTEST_TMP_STAGE", "/tmp")) / f"qw-finetune-lsp-{os.getpid()}"


def server_config(name: str, events: list[dict[str, Any]], **env: str) -> ClientServerConfig:
    """A server whose fineTune runs the stand-in script with ``events``."""
    STAGE_DIR.mkdir(parents=True, exist_ok=True)
    script = STAGE_DIR / "finetune_standin.py"
    script.write_text(SCRIPT)
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "querywright.cli.main", "lsp"],
        server_env={**os.environ, "QUERYWRIGHT_FINETUNE_COMMAND": json.dumps(
            [sys.executable, str(script)]), "QW_TEST_ARGS": str(STAGE_DIR / f"{name}.args"),
            "QW_TEST_EVENTS": json.dumps(events), **env})


def events(model: str, better: bool) -> list[dict[str, Any]]:
    text = json.dumps(EVENTS_OK).replace('"{model}"', json.dumps(model))
    return json.loads(text.replace('"{better}"', json.dumps(better)))


async def start(client: LanguageClient, workspace: Path, trusted: bool | None = None) -> None:
    status = client.protocol.wait_for_notification_async(STATUS)
    options: dict[str, Any] = {"dialect": "postgres"} if trusted is None else {"dialect": "postgres", "trusted": trusted}
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="shop")],
        initialization_options=options))
    await asyncio.wait_for(status, TIMEOUT_S)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(EXAMPLE, tmp_path / "shop")
    return tmp_path / "shop"


async def fine_tune(client: LanguageClient, token: str | None,
                    **arguments: Any) -> dict[str, Any]:
    """Run the command; a ``token`` is one the client made up (as VS Code does); without one,
    the server creates its own with window/workDoneProgress/create."""
    if token is not None:
        client.progress_reports.setdefault(token, [])
    result = await asyncio.wait_for(client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="querywright.fineTune", arguments=[arguments],
                                   work_done_token=token)), TIMEOUT_S)
    return as_dict(result)


@pytest_lsp.fixture(config=server_config("better", events("builtin:smollm2-135m", True)))
async def better_client(client: LanguageClient, shop: Path):
    await start(client, shop)
    yield
    await client.shutdown_session()


async def test_progress_and_switch_to_a_better_model(better_client: LanguageClient,
                                                     shop: Path) -> None:
    result = await fine_tune(better_client, "ft-1", max_steps=2)
    assert result["ok"] is True and result["switched"] is True
    assert result["model"] == "builtin:smollm2-135m"
    assert result["message"].startswith("Now using builtin:smollm2-135m.")
    reports = better_client.progress_reports["ft-1"]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    percentages = [r.percentage for r in reports[1:-1]]
    assert percentages == sorted(percentages) and percentages[-1] == 100
    assert 5 in percentages and 60 in percentages  # train begins at 5%, its last step ends at 60%
    assert any("loss 1.500" in (r.message or "") for r in reports[1:-1])
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    args = json.loads((STAGE_DIR / "better.args").read_text())
    assert args[:4] == ["--workspace", str(shop), "--progress", "json"]
    assert args[args.index("--max-steps") + 1] == "2" and "--current" in args
    assert "--trust-workspace" not in args  # the client did not say the workspace is trusted


@pytest_lsp.fixture(config=server_config("trusted", events("builtin:smollm2-135m", False)))
async def trusted_client(client: LanguageClient, shop: Path):
    await start(client, shop, trusted=True)
    yield
    await client.shutdown_session()


async def test_a_trusted_workspace_is_fine_tuned_with_trust(trusted_client: LanguageClient) -> None:
    result = await fine_tune(trusted_client, "ft-trusted")
    assert result["ok"] is True
    args = json.loads((STAGE_DIR / "trusted.args").read_text())
    assert "--trust-workspace" in args  # as the editor trusts it, the CLI honours its database_url


@pytest_lsp.fixture(config=server_config("worse", events("shop-sql-1", False)))
async def worse_client(client: LanguageClient, shop: Path):
    await start(client, shop)
    yield
    await client.shutdown_session()


async def test_a_model_that_is_not_better_is_not_used(worse_client: LanguageClient) -> None:
    result = await fine_tune(worse_client, None)
    assert result["ok"] is True and result["switched"] is False
    assert result["message"].startswith("Kept ") and result["model"] == "shop-sql-1"
    [reports] = worse_client.progress_reports.values()  # on the server-created token
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)


@pytest_lsp.fixture(config=server_config("failing", [
    {"event": "begin", "stage": "dataset", "start": 0, "weight": 5},
    {"event": "error", "stage": "finetune", "message": "base model nope does not exist"}],
    QW_TEST_EXIT="2"))
async def failing_client(client: LanguageClient, shop: Path):
    await start(client, shop)
    yield
    await client.shutdown_session()


async def test_a_failed_run_says_why(failing_client: LanguageClient) -> None:
    result = await fine_tune(failing_client, "ft-3")
    assert result == {"ok": False, "model": None, "switched": False,
                      "message": "fine-tuning failed: base model nope does not exist"}
    assert isinstance(failing_client.progress_reports["ft-3"][-1], types.WorkDoneProgressEnd)


@pytest_lsp.fixture(config=server_config("hang", EVENTS_OK[:3], QW_TEST_HANG="1"))
async def hanging_client(client: LanguageClient, shop: Path):
    await start(client, shop)
    yield
    await client.shutdown_session()


async def test_cancel_terminates_the_run(hanging_client: LanguageClient) -> None:
    running = asyncio.ensure_future(fine_tune(hanging_client, "ft-4"))

    def reported() -> bool:
        return any(isinstance(r, types.WorkDoneProgressReport)
                   for r in hanging_client.progress_reports.get("ft-4", []))

    while not reported():  # the stand-in reports every 0.2 s until it is terminated
        await asyncio.wait_for(hanging_client.protocol.wait_for_notification_async(
            types.PROGRESS), TIMEOUT_S)
    hanging_client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams("ft-4"))
    result = await asyncio.wait_for(running, TIMEOUT_S)
    assert result["ok"] is False and "cancelled" in result["message"]
    assert isinstance(hanging_client.progress_reports["ft-4"][-1], types.WorkDoneProgressEnd)
