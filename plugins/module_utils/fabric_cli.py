"""The Fabric CLI (peer, configtxlator) for the channel modules, and nothing else shells out.

One identity's environment (MSP, peer, orderer, TLS CAs, host-name overrides), commands run with
bounded retries on transient errors (SERVICE_UNAVAILABLE, connection failures), the CLI's own error
text surfaced, configtxlator for proto <-> JSON, and pure parsers of the CLI's answers.

Every bound is in seconds: each command runs under a wall-clock bound (``command_timeout``; the CLI's
deliver otherwise waits for a block without any deadline), and every wait loop runs against a
deadline on a monotonic clock.

The command runner is injected: ``runner(argv, env, timeout) -> (rc, stdout, stderr)``, with rc
``TIMED_OUT`` when the bound killed the command. In a module it is ``subprocess_runner()``; in unit
tests a fake that replays answers captured from the real CLI. The clock (``clock()`` in seconds,
monotonic) and ``sleep`` are injected too. Strings matched here were checked against the Fabric
2.5.16 CLI (tests/unit/fixtures/fabric).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.fabric_policy import proto_fields

# `peer channel list` prints this line (with its trailing space), then one channel name per line.
CHANNEL_LIST_HEADER = "Channels peers has joined: "
# Deliver of a channel the orderer does not have: `Error: can't read the block: &{NOT_FOUND}`.
NOT_FOUND = "&{NOT_FOUND}"
# The orderer cannot serve the channel yet (e.g. its Kafka partition is not ready): retry later.
SERVICE_UNAVAILABLE = "&{SERVICE_UNAVAILABLE}"
# `configtxlator compute_update` when the two configs are equal (exit 1, and still a 0-byte output file).
NO_DIFFERENCES = "no differences detected between original and updated config"
# Transient failures worth another attempt: the ordering service not ready, the endpoint not reachable.
TRANSIENT_MARKERS = (
    "SERVICE_UNAVAILABLE",
    "failed to create new connection",
    "connection refused",
    "context deadline exceeded",
    "code = Unavailable",
    "transport is closing",
    "no such host",
)
# The endpoint is not there at all (nothing listens, or the host name does not resolve): a node not
# running yet. Check mode predicts rather than waits on these.
UNREACHABLE_MARKERS = ("connection refused", "no such host")
# `peer channel create` sent the creation but gave up waiting (its -t) for the genesis block.
CREATION_WAIT_TIMEOUT = "timeout waiting for channel creation"
# The orderer's definitive answer to a broadcast (`got unexpected status: BAD_REQUEST -- ...`).
ORDERER_REFUSAL = "got unexpected status: "
ENVELOPE_CONFIG_UPDATE = 2  # common.HeaderType CONFIG_UPDATE
# The exit status the runner reports for a command its wall-clock bound killed (as coreutils timeout).
TIMED_OUT = 124
# Seconds a command killed by its bound gets between SIGTERM and SIGKILL.
KILL_GRACE = 5.0
# Seconds between two reads of a wait loop.
POLL_SECONDS = 1.0
# The shortest bound a command gets when a deadline is near (a command needs some time to answer).
MIN_COMMAND_SECONDS = 1.0
_ERROR_LINE = re.compile(r"^(Error:|\S+: error:)")


class FabricCLIError(Exception):
    """A CLI command failed; carries the command, its exit code and output for fail_json, and whether another try may help."""

    def __init__(self, msg, cmd=None, rc=None, stdout="", stderr="", *, transient=False):
        super().__init__(msg)
        self.msg, self.cmd, self.rc, self.stdout, self.stderr, self.transient = msg, cmd, rc, stdout, stderr, transient

    def details(self):
        return {"cmd": self.cmd, "rc": self.rc, "stdout": self.stdout, "stderr": self.stderr}


# ---------------------------------------------------------------------------------------------
# Pure parsers of the CLI's answers
# ---------------------------------------------------------------------------------------------


def seconds(value):
    """Seconds for a message: `3`, `2.5`, `61.2`."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def command_name(argv):
    """`peer channel fetch oldest`, `configtxlator proto_decode`: the program and its words, up to the first flag or path."""
    words = [os.path.basename(str(argv[0]))]
    for arg in argv[1:]:
        if arg.startswith("-") or "/" in arg:
            break
        words.append(arg)
    return " ".join(words)


