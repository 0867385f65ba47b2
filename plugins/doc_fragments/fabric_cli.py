"""Options the Fabric channel modules share through plugins/module_utils/fabric_cli.py."""


class ModuleDocFragment:
    # The identity's MSP directory, the orderer's TLS settings, the binaries and the retries.
    DOCUMENTATION = r"""
options:
  msp_dir:
    description: The identity's MSP directory (C(CORE_PEER_MSPCONFIGPATH)).
    type: path
    required: true
  orderer_tls_ca:
    description: The orderer organization's TLS CA certificate. Required when I(tls=true).
    type: path
  orderer_tls_hostname_override:
    description: Host name to verify the orderer's TLS certificate against instead of the address' host.
    type: str
  tls:
    description: Whether the Fabric endpoints use TLS.
    type: bool
    default: true
  fabric_bin_dir:
    description: Directory with the C(peer) and C(configtxlator) binaries.
    type: path
    default: /opt/hlf/fabric-2.5.16/bin
  fabric_cfg_path:
    description: Directory with the CLI's C(core.yaml) (C(FABRIC_CFG_PATH)).
    type: path
    default: /opt/hlf/fabric-2.5.16/config
  retries:
    description: How many more times a command is run after a transient error.
    type: int
    default: 5
  retry_delay:
    description: Seconds between two attempts.
    type: float
    default: 3.0
"""

    # The peer the CLI talks to.
    PEER = r"""
options:
  peer_tls_ca:
    description: The peer organization's TLS CA certificate. Required when I(tls=true).
    type: path
  peer_tls_hostname_override:
    description: Host name to verify the peer's TLS certificate against instead of the address' host.
    type: str
"""
