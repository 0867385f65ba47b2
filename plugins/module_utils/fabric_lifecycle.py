"""The Fabric 2.x chaincode lifecycle (`peer lifecycle chaincode ...`) for the chaincode modules, on top of fabric_cli.

The commands run through fabric_cli.FabricCLI (one identity's environment, every command under its
wall-clock bound, bounded retries on transient errors, the CLI's own error text); this file adds the
lifecycle commands, pure parsers of their `-O json` answers, and the comparison of a desired
chaincode definition with the one a peer reports.

A definition is compared as Fabric compares it (core/chaincode/lifecycle: ChaincodeParameters.Equal):
version, endorsement and validation plugin, init required, the validation parameter (the
endorsement policy as the bytes of a peer.ApplicationPolicy) and the collections; an organization's
approval adds its package ID. The endorsement policy given as a signature policy string is compiled
here exactly as Fabric's policydsl compiles it (same principals, same order), so that the bytes
compared are the bytes Fabric stores. Strings matched here were checked against the Fabric 2.5.16
CLI (tests/unit/fixtures/fabric/lifecycle).
"""

from __future__ import annotations

import base64
import json
import os

from ansible.module_utils.fabric_cli import (
    POLL_SECONDS,
    UNREACHABLE_MARKERS,
    FabricCLIError,
    cli_error_text,
    is_unreachable,
)
from ansible.module_utils.fabric_policy import (
    ROLE_PRINCIPAL,
    ROLES,
    bytes_field,
    compile_signature_policy,
    int_field,
    proto_fields,
)

# `querycommitted -n NAME` of a chaincode never committed on the channel (status 404).
NOT_DEFINED = "namespace {name} is not defined"
# `queryapproved -n NAME --sequence S` when the organization approved nothing for that sequence.
NOT_APPROVED = "could not fetch approved chaincode definition (name: '{name}', sequence: '{sequence}') on channel '{channel}'"
# `install` of a package the peer has built since it started (a retried install, or another run's).
ALREADY_INSTALLED = "chaincode already successfully installed (package ID '{package_id}')"
# `approveformyorg` of the same definition and package as this organization's uncommitted approval.
UNCHANGED_APPROVAL = "attempted to redefine uncommitted sequence ({sequence}) for namespace {name} with unchanged content"
# `commit` (and `checkcommitreadiness`) of a sequence that is committed already.
SEQUENCE_COMMITTED = "requested sequence is {sequence}, but new definition must be sequence {next}"
# The peer has not joined the channel: `query failed with status: 500 - channel 'CH' not found`.
CHANNEL_NOT_FOUND = "channel '{channel}' not found"
# A transaction ordered, then marked invalid by the peers (e.g. ENDORSEMENT_POLICY_FAILURE).
INVALIDATED = "transaction invalidated with status ("
# approveformyorg/commit sent the transaction, then gave up waiting (--waitForEventTimeout) for its
# commit event (from the v2.5.16 source, internal/peer/chaincode/common.go; not captured).
TXID_WAIT_TIMEOUT = "timed out waiting for txid on all peers"
# The CLI prints its usage after some errors; the error itself ends where the usage begins.
USAGE = "\nUsage:\n"

# What Fabric fills in for a definition that names none (SetChaincodeDefinitionDefaults).
DEFAULT_ENDORSEMENT_PLUGIN = "escc"
DEFAULT_VALIDATION_PLUGIN = "vscc"
DEFAULT_ENDORSEMENT_POLICY = "/Channel/Application/Endorsement"

# ---------------------------------------------------------------------------------------------
# Policies as the peers store them (compiled in fabric_policy)
# ---------------------------------------------------------------------------------------------


def _encode_rule(rule):
    if rule[0] == "signed_by":
        return int_field(1, rule[1], always=True)
    body = int_field(1, rule[1]) + b"".join(bytes_field(2, _encode_rule(sub), always=True) for sub in rule[2])
    return bytes_field(2, body, always=True)


def encode_envelope(envelope):
    """common.SignaturePolicyEnvelope bytes, as Go's proto.Marshal writes them."""
    version, rule, identities = envelope
    principals = b"".join(bytes_field(3, int_field(1, cls) + bytes_field(2, principal), always=True) for cls, principal in identities)
    return int_field(1, version) + bytes_field(2, _encode_rule(rule), always=True) + principals