def final_error(stdout, stderr):
    """The command's final error: from the first 'Error:' (or 'configtxlator: error:') line on; '' when there is none.

    Every classification of a failure reads this, never the whole output: the CLI logs what it sees
    while it waits (`peer channel create` logs `&{SERVICE_UNAVAILABLE}` and `&{NOT_FOUND}` for the
    new chain), which says nothing about how the command ended.
    """
    for text in (stderr or "", stdout or ""):
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if _ERROR_LINE.match(line):
                return "\n".join(lines[index:]).strip()
    return ""


def cli_error_text(stdout, stderr):
    """The CLI's own error for a message: final_error, else the output's last lines."""
    error = final_error(stdout, stderr)
    if error:
        return error
    tail = [line for line in (stderr or stdout or "").splitlines() if line.strip()][-5:]
    return "\n".join(tail)


def parse_channel_list(stdout):
    """Channel names from `peer channel list`: the whole lines after the header line.

    Raises ValueError when the header is missing (not the answer of `peer channel list`).
    """
    lines = [line.rstrip("\r") for line in (stdout or "").split("\n")]
    if CHANNEL_LIST_HEADER not in lines:
        raise ValueError(f"no line {CHANNEL_LIST_HEADER!r} in the output of peer channel list")
    names = lines[lines.index(CHANNEL_LIST_HEADER) + 1 :]
    return [name for name in names if name]


def is_joined(stdout, channel):
    """Whole-line match of a channel name in `peer channel list` (never a substring)."""
    return channel in parse_channel_list(stdout)


def is_not_found(stderr):
    """The command ended with `&{NOT_FOUND}` (a deliver of a channel the orderer does not have)."""
    return NOT_FOUND in final_error("", stderr)


def is_service_unavailable(stderr):
    return SERVICE_UNAVAILABLE in final_error("", stderr)


def is_transient(stdout, stderr):
    """The command ended with an error worth another attempt (its final error, not a line it logged on the way)."""
    error = final_error(stdout, stderr)
    return any(marker in error for marker in TRANSIENT_MARKERS)


def is_unreachable(stdout, stderr):
    """The command ended because the endpoint is not there: connection refused, or no such host."""
    error = final_error(stdout, stderr)
    return any(marker in error for marker in UNREACHABLE_MARKERS)


def is_creation_wait_timeout(stderr):
    """`peer channel create` sent the creation, then gave up waiting (its -t) for the channel's genesis block."""
    return CREATION_WAIT_TIMEOUT in final_error("", stderr)


def is_orderer_refusal(stderr):
    """The orderer answered the broadcast with a status other than SUCCESS (`got unexpected status: ...`)."""
    return ORDERER_REFUSAL in final_error("", stderr)


def is_already_joined(stderr, channel):
    """`peer channel join` of a channel whose ledger the peer has: `ledger [CH] already exists with state ...`."""
    return re.search(rf"ledger \[{re.escape(channel)}\] already exists", final_error("", stderr)) is not None


def is_existing_channel(stderr, channel):
    """`peer channel create` of a channel the orderer has.

    BAD_REQUEST `error applying config update to existing channel 'CH'`, on the creation's read of
    `[Group]  /Channel/Application` at version 0 (a replayed config update names another key).
    """
    text = final_error("", stderr)
    return f"error applying config update to existing channel '{channel}'" in text and "key [Group]  /Channel/Application be at version 0," in text


def is_no_differences(stderr):
    return NO_DIFFERENCES in final_error("", stderr)


def parse_blockchain_info(stdout):
    """`peer channel getinfo`: the JSON after 'Blockchain info: ' (height, currentBlockHash, ...)."""
    for line in (stdout or "").splitlines():
        head, sep, tail = line.partition("Blockchain info: ")
        if sep and not head.strip():
            info = json.loads(tail)
            info["height"] = int(info.get("height", 0))
            return info
    raise ValueError("no 'Blockchain info: ' line in the output of peer channel getinfo")


