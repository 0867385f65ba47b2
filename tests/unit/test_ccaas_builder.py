"""The external builder for ccaas packages (roles/peer/files/ccaas_builder/bin/{detect,build,release}).

The real scripts run in temporary directories laid out as on a peer host (<builder dir>/bin/ and
<builder dir>/connections/<label>.json), with the pruned environment the peer gives them (PATH
only). Sources are unpacked from packages made by plugins/module_utils/chaincode_package.py. Last,
a real Fabric 2.5.16 peer (goleveldb, no TLS, no channel) installs a package through them: the
peer builds at install time, so this shows that it accepts both, and what it keeps. That check is
skipped loudly when Fabric is not provided.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import tarfile
import time

import chaincode_package
import pytest
import yaml
from hlf_env import CACHE, FABRIC_ARCHIVE, ROOT, fabric_missing_reason

BUILDER = ROOT / "roles" / "peer" / "files" / "ccaas_builder"
SCRIPTS = [BUILDER / "bin" / name for name in ("detect", "build", "release")]
SAMPLE = ROOT / "chaincode" / "asset-registry"
LABEL = "asset-registry_1.0.0"
INDEX = "META-INF/statedb/couchdb/indexes/indexOwner.json"
# Stand-ins for PEM files: the builder embeds them as they are and parses no certificate.
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBnDCCAUKgAwIBAgIRAKfakeCAfakeCAfakeCAfake=\n-----END CERTIFICATE-----\n"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIICKzCCAdGgAwIBAgIQfakePeerClientCertificate=\n-----END CERTIFICATE-----\n"
KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfakePeerClientKey=\n-----END PRIVATE KEY-----\n"


# --- a peer host's builder directory, and the peer's three calls ---


@pytest.fixture
def host(tmp_path):
    """<tmp>/builder (bin/ copied from the role, connections/), PEM files, the peer's scratch dirs."""
    builder = tmp_path / "opt" / "ccaas_builder"
    shutil.copytree(BUILDER / "bin", builder / "bin")
    (builder / "connections").mkdir()
    tls = tmp_path / "tls"
    tls.mkdir()
    (tls / "ca.crt").write_text(CA_PEM)
    (tls / "client.crt").write_text(CERT_PEM)
    (tls / "client.key").write_text(KEY_PEM)
    dirs = {name: tmp_path / name for name in ("src", "metadata", "bld", "release")}
    for path in dirs.values():
        path.mkdir()
    return {"builder": builder, "tls": tls, **dirs}


def run(host, step, *args):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([str(host["builder"] / "bin" / step), *map(str, args)], capture_output=True, text=True, env=env, timeout=30, check=False)


def unpack(data, target):
    """Unpack bytes of a tar.gz (regular files only, like the peer's Untar)."""
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
        for info in archive.getmembers():
            assert info.isreg(), info.name
            path = target / info.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive.extractfile(info).read())


def install(host, data):
    """What the peer does before calling the builder: metadata.json apart, code.tar.gz unpacked."""
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
        files = {info.name: archive.extractfile(info).read() for info in archive.getmembers()}
    (host["metadata"] / "metadata.json").write_bytes(files["metadata.json"])
    unpack(files["code.tar.gz"], host["src"])


def local_connection(host, **settings):
    path = host["builder"] / "connections" / f"{LABEL}.json"
    path.write_text(json.dumps(settings))
    return path


def mutual_tls(host, **extra):
    tls = host["tls"]
    return local_connection(
        host,
        address="peer0-org1:9999",
        tls_required=True,
        client_auth_required=True,
        root_cert=str(tls / "ca.crt"),
        client_cert=str(tls / "client.crt"),
        client_key=str(tls / "client.key"),
        **extra,
    )


def build_and_release(host):
    built = run(host, "build", host["src"], host["metadata"], host["bld"])
    assert built.returncode == 0, built.stderr
    return run(host, "release", host["bld"], host["release"])


def released(host):
    return json.loads((host["release"] / "chaincode" / "server" / "connection.json").read_text())


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_scripts_are_executable_python_and_lint_clean():
    for script in SCRIPTS:
        assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
        assert script.read_text().startswith("#!/usr/bin/env python3\n"), script
    for command in (["ruff", "check", *map(str, SCRIPTS)], ["ruff", "format", "--check", *map(str, SCRIPTS)]):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


# --- detect ---