def encode_application_policy(policy):
    """peer.ApplicationPolicy bytes: the validation parameter of a chaincode definition."""
    kind, value = policy
    if kind == "signature_policy":
        return bytes_field(1, encode_envelope(value), always=True)
    return bytes_field(2, value.encode(), always=True)


def _decode_rule(data):
    for number, wire, value in proto_fields(data):
        if number == 1 and wire == 0:
            return ("signed_by", value)
        if number == 2 and wire == 2:
            n, rules = 0, []
            for sub_number, sub_wire, sub_value in proto_fields(value):
                if sub_number == 1 and sub_wire == 0:
                    n = sub_value
                elif sub_number == 2 and sub_wire == 2:
                    rules.append(_decode_rule(sub_value))
            return ("n_out_of", n, tuple(rules))
    raise ValueError("a signature policy rule with neither signed_by nor n_out_of")


def decode_envelope(data):
    version, rule, identities = 0, None, []
    for number, wire, value in proto_fields(data):
        if number == 1 and wire == 0:
            version = value
        elif number == 2 and wire == 2:
            rule = _decode_rule(value)
        elif number == 3 and wire == 2:
            fields = {n: v for n, _, v in proto_fields(value)}
            identities.append((int(fields.get(1, 0)), bytes(fields.get(2, b""))))
    if rule is None:
        raise ValueError("a signature policy envelope without a rule")
    return (version, rule, tuple(identities))


def decode_application_policy(data):
    """peer.ApplicationPolicy bytes -> ("signature_policy", envelope) or ("channel_config_policy", reference)."""
    for number, wire, value in proto_fields(data):
        if number == 1 and wire == 2:
            return ("signature_policy", decode_envelope(value))
        if number == 2 and wire == 2:
            return ("channel_config_policy", value.decode())
    raise ValueError("an application policy with neither signature_policy nor channel_config_policy_reference")


def _principal_text(identity):
    classification, principal = identity
    if classification == ROLE_PRINCIPAL:
        fields = {n: v for n, _, v in proto_fields(principal)}
        role = int(fields.get(2, 0))
        if role < len(ROLES):
            return f"'{bytes(fields.get(1, b'')).decode()}.{ROLES[role]}'"
    return f"<principal classification {classification}: {base64.b64encode(principal).decode()}>"


def render_envelope(envelope):
    """An envelope as a policy string: AND when all must sign, OR when one must, else OutOf(n, ...)."""
    _, rule, identities = envelope

    def text(node):
        if node[0] == "signed_by":
            return _principal_text(identities[node[1]]) if node[1] < len(identities) else f"<identity {node[1]}>"
        _, n, rules = node
        inner = ", ".join(text(sub) for sub in rules)
        if n == len(rules) and len(rules) > 1:
            return f"AND({inner})"
        if n == 1:
            return f"OR({inner})"
        return f"OutOf({n}, {inner})"

    return text(rule)


def render_policy(policy):
    """An application policy for people: {'signature_policy': text} or {'channel_config_policy': reference}."""
    kind, value = policy
    return {"signature_policy": render_envelope(value)} if kind == "signature_policy" else {"channel_config_policy": value}


def application_policy(signature_policy=None, channel_config_policy=None):
    """The application policy the CLI builds from --signature-policy / --channel-config-policy; None for neither."""
    if signature_policy and channel_config_policy:
        raise ValueError('cannot specify both "--signature-policy" and "--channel-config-policy"')
    if signature_policy:
        return ("signature_policy", compile_signature_policy(signature_policy))
    if channel_config_policy:
        return ("channel_config_policy", channel_config_policy)
    return None


# ---------------------------------------------------------------------------------------------
# Collections: the collections config file (the CLI's input) and the CLI's JSON of a
# peer.CollectionConfigPackage, both to the same tuples
# ---------------------------------------------------------------------------------------------

COLLECTION_FIELDS = (
    "name",
    "member_orgs_policy",
    "required_peer_count",
    "maximum_peer_count",
    "block_to_live",
    "member_only_read",
    "member_only_write",
    "endorsement_policy",
)


# The collections config file's numbers: (key, collection field, the CLI's default).
COUNTS = (("requiredPeerCount", "required_peer_count", 0), ("maxPeerCount", "maximum_peer_count", 1), ("blockToLive", "block_to_live", 0))


def _lookup(item, key):
    """Go's encoding/json: an exact key first, else one equal but for case."""
    if key in item:
        return item[key]
    for name, value in item.items():
        if name.lower() == key.lower():
            return value
    return None