def config_from_block(block):
    """The channel config (common.Config as JSON) inside a decoded config block."""
    try:
        return block["data"]["data"][0]["payload"]["data"]["config"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"not a decoded config block: no .data.data[0].payload.data.config ({exc!r})") from exc


def application_orgs(config):
    """Names of the organisation groups under Application (configtx.yaml's Name of each org)."""
    groups = config.get("channel_group", {}).get("groups", {}).get("Application", {}).get("groups") or {}
    return sorted(groups)


def _org_group(config, org):
    groups = config.get("channel_group", {}).get("groups", {}).get("Application", {}).get("groups") or {}
    if org not in groups:
        raise ValueError(f"organization {org!r} is not in the channel's Application groups {sorted(groups)}")
    return groups[org]


def anchor_peers(config, org):
    """The org's anchor peers as [{'host', 'port'}]; [] while AnchorPeers is absent (before the first update)."""
    value = ((_org_group(config, org).get("values") or {}).get("AnchorPeers") or {}).get("value") or {}
    return [{"host": peer["host"], "port": int(peer["port"])} for peer in value.get("anchor_peers") or []]


def normalize_anchor_peers(peers):
    """Order-free, typed form for comparisons."""
    return sorted(({"host": str(peer["host"]), "port": int(peer["port"])} for peer in peers or []), key=lambda p: (p["host"], p["port"]))


def with_anchor_peers(config, org, peers):
    """A copy of the config with the org's AnchorPeers set (mod_policy/version kept when it exists)."""
    updated = copy.deepcopy(config)
    values = _org_group(updated, org).setdefault("values", {})
    current = values.get("AnchorPeers") or {"mod_policy": "Admins", "version": "0"}
    current = dict(current, value={"anchor_peers": [{"host": p["host"], "port": int(p["port"])} for p in peers]})
    values["AnchorPeers"] = current
    return updated


def update_envelope(channel, config_update):
    """A config update wrapped as common.Envelope JSON (channel header type CONFIG_UPDATE), unsigned."""
    return {
        "payload": {
            "header": {"channel_header": {"channel_id": channel, "type": ENVELOPE_CONFIG_UPDATE}},
            "data": {"config_update": config_update},
        }
    }


# ---------------------------------------------------------------------------------------------
# Blocks: the header read straight from the protobuf bytes, and Fabric's block hash
# ---------------------------------------------------------------------------------------------


def block_header(data):
    """common.Block bytes -> {'number', 'previous_hash', 'data_hash'} (bytes) of its BlockHeader."""
    header = next((value for number, wire, value in proto_fields(data) if number == 1 and wire == 2), None)
    if header is None:
        raise ValueError("not a common.Block: no header")
    fields = {number: value for number, _, value in proto_fields(header)}
    return {"number": int(fields.get(1, 0)), "previous_hash": bytes(fields.get(2, b"")), "data_hash": bytes(fields.get(3, b""))}


