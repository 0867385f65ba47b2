"""Fabric signature policies (policydsl) and the protobuf wire format they are stored in, pure Python.

Shared by the chaincode lifecycle (plugins/module_utils/fabric_lifecycle.py: it compiles a policy
exactly as Fabric's policydsl.FromString does, to compare the stored bytes) and the topology rules
(plugins/module_utils/topology_rules.py: an inventory's endorsement policy is checked before any host
is touched). No Ansible import, so both can load it.
"""

from __future__ import annotations

import re

ROLES = ("member", "admin", "client", "peer", "orderer")  # msp.MSPRole.MSPRoleType 0..4
ROLE_PRINCIPAL = 0  # msp.MSPPrincipal.Classification ROLE

# ---------------------------------------------------------------------------------------------
# Protobuf: just the wire format of the few messages a policy is made of
# ---------------------------------------------------------------------------------------------


def varint(value):
    if value < 0:
        value += 1 << 64  # int32/int64 negatives take ten bytes, as in Go
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_key(number, wire):
    return varint(number << 3 | wire)


def int_field(number, value, *, always=False):
    """A varint field; proto3 leaves a zero out unless it is a oneof member (always)."""
    return field_key(number, 0) + varint(value) if value or always else b""


def bytes_field(number, value, *, always=False):
    return field_key(number, 2) + varint(len(value)) + value if value or always else b""


def read_varint(data, pos):
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


def proto_fields(data):
    """(field number, wire type, value) of a protobuf message; bytes for length-delimited fields."""
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 2:
            size, pos = read_varint(data, pos)
            value, pos = bytes(data[pos : pos + size]), pos + size
            if len(value) != size:
                raise ValueError("truncated field")
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        yield number, wire, value


# ---------------------------------------------------------------------------------------------
# Policies. An envelope is (version, rule, identities): a rule ("signed_by", index) or
# ("n_out_of", n, (rules...)), an identity (classification, principal bytes). An application
# policy is ("signature_policy", envelope) or ("channel_config_policy", reference). Tuples, so that
# == compares them as proto.Equal does.
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>-?\d+(?:\.\d+)?)|'(?P<sq>[^']*)'|\"(?P<dq>[^\"]*)\"|(?P<punct>[(),]))")
_PRINCIPAL = re.compile(r"^([A-Za-z0-9.-]+)[.](admin|member|client|peer|orderer)$")


def _gate(name):
    """policydsl accepts AND, And, and (likewise OR, OutOf); not other spellings."""
    for gate, canonical in (("And", "AND"), ("Or", "OR"), ("OutOf", "OUTOF")):
        if name in (gate, gate.lower(), gate.upper()):
            return canonical
    return None


def _tokens(text):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"unexpected {text[pos:].strip()[:20]!r}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        out.append(("string" if kind in ("sq", "dq") else kind, value))
    return out


def _parse(tokens, pos):
    """One argument: a gate call, a string, or a number -> (node, next position)."""
    if pos >= len(tokens):
        raise ValueError("the policy ends too early")
    kind, value = tokens[pos]
    if kind in ("string", "number"):
        return (kind, value), pos + 1
    if kind != "name":
        raise ValueError(f"unexpected {value!r}")
    gate = _gate(value)
    if gate is None:
        raise ValueError(f"unknown function {value!r} (AND, OR, OutOf)")
    if pos + 1 >= len(tokens) or tokens[pos + 1] != ("punct", "("):
        raise ValueError(f"{value} without '('")
    args, pos = [], pos + 2
    while True:
        if pos >= len(tokens):
            raise ValueError("the policy ends too early (a ')' is missing)")
        if tokens[pos] == ("punct", ")") and not args:
            break
        arg, pos = _parse(tokens, pos)
        args.append(arg)
        if pos < len(tokens) and tokens[pos] == ("punct", ","):
            pos += 1
            continue
        if pos < len(tokens) and tokens[pos] == ("punct", ")"):
            break
        if pos >= len(tokens):
            raise ValueError("the policy ends too early (a ')' is missing)")
        raise ValueError(f"expected ',' or ')' in {value}(...), got {tokens[pos][1]!r}")
    return ("gate", gate, args), pos + 1


def _threshold(node):
    """OutOf's first argument: a number, or a string holding one (policydsl takes OutOf('1', ...))."""
    kind, value = node[0], node[1] if len(node) > 1 else None
    if kind in ("number", "string"):
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"OutOf needs a number first, got {value!r}") from None
        if number == int(number):
            return int(number)
    raise ValueError("OutOf needs a number first")


def compile_signature_policy(text):
    """A policy string (`OR('Org1MSP.member', 'Org2MSP.member')`) -> envelope, as Fabric's policydsl.FromString.

    Principals are numbered as policydsl numbers them: nested gates first (left to right), then the
    gate's own principals, so the envelope is the one Fabric stores. Raises ValueError with the reason.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the policy is empty")
    tokens = _tokens(text)
    node, pos = _parse(tokens, 0)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos][1]!r} after the policy")
    if node[0] != "gate":
        raise ValueError("a policy is AND(...), OR(...) or OutOf(n, ...)")
    identities = []

    def build(gate_node):
        _, gate, args = gate_node
        if gate == "OUTOF":
            if len(args) < 2:
                raise ValueError(f"OutOf needs a number and at least one principal or policy, got {len(args)} argument(s)")
            threshold, members = _threshold(args[0]), args[1:]
        else:
            if not args:
                raise ValueError(f"{gate}() needs at least one principal or policy")
            members = args
            threshold = len(members) if gate == "AND" else 1
        if threshold < 0 or threshold > len(members) + 1:
            raise ValueError(f"invalid t-out-of-n predicate, t {threshold}, n {len(members)}")
        built = {index: build(member) for index, member in enumerate(members) if member[0] == "gate"}
        rules = []
        for index, member in enumerate(members):
            if index in built:
                rules.append(built[index])
                continue
            if member[0] != "string":
                raise ValueError(f"expected a principal 'MSPID.role' or a policy, got {member[1]}")
            match = _PRINCIPAL.match(member[1])
            if not match:
                raise ValueError(f"{member[1]!r} is not a principal 'MSPID.role' (role: {', '.join(ROLES)})")
            rules.append(("signed_by", len(identities)))
            identities.append((ROLE_PRINCIPAL, msp_role(match.group(1), match.group(2))))
        return ("n_out_of", threshold, tuple(rules))

    rule = build(node)
    return (0, rule, tuple(identities))


def msp_role(msp_id, role):
    """msp.MSPRole bytes."""
    return bytes_field(1, msp_id.encode()) + int_field(2, ROLES.index(role))


def signature_policy_principals(text):
    """(MSP ID, role) of every principal of a policy, in order; ValueError (with the reason) when the
    text is not a policy Fabric would compile."""
    compile_signature_policy(text)
    return [(match.group(1), match.group(2)) for kind, value in _tokens(text) if kind == "string" and (match := _PRINCIPAL.match(value))]