def collections_from_config(document):
    """The collections config file's array (the CLI's format) -> collection tuples, as the CLI builds them.

    Defaults as the CLI's: requiredPeerCount 0, maxPeerCount 1, blockToLive 0, memberOnlyRead and
    memberOnlyWrite false, no endorsement policy. Raises ValueError naming the collection and field.
    """
    if not isinstance(document, list):
        raise ValueError("a collections config is a JSON array of collections")
    out = []
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise ValueError(f"collection {index} is not an object")
        name = _lookup(item, "name")
        label = f"collection {name!r}" if name else f"collection {index}"
        if not isinstance(name, str) or not name:
            raise ValueError(f"{label}: name is missing")
        try:
            member_orgs = compile_signature_policy(_lookup(item, "policy"))
        except ValueError as exc:
            raise ValueError(f"{label}: policy: {exc}") from None
        numbers = {}
        for key, field, default in COUNTS:
            value = _lookup(item, key)
            value = default if value is None else value
            if isinstance(value, bool) or not isinstance(value, int) or (field == "block_to_live" and value < 0):
                raise ValueError(f"{label}: {key} must be an integer{' (0 or more)' if field == 'block_to_live' else ''}, got {value!r}")
            numbers[field] = value
        flags = {}
        for key, field in (("memberOnlyRead", "member_only_read"), ("memberOnlyWrite", "member_only_write")):
            value = _lookup(item, key)
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"{label}: {key} must be true or false, got {value!r}")
            flags[field] = bool(value)
        endorsement = _lookup(item, "endorsementPolicy") or {}
        if not isinstance(endorsement, dict):
            raise ValueError(f"{label}: endorsementPolicy must be an object with signaturePolicy or channelConfigPolicy")
        try:
            policy = application_policy(_lookup(endorsement, "signaturePolicy"), _lookup(endorsement, "channelConfigPolicy"))
        except ValueError as exc:
            raise ValueError(f"{label}: endorsementPolicy: {exc}") from None
        out.append((name, member_orgs, numbers["required_peer_count"], numbers["maximum_peer_count"], numbers["block_to_live"], *flags.values(), policy))
    return tuple(out)


def _envelope_from_json(document):
    """The CLI's JSON (Go encoding/json of the proto structs) of a SignaturePolicyEnvelope."""

    def rule(node):
        kind = (node or {}).get("Type") or {}
        if "SignedBy" in kind:
            return ("signed_by", int(kind["SignedBy"]))
        if "NOutOf" in kind:
            inner = kind["NOutOf"] or {}
            return ("n_out_of", int(inner.get("n", 0)), tuple(rule(sub) for sub in inner.get("rules") or []))
        raise ValueError(f"unexpected signature policy rule {node!r}")

    identities = tuple((int(item.get("principal_classification", 0)), base64.b64decode(item.get("principal", ""))) for item in document.get("identities") or [])
    return (int(document.get("version", 0)), rule(document.get("rule")), identities)


def _application_policy_from_json(document):
    kind = (document or {}).get("Type") or {}
    if "SignaturePolicy" in kind:
        return ("signature_policy", _envelope_from_json(kind["SignaturePolicy"]))
    if "ChannelConfigPolicyReference" in kind:
        return ("channel_config_policy", kind["ChannelConfigPolicyReference"])
    return None


def collections_from_json(document):
    """`collections` of a queryapproved/querycommitted answer -> collection tuples."""
    out = []
    for item in (document or {}).get("config") or []:
        static = ((item or {}).get("Payload") or {}).get("StaticCollectionConfig")
        if static is None:
            raise ValueError(f"unexpected collection config {item!r}")
        member_orgs = ((static.get("member_orgs_policy") or {}).get("Payload") or {}).get("SignaturePolicy")
        out.append(
            (
                static.get("name", ""),
                _envelope_from_json(member_orgs) if member_orgs is not None else None,
                int(static.get("required_peer_count", 0)),
                int(static.get("maximum_peer_count", 0)),
                int(static.get("block_to_live", 0)),
                bool(static.get("member_only_read", False)),
                bool(static.get("member_only_write", False)),
                _application_policy_from_json(static.get("endorsement_policy")),
            )
        )
    return tuple(out)