def _der(tag, content):
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def block_hash(header):
    """Fabric's block hash: SHA-256 of the header's ASN.1 DER SEQUENCE {number, previous_hash, data_hash}
    (protoutil.BlockHeaderHash); the value `peer channel getinfo` prints as currentBlockHash."""
    number = header["number"]
    integer = number.to_bytes(number.bit_length() // 8 + 1, "big")  # two's complement, minimal, non-negative
    body = _der(0x02, integer) + _der(0x04, header["previous_hash"]) + _der(0x04, header["data_hash"])
    return hashlib.sha256(_der(0x30, body)).hexdigest()


# ---------------------------------------------------------------------------------------------
# Identity and runner
# ---------------------------------------------------------------------------------------------

# Option specs shared by the modules (each module documents the ones it uses).
MSP_SPEC = {
    "msp_id": {"type": "str", "required": True},
    "msp_dir": {"type": "path", "required": True},
    "tls": {"type": "bool", "default": True},
    "fabric_bin_dir": {"type": "path", "default": "/opt/hlf/fabric-2.5.16/bin"},
    "fabric_cfg_path": {"type": "path", "default": "/opt/hlf/fabric-2.5.16/config"},
    "retries": {"type": "int", "default": 5},
    "retry_delay": {"type": "float", "default": 3.0},
    "command_timeout": {"type": "int", "default": 60},
}
ORDERER_SPEC = {
    "orderer_address": {"type": "str", "required": True},
    "orderer_tls_ca": {"type": "path"},
    "orderer_tls_hostname_override": {"type": "str"},
}
PEER_SPEC = {
    "peer_address": {"type": "str", "required": True},
    "peer_tls_ca": {"type": "path"},
    "peer_tls_hostname_override": {"type": "str"},
}


def argument_spec(*specs, **extra):
    merged = {}
    for spec in specs:
        merged.update(copy.deepcopy(spec))
    merged.update(extra)
    return merged


def option_errors(params):
    """What is wrong with a combination of the shared options; [] when nothing is.

    Every option given is used: an endpoint's TLS settings need TLS and the endpoint, and with TLS
    every endpoint given needs its CA (else the CLI would be run with `--cafile None`). The bounds
    are counts and seconds that make sense.
    """
    errors = []
    for name, low, strict in (("retries", 0, False), ("retry_delay", 0, False), ("command_timeout", 0, True)):
        value = params.get(name)
        if value is not None and (value <= low if strict else value < low):
            errors.append(f"{name} must be {'greater than' if strict else 'at least'} {low}, got {value}")
    tls = params.get("tls", True)
    for endpoint in ("orderer", "peer"):
        settings = [f"{endpoint}_tls_{suffix}" for suffix in ("ca", "hostname_override") if params.get(f"{endpoint}_tls_{suffix}")]
        address = params.get(f"{endpoint}_address")
        if settings and not tls:
            errors.append(f"{' and '.join(settings)} given with tls=false, where nothing uses {'them' if len(settings) > 1 else 'it'}")
        elif settings and not address:
            errors.append(f"{' and '.join(settings)} given without {endpoint}_address, where nothing uses {'them' if len(settings) > 1 else 'it'}")
        if tls and address and not params.get(f"{endpoint}_tls_ca"):
            errors.append(f"{endpoint}_tls_ca is required with tls=true to reach {endpoint}_address {address}")
    return errors


def subprocess_runner(kill_grace=KILL_GRACE):
    """The modules' runner: argv (no shell) with env on top of the environment, under a wall-clock bound.

    At `timeout` seconds the command gets SIGTERM, `kill_grace` seconds later SIGKILL (peer and
    configtxlator are single processes); the answer is then (TIMED_OUT, what it printed until then).
    """

    def run(argv, env, timeout):
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, **env},
            )
        except OSError as exc:
            raise FabricCLIError(f"cannot run {argv[0]}: {exc}", cmd=" ".join(argv)) from exc
        try:
            out, err = process.communicate(timeout=timeout)
            rc = process.returncode
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                out, err = process.communicate(timeout=kill_grace)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            rc = TIMED_OUT
        return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    return run


class Result:
    """One command after its attempts: argv, rc, stdout, stderr, and whether the bound killed the last attempt."""

    def __init__(self, argv, rc, stdout, stderr, *, bound, bound_by="command_timeout", attempts=1, elapsed=0.0):
        self.argv, self.rc, self.stdout, self.stderr = argv, rc, stdout or "", stderr or ""
        self.bound, self.bound_by, self.attempts, self.elapsed = bound, bound_by, attempts, elapsed

    @property
    def ok(self):
        return self.rc == 0

    @property
    def timed_out(self):
        return self.rc == TIMED_OUT

    @property
    def transient(self):
        """Worth another attempt: killed by its bound, or a transient final error."""
        return not self.ok and (self.timed_out or is_transient(self.stdout, self.stderr))

    @property
    def error_text(self):
        if self.timed_out:
            return f"{command_name(self.argv)} did not finish within {seconds(self.bound)} s ({self.bound_by}) and was killed"
        return cli_error_text(self.stdout, self.stderr)


