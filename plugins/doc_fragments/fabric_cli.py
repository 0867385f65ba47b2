"""Options the Fabric channel modules share through plugins/module_utils/fabric_cli.py."""


class ModuleDocFragment:
    # The identity's MSP directory, the orderer's TLS settings, the binaries, the retries and the command bound.
    DOCUMENTATION = r"""
options:
  msp_dir:
    description: The identity's MSP directory (C(CORE_PEER_MSPCONFIGPATH)).
    type: path
    required: true
  orderer_tls_ca:
    description:
      - The orderer organization's TLS CA certificate. Required when I(tls=true) and the orderer is used.
      - Refused with I(tls=false) or without I(orderer_address) (nothing would use it).
    type: path
  orderer_tls_hostname_override:
    description:
      - Host name to verify the orderer's TLS certificate against instead of the address' host.
      - Refused with I(tls=false) or without I(orderer_address) (nothing would use it).
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
    description:
      - How many more times a command is run after a transient error (C(SERVICE_UNAVAILABLE), a
        connection failure, a command killed by I(command_timeout)), judged by the command's final
        error only. 0 or more.
    type: int
    default: 5
  retry_delay:
    description: Seconds between two attempts (0 or more).
    type: float
    default: 3.0
  command_timeout:
    description:
      - Wall-clock bound, in seconds, of each CLI command (each attempt). A command still running then
        is stopped (SIGTERM, SIGKILL 5 s later) and fails with an error naming the command and the
        bound; for the C(peer) commands that counts as a transient error.
      - The CLI's deliver waits for a block without any deadline of its own, so this is what bounds a
        fetch. Inside a module's wait loop a command gets at most the time left. Greater than 0.
    type: int
    default: 60
"""

    # The peer the CLI talks to.
    PEER = r"""
options:
  peer_tls_ca:
    description:
      - The peer organization's TLS CA certificate. Required when I(tls=true) and the peer is used.
      - Refused with I(tls=false) or without I(peer_address) (nothing would use it).
    type: path
  peer_tls_hostname_override:
    description:
      - Host name to verify the peer's TLS certificate against instead of the address' host.
      - Refused with I(tls=false) or without I(peer_address) (nothing would use it).
    type: str
"""