def render_collections(collections):
    out = []
    for item in collections:
        entry = dict(zip(COLLECTION_FIELDS, item, strict=True))
        entry["member_orgs_policy"] = render_envelope(entry["member_orgs_policy"]) if entry["member_orgs_policy"] else None
        entry["endorsement_policy"] = render_policy(entry["endorsement_policy"]) if entry["endorsement_policy"] else None
        out.append(entry)
    return out


# ---------------------------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------------------------


class Definition:
    """A chaincode definition: Fabric's parameters, its sequence, and for an approval the package ID.

    `validation_parameter` is the endorsement policy's bytes (as a peer reports them, or compiled
    from the options); `collections` None means not known (a collections file not there yet in a
    check run): it then equals nothing.
    """

    def __init__(
        self,
        name,
        version,
        sequence=None,
        *,
        policy=None,
        validation_parameter=None,
        init_required=False,
        collections=(),
        package_id=None,
        endorsement_plugin=DEFAULT_ENDORSEMENT_PLUGIN,
        validation_plugin=DEFAULT_VALIDATION_PLUGIN,
        approvals=None,
    ):
        self.name, self.version, self.sequence = name, version, sequence
        if validation_parameter is None:
            validation_parameter = encode_application_policy(policy or ("channel_config_policy", DEFAULT_ENDORSEMENT_POLICY))
        self.validation_parameter = validation_parameter
        self.init_required, self.collections, self.package_id = bool(init_required), collections, package_id
        self.endorsement_plugin, self.validation_plugin = endorsement_plugin, validation_plugin
        self.approvals = approvals
        self.cli_args = None  # the CLI's flags for this definition's policy, init and collections; only for a desired one

    def policy(self):
        """The endorsement policy decoded, or None when its bytes are not an ApplicationPolicy this code knows."""
        try:
            return decode_application_policy(self.validation_parameter)
        except (ValueError, UnicodeDecodeError):
            return None

    def differences(self, other, *, package=False):
        """Names of the fields in which the two definitions differ (Fabric's parameters; the package ID too with package=True)."""
        pairs = [
            ("version", self.version, other.version),
            ("endorsement_policy", self.validation_parameter, other.validation_parameter),
            ("init_required", self.init_required, other.init_required),
            ("collections", self.collections, other.collections),
            ("endorsement_plugin", self.endorsement_plugin, other.endorsement_plugin),
            ("validation_plugin", self.validation_plugin, other.validation_plugin),
        ]
        if package:
            pairs.append(("package_id", self.package_id or "", other.package_id or ""))
        return [name for name, mine, theirs in pairs if mine is None or theirs is None or mine != theirs]

    def describe(self, *, package=False):
        """The definition for people (diff, results): policies as strings."""
        policy = self.policy()
        out = {"name": self.name, "sequence": self.sequence, "version": self.version}
        if package:
            out["package_id"] = self.package_id or ""
        if policy is None:
            out["endorsement_policy"] = {"validation_parameter": base64.b64encode(self.validation_parameter).decode()}
        else:
            out["endorsement_policy"] = render_policy(policy)
        out["init_required"] = self.init_required
        out["collections"] = render_collections(self.collections) if self.collections is not None else "(not known: the collections config is not there yet)"
        out["endorsement_plugin"], out["validation_plugin"] = self.endorsement_plugin, self.validation_plugin
        return out


def parse_definition(stdout, name):
    """A `queryapproved -O json` or `querycommitted -n NAME -O json` answer -> Definition.

    Go's encoding/json leaves out what is zero: no `init_required` when false, `{}` for no
    collections; an approval's package is `source.Type.LocalPackage.package_id` (none: `Unavailable`).
    """
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    source = ((data.get("source") or {}).get("Type") or {}).get("LocalPackage") or {}
    return Definition(
        name,
        data.get("version", ""),
        int(data.get("sequence", 0)),
        validation_parameter=base64.b64decode(data.get("validation_parameter", "")),
        init_required=data.get("init_required", False),
        collections=collections_from_json(data.get("collections")),
        package_id=source.get("package_id", "") if "source" in data else None,
        endorsement_plugin=data.get("endorsement_plugin", ""),
        validation_plugin=data.get("validation_plugin", ""),
        approvals=data.get("approvals"),
    )


def parse_installed(stdout):
    """`queryinstalled -O json` -> [{'package_id', 'label'}] (`{}` when nothing is installed)."""
    data = json.loads(stdout)
    return [{"package_id": item["package_id"], "label": item.get("label", "")} for item in data.get("installed_chaincodes") or []]