@pytest.mark.parametrize("kind", ["ccaas", "CCaaS"])
def test_detect_claims_ccaas_packages(host, kind):
    (host["metadata"] / "metadata.json").write_text(json.dumps({"type": kind, "label": LABEL}))
    result = run(host, "detect", host["src"], host["metadata"])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"type": "golang", "label": "x"}', "type 'golang' is not 'ccaas'"),
        ('{"type": "external", "label": "x"}', "type 'external' is not 'ccaas'"),
        ('{"label": "x"}', "type None is not 'ccaas'"),
        ('["ccaas"]', "type None is not 'ccaas'"),
        ('{"type": ["ccaas"]}', "is not 'ccaas'"),
        ("{broken", "cannot read"),
        (None, "cannot read"),
    ],
)
def test_detect_refuses_other_and_broken_metadata(host, content, reason):
    if content is not None:
        (host["metadata"] / "metadata.json").write_text(content)
    result = run(host, "detect", host["src"], host["metadata"])
    assert result.returncode == 1
    assert reason in result.stderr


def test_wrong_usage_exits_2(host):
    for step in ("detect", "build", "release"):
        result = run(host, step)
        assert result.returncode == 2 and "usage:" in result.stderr


# --- build and release ---


def test_build_and_release_mutual_tls(host):
    install(host, chaincode_package.package_bytes(LABEL, source=str(SAMPLE), dial_timeout="10s"))
    mutual_tls(host)
    result = build_and_release(host)
    assert result.returncode == 0, result.stderr
    assert f"{LABEL}: chaincode server at peer0-org1:9999 (mutual TLS)" in result.stderr

    connection = released(host)
    assert connection == {
        "address": "peer0-org1:9999",
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
        "root_cert": CA_PEM,
        "client_cert": CERT_PEM,
        "client_key": KEY_PEM,
    }
    assert connection["tls_required"] is True and connection["client_auth_required"] is True
    server = host["release"] / "chaincode" / "server" / "connection.json"
    assert stat.S_IMODE(server.stat().st_mode) == 0o600
    # The CouchDB index, where the peer takes it from once a build exists.
    assert (host["release"] / "statedb/couchdb/indexes/indexOwner.json").read_bytes() == (SAMPLE / INDEX).read_bytes()
    assert files_under(host["release"]) == ["chaincode/server/connection.json", "statedb/couchdb/indexes/indexOwner.json"]

    # Build's output (which the peer keeps) holds no key, no certificate.
    assert files_under(host["bld"]) == [INDEX, "connection.json", "metadata.json"]
    for path in host["bld"].rglob("*"):
        if path.is_file():
            assert "PRIVATE KEY" not in path.read_text() and "CERTIFICATE" not in path.read_text(), path
    assert json.loads((host["bld"] / "metadata.json").read_text()) == {"label": LABEL, "type": "ccaas"}


def test_build_and_release_without_tls_and_without_indexes(host):
    install(host, chaincode_package.package_bytes(LABEL, tls_required=False, client_auth_required=False))
    local_connection(host, address="127.0.0.1:9999", tls_required="false", client_auth_required="False")
    result = build_and_release(host)
    assert result.returncode == 0, result.stderr
    assert released(host) == {"address": "127.0.0.1:9999", "tls_required": False, "client_auth_required": False}
    assert not (host["release"] / "statedb").exists()


def test_server_side_tls_only_takes_the_ca(host):
    install(host, chaincode_package.package_bytes(LABEL, client_auth_required=False))
    local_connection(host, address="[::1]:9999", tls_required="true", root_cert=str(host["tls"] / "ca.crt"))
    result = build_and_release(host)
    assert result.returncode == 0, result.stderr
    assert released(host) == {"address": "[::1]:9999", "tls_required": True, "client_auth_required": False, "root_cert": CA_PEM}


def test_release_without_the_local_file_names_the_path_expected(host):
    install(host, chaincode_package.package_bytes(LABEL, source=str(SAMPLE)))
    result = build_and_release(host)
    expected = host["builder"] / "connections" / f"{LABEL}.json"
    assert result.returncode == 1
    assert f"release: {expected} does not exist" in result.stderr
    assert f"no connection settings for package label {LABEL}" in result.stderr
    assert files_under(host["release"]) == []


def test_build_refuses_a_package_carrying_a_key_or_per_peer_settings(host):
    (host["metadata"] / "metadata.json").write_text(json.dumps({"type": "ccaas", "label": LABEL}))
    connection = host["src"] / "connection.json"
    connection.write_text(json.dumps({"address": "x:1", "tls_required": True, "client_key": KEY_PEM}))
    result = run(host, "build", host["src"], host["metadata"], host["bld"])
    assert result.returncode == 1 and "carries a private key: refused" in result.stderr
    connection.write_text(json.dumps({"address": "x:1", "extra": {"pem": KEY_PEM}}))
    result = run(host, "build", host["src"], host["metadata"], host["bld"])
    assert result.returncode == 1 and "carries a private key: refused" in result.stderr
    connection.write_text(json.dumps({"address": "x:1", "tls_required": True, "root_cert": CA_PEM}))
    result = run(host, "build", host["src"], host["metadata"], host["bld"])
    assert result.returncode == 1 and "field(s) root_cert not allowed in a package" in result.stderr
    assert files_under(host["bld"]) == []


