"""Options the Fabric chaincode lifecycle modules share through plugins/module_utils/fabric_lifecycle.py."""


class ModuleDocFragment:
    # The chaincode definition (fabric_chaincode_approve, fabric_chaincode_commit).
    DOCUMENTATION = r"""
options:
  channel:
    description: The channel the chaincode is defined on.
    type: str
    required: true
  name:
    description: The chaincode name (C(-n)).
    type: str
    required: true
  version:
    description: The chaincode version of the definition (C(-v)); any string.
    type: str
    required: true
  sequence:
    description:
      - The sequence of the definition, C(auto) or an integer of 1 or more (also as a string).
      - C(auto) is the sequence committed on the channel (C(peer lifecycle chaincode querycommitted)) when the
        committed definition equals this one in every field Fabric compares (version, endorsement
        policy, I(init_required), collections, endorsement and validation plugin), otherwise the committed
        sequence + 1; 1 for a chaincode never committed. An unchanged definition thus keeps its
        sequence, and any change takes the next one.
      - The package ID is not part of a committed definition (each organization approves its own), so
        a new package with an otherwise unchanged definition stays at the committed sequence. Change
        the version with the package (as its label normally does) to roll it out with a commit.
      - An integer is used as given. It must be the committed sequence with an equal definition or
        the next sequence (Fabric refuses any other); else the task fails before any change.
    type: raw
    default: auto
  signature_policy:
    description:
      - The endorsement policy as a signature policy (C(--signature-policy)), e.g.
        C(OR('Org1MSP.member', 'Org2MSP.member')); gates C(AND), C(OR), C(OutOf(n, ...)), principals
        C('MSPID.role') with role C(member), C(admin), C(client), C(peer) or C(orderer).
      - Compiled as Fabric compiles it, and compared with the bytes a peer reports, so C(AND('A.member')) and
        C(OR('A.member')) are the same policy while C(OR('A.member', 'B.member')) and
        C(OR('B.member', 'A.member')) are not (to Fabric they differ).
      - Mutually exclusive with I(channel_config_policy). With neither, the definition takes the
        channel's default, C(/Channel/Application/Endorsement) (as the CLI does).
    type: str
  channel_config_policy:
    description:
      - The endorsement policy as a reference to a channel policy (C(--channel-config-policy)), e.g.
        C(/Channel/Application/Endorsement). Mutually exclusive with I(signature_policy).
    type: str
  init_required:
    description: Whether the chaincode's Init must be invoked before any other transaction (C(--init-required)).
    type: bool
    default: false
  collections_config:
    description:
      - A private data collections config file on the target host, in the format of the CLI's
        C(--collections-config) (a JSON array of C(name), C(policy), C(requiredPeerCount),
        C(maxPeerCount), C(blockToLive), C(memberOnlyRead), C(memberOnlyWrite), C(endorsementPolicy)).
      - Read by the module too, to compare it with the definition on the channel (with the CLI's
        defaults for what it leaves out). In check mode a file that is not there yet (made by an
        earlier task of the same check run) counts as a change.
      - Mutually exclusive with I(collections).
    type: path
  collections:
    description:
      - The collections inline, each as in a collections config file (C(name), C(policy), ...); the
        module writes the file the CLI reads. Mutually exclusive with I(collections_config).
      - Neither means no collections.
    type: list
    elements: dict
"""

    # The shared CLI options without the orderer's (fabric_chaincode_install talks to a peer only).
    # The same text as fabric_cli.DOCUMENTATION; tests/unit/test_fabric_lifecycle.py checks that.
    PEER_ONLY = r"""
options:
  msp_dir:
    description: The identity's MSP directory (C(CORE_PEER_MSPCONFIGPATH)).
    type: path
    required: true
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
