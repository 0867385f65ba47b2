"""Byte-reproducible chaincode-as-a-service (CCaaS) packages and their package IDs.

A Fabric 2.x chaincode package is a gzipped tar of two regular files (Fabric's
core/chaincode/persistence: ParseChaincodePackage):

    metadata.json   {"label":"<label>","type":"ccaas"}
    code.tar.gz     a gzipped tar of connection.json and, optionally,
                    META-INF/statedb/couchdb/indexes/*.json
                    (and META-INF/statedb/couchdb/collections/<name>/indexes/*.json)

Its package ID is "<label>:<sha256 hex of the package file>" (what `peer lifecycle chaincode
calculatepackageid` prints), so the package must come out byte for byte the same from the same
inputs, or every run would install a new package. Everything here is therefore written by hand
rather than left to tarfile/gzip/zlib, whose output may change with the Python version or the zlib
implementation (zlib and zlib-ng compress the same input to different bytes):

  - tar: POSIX ustar headers built field by field: regular files only, sorted by name, mode 0644,
    uid/gid 0, no user or group names, mtime 0, then the two zero blocks that end an archive;
  - gzip: a header without file name and with mtime 0, and deflate "stored" (uncompressed) blocks;
    the packages are a few kilobytes, so nothing is lost by not compressing.

Pure Python (standard library), importable by the module (as ansible.module_utils.chaincode_package)
and by the tests.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import struct
import tarfile
import zlib

# Fabric's rule for labels (core/chaincode/persistence: LabelRegexp).
LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
# Go's time.ParseDuration syntax: the peer parses a string dial_timeout with it.
DURATION_PATTERN = re.compile(r"^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$")
# host:port, the host a name, an IPv4 address or a bracketed IPv6 address.
ADDRESS_PATTERN = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})$")

INDEX_ROOT = "META-INF/statedb/couchdb"
BLOCK = 512
FILE_MODE = 0o644
STORED_BLOCK_MAX = 0xFFFF


class PackageError(ValueError):
    """An input that cannot make a valid package."""


def validate_label(label):
    if not isinstance(label, str) or not LABEL_PATTERN.match(label):
        raise PackageError(f"invalid label {label!r}: a package label is letters, digits and . _ + -, starting with a letter or digit (Fabric's rule)")
    return label


def connection_json(*, address=None, dial_timeout=None, tls_required=True, client_auth_required=True):
    """The package's connection.json: only settings that are the same for every peer; never keys.

    Certificates, keys (and usually the address) are per peer: the peer host's external builder
    adds them from its local connections/<label>.json at release time.
    """
    if not isinstance(tls_required, bool) or not isinstance(client_auth_required, bool):
        raise PackageError("tls_required and client_auth_required must be booleans")
    if client_auth_required and not tls_required:
        raise PackageError("client_auth_required needs tls_required (mutual TLS is TLS)")
    settings = {"client_auth_required": client_auth_required, "tls_required": tls_required}
    if address is not None:
        match = ADDRESS_PATTERN.match(address) if isinstance(address, str) else None
        if not match or not 1 <= int(match.group(1)) <= 65535:
            raise PackageError(f"invalid address {address!r}: expected host:port")
        settings["address"] = address
    if dial_timeout is not None:
        if not isinstance(dial_timeout, str) or not DURATION_PATTERN.match(dial_timeout):
            raise PackageError(f'invalid dial_timeout {dial_timeout!r}: expected a duration such as "10s" or "1m30s"')
        settings["dial_timeout"] = dial_timeout
    return (json.dumps(settings, indent=2, sort_keys=True) + "\n").encode("ascii")


def index_files(source):
    """The state database index files of a chaincode source directory, as {archive name: bytes}.

    Takes META-INF/statedb/couchdb/indexes/*.json and
    META-INF/statedb/couchdb/collections/<collection>/indexes/*.json; each must be a JSON object
    with an "index" member (CouchDB's index definition), or the package is refused.
    """
    if source is None:
        return {}
    if not os.path.isdir(source):
        raise PackageError(f"source {source} is not a directory")
    root = os.path.join(source, *INDEX_ROOT.split("/"))
    directories = [("indexes", os.path.join(root, "indexes"))]
    collections = os.path.join(root, "collections")
    if os.path.isdir(collections):
        for name in sorted(os.listdir(collections)):
            directories.append((f"collections/{name}/indexes", os.path.join(collections, name, "indexes")))
    files = {}
    for relative, directory in directories:
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not name.endswith(".json") or not os.path.isfile(path):
                continue
            with open(path, "rb") as stream:
                content = stream.read()
            try:
                definition = json.loads(content.decode("utf-8"))
            except ValueError as err:
                raise PackageError(f"index {path} is not JSON: {err}") from err
            if not isinstance(definition, dict) or "index" not in definition:
                raise PackageError(f'index {path} is not a CouchDB index definition (no "index" member)')
            files[f"{INDEX_ROOT}/{relative}/{name}"] = content
    return files


def _octal(value, width):
    text = f"{value:0{width - 1}o}".encode("ascii")
    if len(text) > width - 1:
        raise PackageError(f"value {value} does not fit a tar header field")
    return text + b"\0"


def _split_name(name):
    raw = name.encode("utf-8")
    if not raw or name.startswith("/") or ".." in name.split("/") or any(ord(c) < 32 or ord(c) > 126 for c in name):
        raise PackageError(f"invalid file name {name!r} in a package")
    if len(raw) <= 100:
        return raw, b""
    # ustar: a longer name is split at a "/" into a prefix (<= 155 bytes) and a name (<= 100 bytes).
    for cut in range(len(raw) - 1, 0, -1):
        if raw[cut : cut + 1] == b"/" and cut <= 155 and len(raw) - cut - 1 <= 100:
            return raw[cut + 1 :], raw[:cut]
    raise PackageError(f"file name {name!r} is too long for a package")


def _header(name, size):
    base, prefix = _split_name(name)
    fields = [
        base.ljust(100, b"\0"),
        _octal(FILE_MODE, 8),
        _octal(0, 8),  # uid
        _octal(0, 8),  # gid
        _octal(size, 12),
        _octal(0, 12),  # mtime
        b" " * 8,  # checksum, computed below over the header with these eight spaces
        b"0",  # regular file
        b"\0" * 100,  # link name
        b"ustar\0",
        b"00",
        b"\0" * 32,  # user name
        b"\0" * 32,  # group name
        _octal(0, 8),  # device major
        _octal(0, 8),  # device minor
        prefix.ljust(155, b"\0"),
        b"\0" * 12,
    ]
    header = b"".join(fields)
    checksum = f"{sum(header):06o}".encode("ascii") + b"\0 "
    return header[:148] + checksum + header[156:]


def tar_bytes(files):
    """A ustar archive of {name: bytes}: regular files in name order, fixed metadata."""
    out = bytearray()
    for name in sorted(files):
        content = bytes(files[name])
        out += _header(name, len(content))
        out += content
        out += b"\0" * (-len(content) % BLOCK)
    out += b"\0" * (2 * BLOCK)
    return bytes(out)


def gzip_bytes(data):
    """A gzip member of data: no file name, mtime 0, deflate stored blocks (no zlib involved)."""
    out = bytearray(b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x00\xff")
    chunks = [data[i : i + STORED_BLOCK_MAX] for i in range(0, len(data), STORED_BLOCK_MAX)] or [b""]
    for index, chunk in enumerate(chunks):
        final = 1 if index == len(chunks) - 1 else 0
        out += struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF)
        out += chunk
    out += struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return bytes(out)


def code_files(*, address=None, dial_timeout=None, tls_required=True, client_auth_required=True, source=None):
    """The files of code.tar.gz: connection.json and the source's index files."""
    files = {
        "connection.json": connection_json(address=address, dial_timeout=dial_timeout, tls_required=tls_required, client_auth_required=client_auth_required)
    }
    files.update(index_files(source))
    return files


def package_bytes(label, *, address=None, dial_timeout=None, tls_required=True, client_auth_required=True, source=None):
    """The bytes of a CCaaS package; the same inputs give the same bytes on every machine."""
    metadata = json.dumps({"label": validate_label(label), "type": "ccaas"}, separators=(",", ":"), sort_keys=True).encode("ascii")
    files = code_files(address=address, dial_timeout=dial_timeout, tls_required=tls_required, client_auth_required=client_auth_required, source=source)
    code = gzip_bytes(tar_bytes(files))
    return gzip_bytes(tar_bytes({"code.tar.gz": code, "metadata.json": metadata}))


def package_id(label, data):
    """Fabric's package ID: <label>:<sha256 hex of the package file's bytes>."""
    return f"{label}:{hashlib.sha256(data).hexdigest()}"


def read_label(data):
    """The label in a package's metadata.json, or None when data is not a readable package."""
    try:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
            member = archive.extractfile("metadata.json")
            label = json.loads(member.read().decode("utf-8")).get("label") if member else None
    except (OSError, EOFError, KeyError, ValueError, AttributeError, tarfile.TarError):
        return None
    return label if isinstance(label, str) else None