def parse_package_id(stdout):
    """`calculatepackageid -O json` -> the package ID (`<label>:<sha256 of the package file>`)."""
    return json.loads(stdout)["package_id"]


def parse_approvals(stdout):
    """`checkcommitreadiness -O json` -> {MSP ID: approved}."""
    return {org: bool(value) for org, value in (json.loads(stdout).get("approvals") or {}).items()}


def org_list(orgs):
    """`Org1MSP`, `Org1MSP and Org2MSP`, `Org1MSP, Org2MSP and Org3MSP` (sorted)."""
    names = sorted(orgs)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def not_approved_message(orgs, name, sequence, channel):
    """`Org2MSP has not approved assets sequence 2 on channel1`."""
    return f"{org_list(orgs)} {'has' if len(orgs) == 1 else 'have'} not approved {name} sequence {sequence} on {channel}"


def parse_sequence(value):
    """The `sequence` option: 'auto' or an integer >= 1 (also as a string); raises ValueError."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    if isinstance(value, bool):
        raise ValueError(f"sequence must be 'auto' or an integer of 1 or more, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"sequence must be 'auto' or an integer of 1 or more, got {value!r}") from None
    if number < 1:
        raise ValueError(f"sequence must be 'auto' or an integer of 1 or more, got {number}")
    return number


def resolve_sequence(option, committed, desired):
    """The sequence to approve or commit, and why.

    auto: the committed sequence when the committed definition equals the desired one (Fabric's
    parameters; the package ID is no part of a committed definition), else committed + 1 (1 for a
    chaincode never committed). An integer is taken as given, but must be the committed sequence
    with an equal definition, or the next one (Fabric refuses any other): otherwise ValueError.
    """
    current = committed.sequence if committed else 0
    same = committed is not None and not committed.differences(desired)
    if option == "auto":
        return current if same else current + 1
    if option < current:
        raise ValueError(f"sequence {option} is below the committed sequence {current}")
    if option > current + 1:
        raise ValueError(f"sequence {option} is beyond the next sequence {current + 1} (committed: {current})")
    if option == current and not same:
        raise ValueError(
            f"sequence {option} is committed with another definition (differs in {', '.join(committed.differences(desired))}); "
            f"a changed definition needs sequence {current + 1} (or sequence: auto)"
        )
    return option


# ---------------------------------------------------------------------------------------------
# The desired definition from the module options
# ---------------------------------------------------------------------------------------------

DEFINITION_SPEC = {
    "channel": {"type": "str", "required": True},
    "name": {"type": "str", "required": True},
    "version": {"type": "str", "required": True},
    "sequence": {"type": "raw", "default": "auto"},
    "signature_policy": {"type": "str"},
    "channel_config_policy": {"type": "str"},
    "init_required": {"type": "bool", "default": False},
    "collections_config": {"type": "path"},
    "collections": {"type": "list", "elements": "dict"},
}
DEFINITION_MUTUALLY_EXCLUSIVE = [("signature_policy", "channel_config_policy"), ("collections_config", "collections")]


def definition_errors(params):
    """What is wrong with the definition options; [] when nothing is (checked before any command runs)."""
    errors = []
    try:
        parse_sequence(params.get("sequence"))
    except ValueError as exc:
        errors.append(str(exc))
    if params.get("signature_policy") is not None:
        try:
            compile_signature_policy(params["signature_policy"])
        except ValueError as exc:
            errors.append(f"signature_policy {params['signature_policy']!r} is not a Fabric signature policy: {exc}")
    if params.get("channel_config_policy") is not None and not params["channel_config_policy"].strip():
        errors.append("channel_config_policy is empty")
    if params.get("collections") is not None:
        try:
            collections_from_config(params["collections"])
        except ValueError as exc:
            errors.append(f"collections: {exc}")
    for key in ("name", "version", "channel"):
        if key in params and not (params.get(key) or "").strip():
            errors.append(f"{key} is empty")
    return errors


def desired_definition(params, tmpdir, *, package=False):
    """(Definition, note) from the options; the Definition carries the CLI flags that give it (cli_args).

    collections_config is read here, as the CLI reads it; inline `collections` are written to the
    scratch directory for the CLI. A collections_config file that is not there leaves the collections
    unknown (a check run before the task that makes it); `note` then says so.
    """
    path, note, collections = None, "", ()
    if params.get("collections") is not None:
        path = os.path.join(tmpdir, "collections.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(params["collections"], handle)
        collections = collections_from_config(params["collections"])
    elif params.get("collections_config"):
        path = params["collections_config"]
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    collections = collections_from_config(json.load(handle))
            except (OSError, ValueError) as exc:
                raise FabricCLIError(f"collections_config {path}: {exc}") from exc
        else:
            collections, note = None, f"its collections_config {path} is not there yet"
    definition = Definition(
        params["name"],
        params["version"],
        policy=application_policy(params.get("signature_policy"), params.get("channel_config_policy")),
        init_required=params.get("init_required", False),
        collections=collections,
        package_id=params.get("package_id") if package else None,
    )
    if params.get("signature_policy"):
        definition.cli_args = ["--signature-policy", params["signature_policy"]]
    elif params.get("channel_config_policy"):
        definition.cli_args = ["--channel-config-policy", params["channel_config_policy"]]
    else:
        definition.cli_args = []  # Fabric's default: the channel's /Channel/Application/Endorsement
    definition.cli_args += ["--init-required"] if definition.init_required else []
    definition.cli_args += ["--collections-config", path] if path else []
    return definition, note


# ---------------------------------------------------------------------------------------------
# The lifecycle commands
# ---------------------------------------------------------------------------------------------


class NotThere(FabricCLIError):
    """A read found no peer to ask (not reachable) or a peer that has not joined the channel: in check mode, a node not running or joined yet."""


def strip_usage(text):
    """The CLI's error without the usage text it prints after some errors."""
    return text.split(USAGE, 1)[0].rstrip() if text else text


