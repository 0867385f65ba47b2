"""The Fabric CLI (peer, configtxlator) for the channel modules, and nothing else shells out.

One identity's environment (MSP, peer, orderer, TLS CAs, host-name overrides), commands run with
bounded retries on transient errors (SERVICE_UNAVAILABLE, connection failures), the CLI's own error
text surfaced, configtxlator for proto <-> JSON, and pure parsers of the CLI's answers.

The command runner is injected: ``runner(argv, env) -> (rc, stdout, stderr)``. In a module it is
``module_runner(module)``; in unit tests a fake that replays answers captured from the real CLI.
Strings matched here were checked against the Fabric 2.5.16 CLI (tests/unit/fixtures/fabric).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

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
ENVELOPE_CONFIG_UPDATE = 2  # common.HeaderType CONFIG_UPDATE
_ERROR_LINE = re.compile(r"^(Error:|\S+: error:)")


class FabricCLIError(Exception):
    """A CLI command failed; carries the command, its exit code and output for fail_json."""

    def __init__(self, msg, cmd=None, rc=None, stdout="", stderr=""):
        super().__init__(msg)
        self.msg, self.cmd, self.rc, self.stdout, self.stderr = msg, cmd, rc, stdout, stderr

    def details(self):
        return {"cmd": self.cmd, "rc": self.rc, "stdout": self.stdout, "stderr": self.stderr}


# ---------------------------------------------------------------------------------------------
# Pure parsers of the CLI's answers
# ---------------------------------------------------------------------------------------------


def cli_error_text(stdout, stderr):
    """The CLI's own error: from the first 'Error:' (or 'configtxlator: error:') line on, else the tail."""
    for text in (stderr or "", stdout or ""):
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if _ERROR_LINE.match(line):
                return "\n".join(lines[index:]).strip()
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
    return NOT_FOUND in (stderr or "")


def is_service_unavailable(stderr):
    return SERVICE_UNAVAILABLE in (stderr or "")


def is_transient(stdout, stderr):
    text = f"{stdout or ''}\n{stderr or ''}"
    return any(marker in text for marker in TRANSIENT_MARKERS)


def is_already_joined(stderr, channel):
    """`peer channel join` of a channel whose ledger the peer has: `ledger [CH] already exists with state ...`."""
    return re.search(rf"ledger \[{re.escape(channel)}\] already exists", stderr or "") is not None


def is_existing_channel(stderr, channel):
    """`peer channel create` of a channel the orderer has.

    BAD_REQUEST `error applying config update to existing channel 'CH'`, on the creation's read of
    `[Group]  /Channel/Application` at version 0 (a replayed config update names another key).
    """
    text = stderr or ""
    return f"error applying config update to existing channel '{channel}'" in text and "key [Group]  /Channel/Application be at version 0," in text


def is_no_differences(stderr):
    return NO_DIFFERENCES in (stderr or "")


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


def _varint(data, pos):
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data):
    """(field number, wire type, value) of a protobuf message; bytes for length-delimited fields."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
            if len(value) != size:
                raise ValueError("truncated field")
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def block_header(data):
    """common.Block bytes -> {'number', 'previous_hash', 'data_hash'} (bytes) of its BlockHeader."""
    header = next((value for number, wire, value in _fields(data) if number == 1 and wire == 2), None)
    if header is None:
        raise ValueError("not a common.Block: no header")
    fields = {number: value for number, _, value in _fields(header)}
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


def module_runner(module):
    """Runs a command through AnsibleModule.run_command (no shell), the identity's variables on top of the environment."""

    def run(argv, env):
        return module.run_command(argv, environ_update=env, check_rc=False)

    return run


