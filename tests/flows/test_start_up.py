"""A command's start-up (`flows/start_up.py`): signals held while the flow's modules are
imported, the cycle collector spared, no import left running once the flow starts, and no
heartbeats from runs on the local server this process started."""

from __future__ import annotations

import gc
import signal
import subprocess
import sys
import threading

import pytest

from flows.local_server import LocalServer
from flows.start_up import collector_spared, import_flow, signals_held
from tests.support.paths import ROOT


class Stopped(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def _start_up(steps: list[str], *signals: int) -> None:
    """A start-up that gets `signals` while it imports; `steps` says how far it got."""
    with signals_held():
        for number in signals:
            signal.raise_signal(number)
        steps.append("imports went on")
    steps.append("not reached")


def test_a_ctrl_c_during_start_up_takes_effect_right_after_it():
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        _start_up(steps, signal.SIGINT)
    assert steps == ["imports went on"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterms_during_start_up_reach_the_commands_own_handler_after_it():
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        steps: list[str] = []
        with pytest.raises(Stopped):
            _start_up(steps, signal.SIGTERM, signal.SIGTERM)
        assert steps == ["imports went on"]
        assert signal.getsignal(signal.SIGTERM) is _stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with signals_held():
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
            signal.raise_signal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_start_up_is_frozen_until_the_flow_returns():
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    with collector_spared() as started:
        assert not gc.isenabled()
        made = [[index] for index in range(1000)]
        started()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(made)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_collector_is_back_on_when_start_up_fails():
    with pytest.raises(RuntimeError), collector_spared():
        raise RuntimeError("a flow that does not import")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_no_import_runs_in_another_thread_once_the_flow_starts():
    chosen = import_flow("daily_backlog")
    assert chosen.name == "daily-backlog"
    assert not [thread for thread in threading.enumerate() if thread.name == "gx-preload"]


def test_runs_on_the_local_server_send_no_heartbeats():
    from prefect.settings import get_current_settings

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    server = LocalServer(process, "http://127.0.0.1:9/api", timeout=1)
    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect's default sends them
    with server.run_settings():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default


def _python(script: str) -> subprocess.CompletedProcess[str]:
    """`script` run by this Python in a process of its own, from the project's root."""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_a_quick_exit_runs_the_later_handlers_flushes_and_keeps_the_code():
    script = (
        "import atexit, sys\n"
        "from flows.start_up import QuickExit\n"
        "leaving = QuickExit()\n"
        "atexit.register(lambda: print('handler registered later ran'))\n"
        "print('unflushed output', end='')\n"
        "leaving.code = 3\n"
        "sys.exit(3)\n"
    )
    done = _python(script)
    assert done.returncode == 3
    assert done.stdout == "unflushed outputhandler registered later ran\n"
    assert done.stderr == ""


def test_an_exception_escaping_main_leaves_pythons_own_exit():
    script = (
        "from flows.start_up import QuickExit\n"
        "leaving = QuickExit()\n"
        "raise SystemExit('stopped with a traceback-like message')\n"
    )
    done = _python(script)
    assert done.returncode == 1
    assert "stopped with a traceback-like message" in done.stderr
