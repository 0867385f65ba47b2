"""Fakes for the Fabric module tests: only the command runner and the clock are faked.

The runner replays the stdout, stderr and exit code of real Fabric 2.5.16 CLI commands saved under
fixtures/fabric/ (how they were captured: fixtures/fabric/README.md). The clock is a monotonic
clock that moves only when the code sleeps or a scripted command takes time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "fabric"


def capture(name):
    """A captured command: {'cmd', 'rc', 'stdout', 'stderr'} (see fixtures/fabric/README.md)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def answer(name):
    """(rc, stdout, stderr) of a captured command, as the runner returns it."""
    data = capture(name)
    return data["rc"], data["stdout"], data["stderr"]


def decoded(name):
    """A real configtxlator proto_decode output (JSON text), as its stdout."""
    return (FIXTURES / name).read_text()


def command_words(argv):
    """`peer channel fetch oldest`, `configtxlator proto_decode`: the program and its words, up to the first flag or path."""
    words = [os.path.basename(argv[0])]
    for arg in argv[1:]:
        if arg.startswith("-") or "/" in arg:
            break
        words.append(arg)
    return " ".join(words)


def flag(argv, name):
    return argv[argv.index(name) + 1] if name in argv else None


# The commands that write to the network. Check mode must never run one of them.
WRITES = ("peer channel create", "peer channel join", "peer channel update")
# What fabric_cli.subprocess_runner answers for a command its bound killed before it printed anything
# (the runner's answer, not the CLI's: exit status TIMED_OUT, as coreutils timeout).
KILLED = (124, "", "")


class FakeClock:
    """A monotonic clock (call it for the time) that moves only by sleep() and by the runner's scripted durations."""

    def __init__(self, now=1000.0):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class FakeRunner:
    """Replays a script of (command words, answer[, seconds]): commands must come in that order, none more.

    An answer is (rc, stdout, stderr), or a function of argv returning one. With a clock, a step
    takes its seconds (default 0) of it; a step longer than the command's bound is killed at the
    bound, as the real runner does (answer KILLED). Like the real CLI, a successful fetch writes
    its block file and proto_encode/compute_update write their --output (compute_update even when
    it finds no difference: a 0-byte file). The bound of each call is in `timeouts`.
    """

    def __init__(self, *script, clock=None):
        self.script = list(script)
        self.clock = clock
        self.calls = []
        self.timeouts = []

    def __call__(self, argv, env, timeout=None):
        self.calls.append((list(argv), dict(env)))
        self.timeouts.append(timeout)
        assert self.script, f"unexpected command: {' '.join(argv)}"
        expected, reply, *took = self.script.pop(0)
        words = command_words(argv)
        assert words == expected, f"expected {expected!r}, got {' '.join(argv)}"
        seconds = took[0] if took else 0.0
        if timeout is not None and seconds > timeout:
            self.clock.now += timeout
            return KILLED
        if self.clock is not None:
            self.clock.now += seconds
        rc, stdout, stderr = reply(argv) if callable(reply) else reply
        if words.startswith("peer channel fetch") and rc == 0 and not Path(argv[4]).exists():
            Path(argv[4]).write_bytes(b"block")  # unless the reply wrote a real block
        if words in ("configtxlator proto_encode", "configtxlator compute_update"):
            Path(flag(argv, "--output")).write_bytes(b"" if rc else b"proto")
        return rc, stdout, stderr

    @property
    def words(self):
        return [command_words(argv) for argv, _ in self.calls]

    def writes(self):
        return [word for word in self.words if word in WRITES or word == "peer channel fetch 0"]

    def done(self):
        return not self.script