class Lifecycle:
    """`peer lifecycle chaincode` as one identity, through a FabricCLI (its environment, bounds and retries)."""

    def __init__(self, cli, check_mode=False):
        self.cli, self.params, self.check_mode = cli, cli.params, check_mode

    def argv(self, *words):
        return [self.cli.bin("peer"), "lifecycle", "chaincode", *words]

    @property
    def peer(self):
        return self.params.get("peer_address")

    def error(self, what, result):
        exc = self.cli.error(what, result)
        exc.msg = strip_usage(exc.msg)
        exc.args = (exc.msg,)
        return exc

    def _give_up(self, result):
        return self.check_mode and is_unreachable(result.stdout, result.stderr)

    def read(self, argv, what, *, not_found=None, channel=None, retry=True, deadline=None):
        """A query: stdout of the Result; None when its error contains `not_found`; raises otherwise.

        In check mode a peer not reachable is asked once and NotThere raised (as for a peer that has
        not joined `channel`); the caller predicts.
        """
        result = self.cli.run(argv, retry=retry, deadline=deadline, give_up=self._give_up)
        if result.ok:
            return result
        error = cli_error_text(result.stdout, result.stderr)
        if not_found and not_found in error:
            return None
        exc = self.error(what, result)
        not_there = is_unreachable(result.stdout, result.stderr) or (channel and CHANNEL_NOT_FOUND.format(channel=channel) in error)
        if self.check_mode and not_there:
            raise NotThere(exc.msg, **exc.details(), transient=exc.transient)
        raise exc

    def _parsed(self, parse, result, what):
        try:
            return parse(result.stdout)
        except (ValueError, KeyError, TypeError) as exc:
            raise FabricCLIError(f"{what}: unexpected answer ({exc})", cmd=" ".join(result.argv), rc=0, stdout=result.stdout, stderr=result.stderr) from exc

    # -- install ------------------------------------------------------------------------------

    def calculate_package_id(self, package):
        what = f"peer lifecycle chaincode calculatepackageid {package}"
        result = self.cli.check(self.argv("calculatepackageid", package, "-O", "json"), what, retry=False)
        return self._parsed(parse_package_id, result, what)

    def query_installed(self, retry=True):
        what = f"peer lifecycle chaincode queryinstalled on {self.peer}"
        result = self.read(self.argv("queryinstalled", "-O", "json"), what, retry=retry)
        return self._parsed(parse_installed, result, what)

    def install(self, package):
        """The Result of `install`, without raising: the caller judges it."""
        return self.cli.run(self.argv("install", package))

    # -- definitions --------------------------------------------------------------------------

    def query_committed(self, channel, name, retry=True, deadline=None):
        """The committed definition, or None when the chaincode was never committed on the channel."""
        what = f"peer lifecycle chaincode querycommitted of {name} on {channel} from {self.peer}"
        argv = self.argv("querycommitted", "-C", channel, "-n", name, "-O", "json")
        result = self.read(argv, what, not_found=NOT_DEFINED.format(name=name), channel=channel, retry=retry, deadline=deadline)
        return None if result is None else self._parsed(lambda out: parse_definition(out, name), result, what)

    def query_approved(self, channel, name, sequence, retry=True, deadline=None):
        """This organization's approved definition for the sequence, or None when it approved nothing for it."""
        what = f"peer lifecycle chaincode queryapproved of {name} sequence {sequence} on {channel} from {self.peer}"
        argv = self.argv("queryapproved", "-C", channel, "-n", name, "--sequence", str(sequence), "-O", "json")
        not_found = NOT_APPROVED.format(name=name, sequence=sequence, channel=channel)
        result = self.read(argv, what, not_found=not_found, channel=channel, retry=retry, deadline=deadline)
        return None if result is None else self._parsed(lambda out: parse_definition(out, name), result, what)

    @staticmethod
    def definition_args(channel, definition):
        """-C, -n, -v, --sequence, the policy as the options gave it, --init-required, --collections-config."""
        if definition.cli_args is None:
            raise FabricCLIError(f"the definition of {definition.name} read from a peer cannot be given to the CLI")
        return ["-C", channel, "-n", definition.name, "-v", definition.version, "--sequence", str(definition.sequence), *definition.cli_args]

    def check_commit_readiness(self, channel, definition):
        what = f"peer lifecycle chaincode checkcommitreadiness of {definition.name} sequence {definition.sequence} on {channel} from {self.peer}"
        argv = self.argv("checkcommitreadiness", *self.definition_args(channel, definition), "-O", "json")
        result = self.read(argv, what, channel=channel)
        return self._parsed(parse_approvals, result, what)

    def approve(self, channel, definition):
        """The Result of `approveformyorg` (it waits for the transaction on the peer), without raising."""
        argv = self.argv("approveformyorg", *self.cli.orderer_args(), *self.definition_args(channel, definition))
        return self.cli.run([*argv, "--package-id", definition.package_id or ""])

    def commit(self, channel, definition, peers):
        """The Result of `commit`, endorsed by `peers` ({'address', 'tls_ca'}), without raising."""
        peer_args = []
        for peer in peers:
            peer_args += ["--peerAddresses", peer["address"]]
            if self.params.get("tls", True):
                peer_args += ["--tlsRootCertFiles", peer["tls_ca"]]
        argv = self.argv("commit", *self.cli.orderer_args(), *self.definition_args(channel, definition), *peer_args)
        return self.cli.run(argv)

    # -- waiting ------------------------------------------------------------------------------

    def wait_for(self, read, done, timeout):
        """Read until done(value), for at most `timeout` seconds (monotonic clock).

        read(deadline) answers one attempt; a transient error means "not yet". Returns (done?, seconds
        waited, the last value); raises on any other error.
        """
        clock = self.cli.clock
        start = clock()
        deadline = start + timeout
        value = None
        while True:
            try:
                value = read(deadline)
            except FabricCLIError as exc:
                if not exc.transient:
                    raise
            else:
                if done(value):
                    return True, clock() - start, value
            now = clock()
            if now >= deadline:
                return False, now - start, value
            self.cli.sleep(min(POLL_SECONDS, deadline - now))
            if clock() >= deadline:  # no read past the deadline
                return False, clock() - start, value


def may_have_been_applied(result, *markers):
    """Whether a failed approve or commit may have reached the ordering service: killed by its bound, sent but
    its commit event not seen in time, an answer naming one of `markers` (a retried attempt told its earlier
    one was applied), or another transient error, but not an endpoint never reached (connection refused, no
    such host)."""
    if result.ok or result.timed_out or any(marker in result.stderr for marker in (TXID_WAIT_TIMEOUT, *markers)):
        return True
    return result.transient and not is_unreachable(result.stdout, result.stderr)


def unreachable_reason(exc):
    """Why a read found no peer: `connection refused`, `no such host`, or the peer has not joined the channel."""
    error = cli_error_text(exc.stdout, exc.stderr)
    return next((marker for marker in UNREACHABLE_MARKERS if marker in error), "not joined to the channel")


def timeout_errors(params, *names):
    return [f"{name} must be greater than 0, got {params[name]}" for name in names if params.get(name) is not None and params[name] <= 0]
