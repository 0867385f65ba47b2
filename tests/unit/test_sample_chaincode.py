"""The sample chaincode (chaincode/asset-registry) on the Node.js chaincode runtime artifact.

The runtime archive that ./hlf setup builds (fabric-chaincode-node-<version>.tar.gz) is unpacked into a
temporary directory and used as the hosts use it, through NODE_PATH: it must hold exactly the
production packages of tools/chaincode-artifacts/package-lock.json, load, and admit the hosts' Node
(Debian bookworm: 18.20.4); the contract's unit tests (node --test, on an in-memory fake stub) must
pass; fabric-shim must find exactly the contract's transactions; and `fabric-chaincode-node server`
must serve it with mutual TLS from the command line the chaincode role uses. Set HLF_NODE to run
them with another node binary (e.g. Debian's 18.20.4). Skipped loudly, naming why, when the
artifact or node is missing.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tarfile
import time

import pytest
from hlf_env import ARTIFACTS, COMMON_DEFAULTS, ROOT

# The shim version, as roles/common states it (./hlf setup names the archive after it).
SHIM_VERSION = COMMON_DEFAULTS["fabric_chaincode_node_version"]
RUNTIME_ARCHIVE = ARTIFACTS / f"fabric-chaincode-node-{SHIM_VERSION}.tar.gz"
LOCK = ROOT / "tools" / "chaincode-artifacts" / "package-lock.json"
CHECK = ROOT / "tools" / "chaincode-artifacts" / "check-runtime.js"
SAMPLE = ROOT / "chaincode" / "asset-registry"
TEST_FILES = ["test/assets.test.js", "test/asset-registry-contract.test.js"]
HOSTS_NODE = "18.20.4"
TRANSACTIONS = {
    "AssetExists": 1,
    "CreateAsset": 3,
    "DeleteAsset": 1,
    "ListAssetsByOwner": 1,
    "Ping": 0,
    "ReadAsset": 1,
    "TransferAsset": 2,
    "UpdateAsset": 2,
}


@pytest.fixture(scope="module")
def node():
    binary = os.environ.get("HLF_NODE") or shutil.which("node")
    if not binary:
        pytest.skip("NODE NOT FOUND, the sample chaincode NOT TESTED: no `node` on PATH (./hlf setup installs Debian's nodejs) and HLF_NODE unset")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    assert int(version.lstrip("v").split(".")[0]) >= 18, f"{binary} is Node {version}; the chaincode runtime needs Node 18 or later"
    return binary


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """The unpacked runtime artifact: a directory holding node_modules/."""
    if not RUNTIME_ARCHIVE.exists():
        pytest.skip(f"CHAINCODE RUNTIME NOT BUILT, the sample chaincode NOT TESTED: {RUNTIME_ARCHIVE} does not exist; run ./hlf setup")
    target = tmp_path_factory.mktemp("chaincode-runtime")
    with tarfile.open(RUNTIME_ARCHIVE) as archive:
        archive.extractall(target, filter="data")
    return target


def node_env(runtime):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(runtime), "NODE_PATH": str(runtime / "node_modules"), "NO_COLOR": "1"}


def test_the_sample_is_a_package_without_installed_dependencies():
    package = json.loads((SAMPLE / "package.json").read_text())
    assert package["name"] == "asset-registry" and package["version"] and package["main"] == "index.js"
    assert package["scripts"]["start"] == "fabric-chaincode-node server"
    assert "dependencies" not in package and "devDependencies" not in package
    assert not (SAMPLE / "node_modules").exists()
    index = json.loads((SAMPLE / "META-INF/statedb/couchdb/indexes/indexOwner.json").read_text())
    assert index["index"]["fields"] == ["docType", "owner"]


def test_the_runtime_holds_exactly_the_locked_production_packages(runtime):
    assert sorted(p.name for p in runtime.iterdir()) == ["node_modules"]
    lock = json.loads(LOCK.read_text())["packages"]
    wanted = {path: entry["version"] for path, entry in lock.items() if path and not entry.get("dev")}
    installed = {}
    for manifest in (runtime / "node_modules").glob("**/package.json"):
        relative = manifest.parent.relative_to(runtime).as_posix()
        if re.fullmatch(r"node_modules/(@[^/]+/)?[^/@]+(/node_modules/(@[^/]+/)?[^/@]+)*", relative):
            installed[relative] = json.loads(manifest.read_text())["version"]
    assert installed == wanted
    assert installed["node_modules/fabric-shim"] == installed["node_modules/fabric-contract-api"] == SHIM_VERSION
    locked = json.loads((LOCK.parent / "package.json").read_text())["dependencies"]
    assert locked == {"fabric-contract-api": SHIM_VERSION, "fabric-shim": SHIM_VERSION}
    assert not (runtime / "node_modules" / ".package-lock.json").exists()


def test_the_runtime_loads_and_admits_the_hosts_node(node, runtime):
    env = node_env(runtime)
    loaded = subprocess.run(
        [node, "-e", "require('fabric-shim'); require('fabric-contract-api')"], cwd=runtime, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert loaded.returncode == 0, loaded.stderr
    checked = subprocess.run([node, str(CHECK), str(runtime), HOSTS_NODE, SHIM_VERSION], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    assert f"engines admit Node {HOSTS_NODE}" in checked.stdout
    # The check does refuse: no package of this runtime admits Node 16.
    refused = subprocess.run([node, str(CHECK), str(runtime), "16.20.0", SHIM_VERSION], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 1 and f"fabric-shim@{SHIM_VERSION}: engines.node '>=18' does not admit Node 16.20.0" in refused.stderr


def test_the_contract_unit_tests_pass(node, runtime):
    expected = sum(len(re.findall(r"^test\(", (SAMPLE / name).read_text(), re.MULTILINE)) for name in TEST_FILES)
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", *TEST_FILES], cwd=SAMPLE, env=node_env(runtime), capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output[-3000:]
    passed = re.search(r"^# pass (\d+)$", output, re.MULTILINE)
    assert passed and int(passed.group(1)) == expected >= 20, output[-3000:]


def test_the_shim_finds_exactly_the_contract_transactions(node, runtime, tmp_path):
    out = tmp_path / "metadata.json"
    result = subprocess.run(
        [node, str(runtime / "node_modules/fabric-shim/cli.js"), "metadata", "generate", "--module-path", str(SAMPLE), "--file", str(out)],
        env=node_env(runtime),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    metadata = json.loads(out.read_text())
    contract = metadata["contracts"]["AssetRegistry"]
    assert contract["contractInstance"]["default"] is True
    assert {t["name"]: len(t.get("parameters", [])) for t in contract["transactions"]} == TRANSACTIONS
    assert metadata["info"] == {"title": "asset-registry", "version": json.loads((SAMPLE / "package.json").read_text())["version"]}


# --- the chaincode server with mutual TLS ---


def tls_material(directory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate (EC P-256, as cryptogen makes)."""
    from cryptography import x509  # noqa: PLC0415 (only this test needs it)
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415

    start, end = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC), datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("tls-ca"))
        .issuer_name(name("tls-ca"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for serial, role in enumerate(("server", "client"), start=2):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(role))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        )
        if role == "server":
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        (directory / f"{role}.crt").write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        (directory / f"{role}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def http2_first_frame(port, tls_dir, with_client_cert):
    """Type of the server's first HTTP/2 frame over TLS, or the TLS error."""
    context = ssl.create_default_context(cafile=str(tls_dir / "ca.crt"))
    context.set_alpn_protocols(["h2"])
    if with_client_cert:
        context.load_cert_chain(str(tls_dir / "client.crt"), str(tls_dir / "client.key"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as stream:
                stream.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
                header = stream.recv(9)
                return ("frame", header[3] if len(header) == 9 else None)
        except (ssl.SSLError, ConnectionError) as err:
            return ("refused", str(err))


def test_the_chaincode_server_serves_with_mutual_tls(node, runtime, tmp_path):
    pytest.importorskip("cryptography", reason="the venv's cryptography makes the test certificates")
    tls_material(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        node,
        str(runtime / "node_modules/fabric-shim/cli.js"),
        "server",
        "--module-path",
        str(SAMPLE),
        "--chaincode-address",
        f"127.0.0.1:{port}",
        "--chaincode-id",
        "asset-registry_1.0.0:" + "0" * 64,
        "--chaincode-tls-cert-file",
        str(tmp_path / "server.crt"),
        "--chaincode-tls-key-file",
        str(tmp_path / "server.key"),
        "--chaincode-tls-client-cacert-file",
        str(tmp_path / "ca.crt"),
    ]
    log = tmp_path / "server.log"
    with log.open("w") as stream:
        server = subprocess.Popen(command, cwd=SAMPLE, env=node_env(runtime), stdout=stream, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)
        # A peer with a certificate of the client CA gets the server's HTTP/2 SETTINGS frame (type 4);
        # a client without a certificate is refused.
        assert http2_first_frame(port, tmp_path, with_client_cert=True) == ("frame", 4)
        refused = http2_first_frame(port, tmp_path, with_client_cert=False)
        assert refused[0] == "refused" and "certificate" in refused[1].lower(), refused
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Bootstrap process completed" in log.read_text()