def test_build_refuses_broken_packages(host):
    metadata = host["metadata"] / "metadata.json"
    metadata.write_text(json.dumps({"type": "ccaas", "label": LABEL}))
    result = run(host, "build", host["src"], host["metadata"], host["bld"])
    assert result.returncode == 1 and "the package has no connection.json" in result.stderr
    (host["src"] / "connection.json").write_text("[1]")
    result = run(host, "build", host["src"], host["metadata"], host["bld"])
    assert result.returncode == 1 and "must hold a JSON object" in result.stderr
    (host["src"] / "connection.json").write_text("{}")
    metadata.write_text(json.dumps({"type": "ccaas", "label": "../../etc/x"}))
    result = run(host, "build", host["src"], host["metadata"], host["bld"])
    assert result.returncode == 1 and "is not a valid package label" in result.stderr


@pytest.mark.parametrize(
    ("local", "message"),
    [
        # The package (mutual TLS) and this host's file disagree.
        ({"address": "x:1", "tls_required": False, "client_auth_required": True}, "the package says tls_required=True but"),
        ({"address": "x:1", "tls_required": True, "client_auth_required": "false"}, "the package says client_auth_required=True but"),
        ({"address": "no port", "tls_required": True, "client_auth_required": True}, "is not host:port"),
        ({"tls_required": True, "client_auth_required": True, "address": "x:1", "root_cert": "ca.crt"}, "must be an absolute path"),
        (
            {"tls_required": True, "client_auth_required": True, "address": "x:1", "root_cert": "/nonexistent/ca.crt"},
            "cannot read root_cert /nonexistent/ca.crt",
        ),
        ({"tls_required": "yes", "client_auth_required": True, "address": "x:1"}, "tls_required must be true or false, got 'yes'"),
        ({"tls_required": True, "client_auth_required": True, "address": "x:1", "clientkey": "/k"}, "unknown field(s) clientkey"),
    ],
)
def test_release_refuses_bad_local_settings(host, local, message):
    install(host, chaincode_package.package_bytes(LABEL))  # mutual TLS
    local_connection(host, **local)
    result = build_and_release(host)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert files_under(host["release"]) == []


def test_release_needs_the_client_key_pair_for_mutual_tls(host):
    install(host, chaincode_package.package_bytes(LABEL))
    tls = host["tls"]
    local_connection(host, address="x:1", tls_required=True, client_auth_required=True, root_cert=str(tls / "ca.crt"), client_cert=str(tls / "client.crt"))
    result = build_and_release(host)
    assert result.returncode == 1 and "client_key (the path of a PEM file) is required" in result.stderr
    mutual_tls(host)
    (tls / "client.key").write_text(CERT_PEM)
    result = run(host, "release", host["bld"], host["release"])
    assert result.returncode == 1 and f"client_key {tls / 'client.key'} holds no PEM PRIVATE KEY" in result.stderr


def test_release_refuses_pem_paths_without_tls(host):
    install(host, chaincode_package.package_bytes(LABEL, tls_required=False, client_auth_required=False))
    local_connection(host, address="x:1", root_cert=str(host["tls"] / "ca.crt"))
    result = build_and_release(host)
    assert result.returncode == 1 and "root_cert given but tls_required is not true" in result.stderr


def test_release_refuses_a_label_that_is_not_a_file_name(host):
    (host["bld"] / "metadata.json").write_text(json.dumps({"type": "ccaas", "label": "../x"}))
    (host["bld"] / "connection.json").write_text("{}")
    result = run(host, "release", host["bld"], host["release"])
    assert result.returncode == 1 and "label '../x' is not a valid package label" in result.stderr


def test_release_fails_when_the_builder_output_is_missing(host):
    result = run(host, "release", host["bld"], host["release"])
    assert result.returncode == 1 and "metadata.json does not exist (bin/build writes it)" in result.stderr


# --- a real peer installs a package through the builder ---


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    """A directory with bin/peer, bin/cryptogen and config/core.yaml of Fabric 2.5.16, or a loud skip."""
    local = CACHE / "fabric-local"
    wanted = ("bin/peer", "bin/cryptogen", "config/core.yaml")
    if all((local / name).is_file() for name in wanted):
        return local
    if FABRIC_ARCHIVE.exists():
        target = tmp_path_factory.mktemp("fabric")
        with tarfile.open(FABRIC_ARCHIVE) as archive:
            archive.extractall(target, members=[m for m in archive.getmembers() if m.name.removeprefix("./") in wanted], filter="data")
        return target
    pytest.skip("FABRIC NOT PROVIDED, the external builder NOT CHECKED with a real peer: " + " ".join((fabric_missing_reason() or "").split()))