class FabricCLI:
    """The peer and configtxlator CLIs as one identity, every command bounded in seconds, bounded retries on transient errors."""

    def __init__(self, runner, params, tmpdir, sleep=time.sleep, clock=time.monotonic):
        self.runner, self.params, self.tmpdir, self.sleep, self.clock = runner, params, tmpdir, sleep, clock
        self.retries = int(params.get("retries", 5))
        self.retry_delay = float(params.get("retry_delay", 3.0))
        self.command_timeout = float(params.get("command_timeout", 60))
        self.commands = []
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)

    # -- environment ---------------------------------------------------------------------------

    def bin(self, name):
        return os.path.join(self.params["fabric_bin_dir"], name)

    def env(self):
        p = self.params
        env = {
            "FABRIC_CFG_PATH": p["fabric_cfg_path"],
            "CORE_PEER_LOCALMSPID": p["msp_id"],
            "CORE_PEER_MSPCONFIGPATH": p["msp_dir"],
            "CORE_PEER_TLS_ENABLED": "true" if p.get("tls", True) else "false",
        }
        if p.get("peer_address"):
            env["CORE_PEER_ADDRESS"] = p["peer_address"]
        if p.get("tls", True) and p.get("peer_tls_ca"):
            env["CORE_PEER_TLS_ROOTCERT_FILE"] = p["peer_tls_ca"]
        if p.get("tls", True) and p.get("peer_tls_hostname_override"):
            env["CORE_PEER_TLS_SERVERHOSTOVERRIDE"] = p["peer_tls_hostname_override"]
        return env

    def deliver_args(self):
        """Blocks come from the orderer when one is given, else from the peer's deliver service."""
        return self.orderer_args() if self.params.get("orderer_address") else []

    def orderer_args(self):
        p = self.params
        args = ["-o", p["orderer_address"]]
        if p.get("tls", True):
            if not p.get("orderer_tls_ca"):
                raise FabricCLIError(f"orderer_tls_ca is required with tls=true to reach orderer_address {p['orderer_address']}")
            args += ["--tls", "--cafile", p["orderer_tls_ca"]]
            if p.get("orderer_tls_hostname_override"):
                args += ["--ordererTLSHostnameOverride", p["orderer_tls_hostname_override"]]
        return args

    def path(self, name):
        return os.path.join(self.tmpdir, name)

    # -- running -------------------------------------------------------------------------------

    def run(self, argv, retry=True, deadline=None, give_up=None):
        """Run a command under its wall-clock bound; on a transient error try again. Returns a Result.

        At most `retries` more attempts, none started past `deadline` (a clock() value), each bounded
        by command_timeout and by the time left until the deadline. give_up(result) -> True ends
        the retries early (check mode does not wait for a node that is not there).
        """
        if not all(isinstance(arg, str) for arg in argv):
            raise FabricCLIError(f"{command_name(argv)}: an argument is not a string (an option is missing): {argv!r}")
        attempts = 1 + (self.retries if retry else 0)
        start = self.clock()
        for attempt in range(1, attempts + 1):
            bound, bound_by = self.command_timeout, "command_timeout"
            if deadline is not None and deadline - self.clock() < bound:
                bound, bound_by = max(MIN_COMMAND_SECONDS, deadline - self.clock()), "the time left of the wait"
            self.commands.append(" ".join(argv))
            rc, out, err = self.runner(argv, self.env(), bound)
            result = Result(argv, rc, out, err, bound=bound, bound_by=bound_by, attempts=attempt, elapsed=self.clock() - start)
            if result.ok or not result.transient or attempt == attempts or (give_up and give_up(result)):
                return result
            if deadline is not None and self.clock() + self.retry_delay >= deadline:
                return result
            self.sleep(self.retry_delay)
        raise AssertionError("unreachable")

    def check(self, argv, what, retry=True, deadline=None, give_up=None):
        result = self.run(argv, retry=retry, deadline=deadline, give_up=give_up)
        if not result.ok:
            raise self.error(what, result)
        return result

    def error(self, what, result):
        note = f" (still failing after {result.attempts} attempts in {seconds(result.elapsed)} s)" if result.attempts > 1 else ""
        return FabricCLIError(
            f"{what} failed{note}: {result.error_text}",
            cmd=" ".join(result.argv),
            rc=result.rc,
            stdout=result.stdout,
            stderr=result.stderr,
            transient=result.transient,
        )

    # -- peer ----------------------------------------------------------------------------------

    def channel_list(self, give_up=None):
        argv = [self.bin("peer"), "channel", "list"]
        result = self.check(argv, f"peer channel list on {self.params.get('peer_address')}", give_up=give_up)
        try:
            return parse_channel_list(result.stdout)
        except ValueError as exc:
            raise FabricCLIError(str(exc), cmd=" ".join(argv), rc=0, stdout=result.stdout, stderr=result.stderr) from exc

    def fetch(self, channel, which, dest, retry=True, deadline=None):
        """`peer channel fetch <which>` from the orderer (or the peer); the Result, without raising."""
        argv = [self.bin("peer"), "channel", "fetch", str(which), dest, "-c", channel, *self.deliver_args()]
        return self.run(argv, retry=retry, deadline=deadline)

    def source(self):
        return self.params.get("orderer_address") or self.params.get("peer_address")

    def channel_exists(self, channel):
        """Fetch of the oldest block from the orderer: True when served, False on NOT_FOUND, else raise."""
        result = self.fetch(channel, "oldest", self.path(f"{channel}.oldest.block"))
        if result.ok:
            return True
        if is_not_found(result.stderr):
            return False
        raise self.error(f"reading channel {channel} from {self.source()}", result)

    def fetch_block(self, channel, which, what, deadline=None):
        dest = self.path(f"{channel}.{which}.block")
        result = self.fetch(channel, which, dest, deadline=deadline)
        if not result.ok:
            raise self.error(what, result)
        return dest

    def wait_for_block(self, channel, which, timeout):
        """Fetch a block until it is served, for at most `timeout` seconds (monotonic clock).

        NOT_FOUND and transient answers (SERVICE_UNAVAILABLE while a new Kafka chain starts, a fetch
        killed by its bound) mean "not yet". Returns (served, seconds waited, the last Result);
        raises on any other answer.
        """
        start = self.clock()
        deadline = start + timeout
        dest = self.path(f"{channel}.{which}.wait.block")
        while True:
            result = self.fetch(channel, which, dest, retry=False, deadline=deadline)
            if result.ok:
                return True, self.clock() - start, result
            if not (is_not_found(result.stderr) or result.transient):
                raise self.error(f"reading block {which} of {channel} from {self.source()}", result)
            now = self.clock()
            if now >= deadline:
                return False, now - start, result
            self.sleep(min(POLL_SECONDS, deadline - now))

    def create_channel(self, channel, tx_file):
        """`peer channel create` (retried on transient errors); the Result, without raising: the caller judges it."""
        block = self.path(f"{channel}.created.block")
        argv = [self.bin("peer"), "channel", "create", "-c", channel, "-f", tx_file, "--outputBlock", block, *self.orderer_args()]
        return self.run(argv)

    def join(self, channel, block):
        """`peer channel join`; True when joined now, False when the peer had the ledger (an earlier attempt's or another run's join)."""
        argv = [self.bin("peer"), "channel", "join", "-b", block]
        result = self.run(argv)
        if result.ok:
            return True
        if is_already_joined(result.stderr, channel):
            return False
        raise self.error(f"joining {self.params.get('peer_address')} to {channel}", result)

    def getinfo(self, channel):
        argv = [self.bin("peer"), "channel", "getinfo", "-c", channel]
        return parse_blockchain_info(self.check(argv, f"peer channel getinfo -c {channel}").stdout)

    def submit_update(self, channel, envelope_file):
        argv = [self.bin("peer"), "channel", "update", "-c", channel, "-f", envelope_file, *self.orderer_args()]
        return self.check(argv, f"submitting the config update of {channel}", retry=True)

    def block_info(self, channel, which):
        """Number and hash of a block (`newest`, or a number) as the node delivers it."""
        source = self.source()
        path = self.fetch_block(channel, which, f"fetching block {which} of {channel} from {source}")
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            header = block_header(data)
        except ValueError as exc:
            raise FabricCLIError(f"block {which} of {channel} from {source}: {exc}") from exc
        return {"number": header["number"], "hash": block_hash(header), "previous_hash": header["previous_hash"].hex()}

    # -- configtxlator -------------------------------------------------------------------------

    def proto_decode(self, msg_type, path):
        argv = [self.bin("configtxlator"), "proto_decode", "--type", msg_type, "--input", path]
        return json.loads(self.check(argv, f"configtxlator proto_decode --type {msg_type}", retry=False).stdout)

    def proto_encode(self, msg_type, document, path):
        source = path + ".json"
        with open(source, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        argv = [self.bin("configtxlator"), "proto_encode", "--type", msg_type, "--input", source, "--output", path]
        self.check(argv, f"configtxlator proto_encode --type {msg_type}", retry=False)
        return path

    def compute_update(self, channel, original, updated, output):
        """True when an update was written; False on 'no differences' (whatever the output file holds)."""
        argv = [self.bin("configtxlator"), "compute_update", "--channel_id", channel, "--original", original, "--updated", updated, "--output", output]
        result = self.run(argv, retry=False)
        if result.ok:
            return True
        if is_no_differences(result.stderr):
            return False
        raise self.error("configtxlator compute_update", result)

    # -- composite reads -----------------------------------------------------------------------

    def channel_config(self, channel, deadline=None):
        """(decoded newest config block, its config) from the orderer; raises FabricCLIError, NOT_FOUND included."""
        path = self.fetch_block(channel, "config", f"reading the config of {channel}", deadline=deadline)
        block = self.proto_decode("common.Block", path)
        try:
            return block, config_from_block(block)
        except ValueError as exc:
            raise FabricCLIError(str(exc)) from exc

    def config_update_envelope(self, channel, original, updated):
        """Encode both configs, compute the update, wrap it as an Envelope; None when there is no difference."""
        original_pb = self.proto_encode("common.Config", original, self.path("original.pb"))
        updated_pb = self.proto_encode("common.Config", updated, self.path("updated.pb"))
        update_pb = self.path("update.pb")
        if not self.compute_update(channel, original_pb, updated_pb, update_pb):
            return None
        config_update = self.proto_decode("common.ConfigUpdate", update_pb)
        return self.proto_encode("common.Envelope", update_envelope(channel, config_update), self.path("update_envelope.pb"))


def run_module(name, ensure, argument_spec, *, required_if=None, runner=None, sleep=None, clock=None, check_options=None, **module_options):
    """The channel modules' shared main: parse the arguments, refuse invalid combinations (option_errors
    and the module's own check_options(params) -> [messages]) before any command runs, run
    ensure(cli, params, check_mode) in a scratch directory that is always removed, and report the
    result with the commands that ran and the warnings.
    """
    module = AnsibleModule(argument_spec=argument_spec, required_if=required_if, supports_check_mode=True, **module_options)
    errors = option_errors(module.params) + (check_options(module.params) if check_options else [])
    if errors:
        module.fail_json(msg="invalid options: " + "; ".join(errors), commands=[])
    with tempfile.TemporaryDirectory(prefix=f"{name}.") as tmpdir:
        cli = FabricCLI(runner or subprocess_runner(), module.params, tmpdir, sleep=sleep or time.sleep, clock=clock or time.monotonic)
        try:
            result = ensure(cli, module.params, module.check_mode)
        except FabricCLIError as exc:
            for warning in cli.warnings:
                module.warn(warning)
            module.fail_json(msg=exc.msg, commands=cli.commands, **exc.details())
    for warning in cli.warnings:
        module.warn(warning)
    module.exit_json(commands=cli.commands, **result)