class FabricCLI:
    """The peer and configtxlator CLIs as one identity, with bounded retries on transient errors."""

    def __init__(self, runner, params, tmpdir, sleep=time.sleep):
        self.runner, self.params, self.tmpdir, self.sleep = runner, params, tmpdir, sleep
        self.retries = max(0, int(params.get("retries", 5)))
        self.retry_delay = max(0.0, float(params.get("retry_delay", 3.0)))
        self.commands = []

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
            args += ["--tls", "--cafile", p["orderer_tls_ca"]]
            if p.get("orderer_tls_hostname_override"):
                args += ["--ordererTLSHostnameOverride", p["orderer_tls_hostname_override"]]
        return args

    def path(self, name):
        return os.path.join(self.tmpdir, name)

    # -- running -------------------------------------------------------------------------------

    def run(self, argv, retry=True):
        """Run a command; on a transient error try again (at most `retries` more times). Returns (rc, out, err)."""
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(1, attempts + 1):
            self.commands.append(" ".join(argv))
            rc, out, err = self.runner(argv, self.env())
            if rc == 0 or not is_transient(out, err) or attempt == attempts:
                return rc, out, err
            self.sleep(self.retry_delay)
        raise AssertionError("unreachable")

    def check(self, argv, what, retry=True):
        rc, out, err = self.run(argv, retry=retry)
        if rc != 0:
            raise self.error(what, argv, rc, out, err)
        return out, err

    def error(self, what, argv, rc, out, err):
        text = cli_error_text(out, err)
        note = f" (still failing after {1 + self.retries} attempts)" if is_transient(out, err) and self.retries else ""
        return FabricCLIError(f"{what} failed{note}: {text}", cmd=" ".join(argv), rc=rc, stdout=out, stderr=err)

    # -- peer ----------------------------------------------------------------------------------

    def channel_list(self):
        argv = [self.bin("peer"), "channel", "list"]
        out, err = self.check(argv, f"peer channel list on {self.params.get('peer_address')}")
        try:
            return parse_channel_list(out)
        except ValueError as exc:
            raise FabricCLIError(str(exc), cmd=" ".join(argv), rc=0, stdout=out, stderr=err) from exc

    def fetch(self, channel, which, dest):
        """`peer channel fetch <which>` from the orderer (or the peer); returns (argv, rc, out, err) without raising."""
        argv = [self.bin("peer"), "channel", "fetch", str(which), dest, "-c", channel, *self.deliver_args()]
        return (argv, *self.run(argv))

    def channel_exists(self, channel):
        """Fetch of the oldest block from the orderer: True when served, False on NOT_FOUND, else raise."""
        dest = self.path(f"{channel}.oldest.block")
        argv, rc, out, err = self.fetch(channel, "oldest", dest)
        if rc == 0:
            return True
        if is_not_found(err):
            return False
        raise self.error(f"reading channel {channel} from {self.params['orderer_address']}", argv, rc, out, err)

    def fetch_block(self, channel, which, what):
        dest = self.path(f"{channel}.{which}.block")
        argv, rc, out, err = self.fetch(channel, which, dest)
        if rc != 0:
            raise self.error(what, argv, rc, out, err)
        return dest

    def create_channel(self, channel, tx_file):
        """`peer channel create`; returns True when created, False when the orderer already had the channel."""
        block = self.path(f"{channel}.created.block")
        argv = [self.bin("peer"), "channel", "create", "-c", channel, "-f", tx_file, "--outputBlock", block, *self.orderer_args()]
        rc, out, err = self.run(argv)
        if rc == 0:
            return True
        if is_existing_channel(err, channel):
            return False
        raise self.error(f"creating channel {channel}", argv, rc, out, err)

    def join(self, channel, block):
        """`peer channel join`; True when joined now, False when the peer already had the ledger."""
        argv = [self.bin("peer"), "channel", "join", "-b", block]
        rc, out, err = self.run(argv)
        if rc == 0:
            return True
        if is_already_joined(err, channel):
            return False
        raise self.error(f"joining {self.params.get('peer_address')} to {channel}", argv, rc, out, err)

    def getinfo(self, channel):
        argv = [self.bin("peer"), "channel", "getinfo", "-c", channel]
        out, _ = self.check(argv, f"peer channel getinfo -c {channel}")
        return parse_blockchain_info(out)

    def submit_update(self, channel, envelope_file):
        argv = [self.bin("peer"), "channel", "update", "-c", channel, "-f", envelope_file, *self.orderer_args()]
        return self.check(argv, f"submitting the config update of {channel}", retry=True)

    def block_info(self, channel, which):
        """Number and hash of a block (`newest`, or a number) as the node delivers it."""
        source = self.params.get("orderer_address") or self.params.get("peer_address")
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
        out, _ = self.check(argv, f"configtxlator proto_decode --type {msg_type}", retry=False)
        return json.loads(out)

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
        rc, out, err = self.run(argv, retry=False)
        if rc == 0:
            return True
        if is_no_differences(err):
            return False
        raise self.error("configtxlator compute_update", argv, rc, out, err)

    # -- composite reads -----------------------------------------------------------------------

    def channel_config(self, channel):
        """(decoded newest config block, its config) from the orderer; raises FabricCLIError, NOT_FOUND included."""
        block = self.proto_decode("common.Block", self.fetch_block(channel, "config", f"reading the config of {channel}"))
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


def run_module(name, ensure, argument_spec, required_if, runner=None, **module_options):
    """The channel modules' shared main: parse the arguments, run ensure(cli, params, check_mode) in a
    scratch directory that is always removed, and report the result with the commands that ran.
    """
    module = AnsibleModule(argument_spec=argument_spec, required_if=required_if, supports_check_mode=True, **module_options)
    with tempfile.TemporaryDirectory(prefix=f"{name}.") as tmpdir:
        cli = FabricCLI(runner or module_runner(module), module.params, tmpdir)
        try:
            result = ensure(cli, module.params, module.check_mode)
        except FabricCLIError as exc:
            module.fail_json(msg=exc.msg, commands=cli.commands, **exc.details())
    module.exit_json(commands=cli.commands, **result)