def test_a_real_peer_installs_a_ccaas_package_through_the_builder(fabric, host, tmp_path):
    crypto = tmp_path / "crypto"
    (tmp_path / "crypto-config.yaml").write_text(
        yaml.safe_dump({"PeerOrgs": [{"Name": "Org1", "Domain": "org1.example.com", "EnableNodeOUs": True, "Template": {"Count": 1}, "Users": {"Count": 0}}]})
    )
    generated = subprocess.run(
        [str(fabric / "bin" / "cryptogen"), "generate", "--config", str(tmp_path / "crypto-config.yaml"), "--output", str(crypto)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr
    org = crypto / "peerOrganizations" / "org1.example.com"

    core = yaml.safe_load((fabric / "config" / "core.yaml").read_text())
    listen, chaincode, operations = free_port(), free_port(), free_port()
    core["peer"].update(
        {
            "id": "peer0",
            "address": f"127.0.0.1:{listen}",
            "listenAddress": f"127.0.0.1:{listen}",
            "chaincodeListenAddress": f"127.0.0.1:{chaincode}",
            "chaincodeAddress": f"127.0.0.1:{chaincode}",
            "fileSystemPath": str(tmp_path / "data"),
            "mspConfigPath": str(org / "peers" / "peer0.org1.example.com" / "msp"),
            "localMspId": "Org1MSP",
        }
    )
    core["peer"]["tls"]["enabled"] = False
    core["peer"]["gossip"].update({"bootstrap": f"127.0.0.1:{listen}", "endpoint": "", "externalEndpoint": ""})
    core["operations"]["listenAddress"] = f"127.0.0.1:{operations}"
    core["vm"]["endpoint"] = ""
    core["chaincode"]["externalBuilders"] = [{"name": "hlf-ccaas", "path": str(host["builder"]), "propagateEnvironment": []}]
    core["ledger"]["state"]["stateDatabase"] = "goleveldb"
    config = tmp_path / "config"
    config.mkdir()
    (config / "core.yaml").write_text(yaml.safe_dump(core))

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "FABRIC_CFG_PATH": str(config)}
    admin = dict(
        env,
        CORE_PEER_MSPCONFIGPATH=str(org / "users" / "Admin@org1.example.com" / "msp"),
        CORE_PEER_ADDRESS=f"127.0.0.1:{listen}",
        CORE_PEER_LOCALMSPID="Org1MSP",
    )
    package = tmp_path / f"{LABEL}.tar.gz"
    data = chaincode_package.package_bytes(LABEL, source=str(SAMPLE), dial_timeout="10s")
    package.write_bytes(data)
    package_id = chaincode_package.package_id(LABEL, data)

    def lifecycle(*args):
        return subprocess.run(
            [str(fabric / "bin" / "peer"), "lifecycle", "chaincode", *args], capture_output=True, text=True, env=admin, timeout=60, check=False
        )

    log = tmp_path / "peer.log"
    with log.open("w") as stream:
        peer = subprocess.Popen([str(fabric / "bin" / "peer"), "node", "start"], env=env, stdout=stream, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while (ready := lifecycle("queryinstalled")).returncode != 0:
            assert peer.poll() is None and time.monotonic() < deadline, ready.stderr + log.read_text()[-3000:]
            time.sleep(0.1)

        # Without this host's connection file the build fails, so does the install, and the peer
        # logs release's message naming the file.
        refused = lifecycle("install", str(package))
        assert refused.returncode != 0 and "builder 'hlf-ccaas' release failed" in refused.stderr, refused.stderr
        assert f"{host['builder'] / 'connections' / LABEL}.json does not exist" in log.read_text()

        mutual_tls(host, dial_timeout="10s")
        installed = lifecycle("install", str(package))
        assert installed.returncode == 0, installed.stderr + log.read_text()[-3000:]
        assert package_id in installed.stderr
        listed = lifecycle("queryinstalled", "--output", "json")
        assert [item["package_id"] for item in json.loads(listed.stdout)["installed_chaincodes"]] == [package_id]
    finally:
        peer.terminate()
        peer.wait(timeout=30)

    # What the peer keeps of the build: the connection it will dial, and the index.
    build = tmp_path / "data" / "externalbuilder" / "builds" / package_id.replace(":", "-")
    assert json.loads((build / "build-info.json").read_text()) == {"builder_name": "hlf-ccaas"}
    assert json.loads((build / "release" / "chaincode" / "server" / "connection.json").read_text()) == {
        "address": "peer0-org1:9999",
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
        "root_cert": CA_PEM,
        "client_cert": CERT_PEM,
        "client_key": KEY_PEM,
    }
    assert (build / "release" / "statedb" / "couchdb" / "indexes" / "indexOwner.json").read_bytes() == (SAMPLE / INDEX).read_bytes()
    assert "PRIVATE KEY" not in "".join(p.read_text() for p in (build / "bld").rglob("*") if p.is_file())
