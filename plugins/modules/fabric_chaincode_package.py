#!/usr/bin/python
"""A byte-reproducible chaincode-as-a-service package and its package ID."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_chaincode_package
short_description: Make a byte-reproducible Hyperledger Fabric chaincode-as-a-service (ccaas) package
description:
  - Writes I(dest), a Fabric 2.x chaincode package of type C(ccaas) - a tar.gz of C(metadata.json)
    (C({"label":"<label>","type":"ccaas"})) and C(code.tar.gz), which holds C(connection.json) and the
    CouchDB index files of I(source) (C(META-INF/statedb/couchdb/indexes/*.json) and
    C(META-INF/statedb/couchdb/collections/<collection>/indexes/*.json)).
  - The same options and index files give the same bytes on every run and every machine (sorted entries,
    fixed modes, owners and mtimes, gzip without name or timestamp, no compressor whose output could vary),
    hence the same package ID, so reruns install nothing.
  - C(connection.json) holds only what is the same for every peer - never a key or certificate. Each peer
    host's external builder (roles/peer, C(ccaas_builder)) adds the address, CA certificate and its
    client key pair from that host's own C(connections/<label>.json) when the peer builds the package.
  - Runs where it is delegated, typically C(localhost) (the controller); only the package file is written.
  - Returns the package ID, C(<label>:<sha256 of the file>), the value
    C(peer lifecycle chaincode calculatepackageid) prints; C(changed) only when the file's bytes differ
    from what is there. Check mode computes the ID in memory and writes nothing.
options:
  dest:
    description:
      - The package file to write. Missing parent directories are created (not in check mode).
    type: path
    required: true
  label:
    description:
      - The package label (letters, digits and C(. _ + -), starting with a letter or digit), e.g.
        C(asset-registry_1.0.0). The package ID starts with it; the external builder looks up the peer's
        connection settings as C(connections/<label>.json).
    type: str
    required: true
  source:
    description:
      - A chaincode source directory whose CouchDB index files go into the package. Only those files
        are packaged; the chaincode's code is not (it runs as a service).
      - Every index file must be a JSON object with an C(index) member.
    type: path
  address:
    description:
      - The chaincode server's C(host:port), for a server that every peer reaches at the same address.
      - Usually left out - each peer's own C(connections/<label>.json) gives the address of its server.
        A field given in both must have the same value there.
    type: str
  dial_timeout:
    description:
      - How long the peer waits when dialing the chaincode server, a Go duration such as C(10s).
      - Left out, the peer uses its default (3s).
    type: str
  tls_required:
    description:
      - Whether the peer talks TLS to the chaincode server (then each peer's connection file names the CA
        certificate of the server).
    type: bool
    default: true
  client_auth_required:
    description:
      - Whether the chaincode server requires the peer's client certificate (mutual TLS); needs
        I(tls_required).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Computes the package and its ID in memory and writes nothing.
  diff_mode:
    support: full
    description: Shows the package ID of the file before and after.
seealso:
  - module: fabric_chaincode_install
notes:
  - Fabric reads C(tls_required) and C(client_auth_required) as JSON booleans; they are written as such.
extends_documentation_fragment:
  - ansible.builtin.files
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Package the asset registry (on the controller)
  fabric_chaincode_package:
    dest: "{{ inventory_dir }}/.fabric-artifacts/chaincode/asset-registry_1.0.0.tar.gz"
    label: asset-registry_1.0.0
    source: "{{ playbook_dir }}/../chaincode/asset-registry"
    dial_timeout: 10s
  delegate_to: localhost
  run_once: true
  register: asset_registry_package

- name: Install it on a peer
  fabric_chaincode_install:
    package: "{{ asset_registry_package.path }}"
    package_id: "{{ asset_registry_package.package_id }}"
    peer_address: peer0-org1:7051
    peer_tls_ca: /etc/hyperledger/admin/Org1/tls-ca.pem
    msp_id: Org1MSP
    msp_dir: /etc/hyperledger/admin/Org1/msp
"""

RETURN = r"""
package_id:
  description: The package ID, C(<label>:<sha256 hex of the package file>).
  returned: always
  type: str
  sample: asset-registry_1.0.0:40713e8b84ac6d7a867c31033efadb28344b181b20b00f45c41d5d5bd83536a9
label:
  description: The package label.
  returned: always
  type: str
  sample: asset-registry_1.0.0
path:
  description: The package file (written unless in check mode).
  returned: always
  type: str
  sample: /srv/fabric/chaincode/asset-registry_1.0.0.tar.gz
files:
  description: The files in the package's C(code.tar.gz), in archive order.
  returned: always
  type: list
  elements: str
  sample: [META-INF/statedb/couchdb/indexes/indexOwner.json, connection.json]
connection:
  description: The package's C(connection.json), as written.
  returned: always
  type: dict
  sample: {client_auth_required: true, dial_timeout: 10s, tls_required: true}
"""

import hashlib
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.chaincode_package import PackageError, code_files, package_bytes, package_id, read_label


def describe(data):
    """The package ID of existing package bytes, for the diff."""
    label = read_label(data)
    digest = hashlib.sha256(data).hexdigest()
    return f"{label}:{digest}" if label else f"(not a chaincode package) sha256 {digest}"


def main():
    module = AnsibleModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "label": {"type": "str", "required": True},
            "source": {"type": "path"},
            "address": {"type": "str"},
            "dial_timeout": {"type": "str"},
            "tls_required": {"type": "bool", "default": True},
            "client_auth_required": {"type": "bool", "default": True},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    dest, label = params["dest"], params["label"]
    options = {key: params[key] for key in ("address", "dial_timeout", "tls_required", "client_auth_required", "source")}
    try:
        files = code_files(**options)
        data = package_bytes(label, **options)
    except (PackageError, OSError) as err:
        module.fail_json(msg=f"cannot package {label}: {err}")
    new_id = package_id(label, data)

    directory = os.path.dirname(os.path.abspath(dest))
    if os.path.isdir(dest):
        module.fail_json(msg=f"dest {dest} is a directory; give the package's file name")
    old = None
    if os.path.exists(dest):
        try:
            with open(dest, "rb") as stream:
                old = stream.read()
        except OSError as err:
            module.fail_json(msg=f"cannot read {dest}: {err}")
    changed = old != data

    if changed and not module.check_mode:
        handle_path = f"{dest}.tmp.{os.getpid()}"
        try:
            os.makedirs(directory, exist_ok=True)
            with open(handle_path, "wb") as stream:
                stream.write(data)
            module.atomic_move(handle_path, dest)
        except OSError as err:
            module.fail_json(msg=f"cannot write {dest}: {err}")
        finally:
            if os.path.exists(handle_path):
                os.unlink(handle_path)

    result = {
        "changed": changed,
        "package_id": new_id,
        "label": label,
        "path": dest,
        "files": sorted(files),
        "connection": json.loads(files["connection.json"]),
        "diff": {
            "before": {"package_id": describe(old) if old is not None else "(absent)"},
            "after": {"package_id": new_id},
        },
    }
    if not module.check_mode or os.path.exists(dest):
        file_args = module.load_file_common_arguments(params, path=dest)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
