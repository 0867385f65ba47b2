"""Molecule scenarios on local systemd container hosts, run as part of the test suite.

Each scenario's whole output goes to $HLF_CACHE/logs/molecule-<scenario>.log; a failure shows its
tail. Checks that need Fabric are reported as their own tests, skipped loudly when Fabric is
not provided, so a skip is never counted as a pass.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess

import pytest
from hlf_env import CACHE, ROOT, fabric_missing_reason

pytestmark = pytest.mark.molecule

# The default scenario took 43.5 min on 2 cores (converge, idempotence, six side effects, verify).
SCENARIO_TIMEOUT = 60 * 60


@functools.cache
def run_scenario(name):
    logs = CACHE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"molecule-{name}.log"
    # Wide columns: Molecule wraps its output at the terminal width, which would split test names.
    env = dict(os.environ, HLF_FABRIC_AVAILABLE="no" if fabric_missing_reason() else "yes", NO_COLOR="1", COLUMNS="1000")
    with log.open("w") as handle:
        result = subprocess.run(
            ["molecule", "test", "-s", name], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=SCENARIO_TIMEOUT, check=False
        )
    return result.returncode, log.read_text()


def passed_checks(output):
    """Names of the testinfra checks the scenario's verify step reported as PASSED."""
    return set(re.findall(r"::(test_\w+(?:\[[^\]]*\])?) PASSED", output))


def assert_scenario_passed(name):
    returncode, output = run_scenario(name)
    tail = "\n".join(output.splitlines()[-150:])
    assert returncode == 0, f"molecule test -s {name} failed (log: {CACHE}/logs/molecule-{name}.log):\n{tail}"
    # Molecule's idempotence step fails on any changed task in a second converge.
    assert re.search(rf"{name}\W+idempotence\W+Executed: Successful", output), "the idempotence step did not pass"
    return output


def test_smoke_scenario():
    output = assert_scenario_passed("smoke")
    checks = passed_checks(output)
    assert any(check.startswith("test_zookeeper_answers_ruok") for check in checks), checks
    assert any(check.startswith("test_broker_registers_in_zookeeper") for check in checks), checks


def test_smoke_fabric_binaries_report_2_5_16():
    reason = fabric_missing_reason()
    if reason:
        pytest.skip("FABRIC NOT PROVIDED, peer/orderer version on a host NOT CHECKED: " + " ".join(reason.split()))
    checks = passed_checks(assert_scenario_passed("smoke"))
    for binary in ("peer", "orderer"):
        assert any(check.startswith("test_fabric_reports_pinned_version") and binary in check for check in checks), checks


def test_kafka_scenario():
    output = assert_scenario_passed("kafka")
    checks = passed_checks(output)
    for check in (
        "test_ensemble_has_one_leader_and_two_followers",
        "test_every_broker_is_registered",
        "test_min_isr_is_enforced_and_no_acknowledged_message_is_lost",
        "test_data_survives_service_restarts",
        "test_data_survives_host_restarts",
        "test_configuration_change_restarted_one_node_at_a_time",
    ):
        assert any(name.startswith(check) for name in checks), f"{check} did not pass: {sorted(checks)}"


def test_default_scenario_reference_network():
    reason = fabric_missing_reason()
    if reason:
        pytest.skip("FABRIC NOT PROVIDED, the reference network (orderers, peers, admin host) NOT DEPLOYED: " + " ".join(reason.split()))
    checks = passed_checks(assert_scenario_passed("default"))
    for check in (
        "test_orderer_serves_system_channel_over_tls",
        "test_peer_is_healthy_and_answers_its_admin",
        "test_private_keys_belong_to_the_node_only",
        "test_admin_keys_are_only_on_the_admin_host",
        "test_ledgers_survive_service_restarts",
        "test_ledgers_survive_host_restarts",
        "test_anchor_peers_in_the_config_block_are_the_desired_ones",
        "test_org1_peer_sees_org2_peers_through_gossip",
        # side effects: channel modules in check/diff/real runs, restarts under transaction load, a failing gate
        "test_site_check_run_predicts_the_new_channel_its_joins_and_anchors_and_leaves_it_absent",
        "test_real_run_creates_the_new_channel_and_joins_its_members",
        "test_anchor_check_shows_old_and_new_lists_and_changes_no_ledger",
        "test_anchor_real_run_changes_exactly_those_anchors_once",
        "test_rolling_restart_order_follows_the_rules_by_the_services_own_records",
        "test_check_mode_prints_the_same_order_and_restarts_nothing",
        "test_load_offered_real_transactions_on_two_channels_throughout_every_tier",
        "test_every_submission_was_acknowledged_within_its_retries",
        "test_every_acknowledged_transaction_is_in_the_ledger_of_every_peer_of_its_channel",
        "test_state_read_back_equals_the_acknowledged_writes",
        "test_every_node_has_the_same_height_and_newest_block_per_channel",
        "test_no_height_went_down_across_the_rolling_restart",
        "test_stop_start_keeps_every_ledger_and_needs_no_channel_operation",
        "test_gate_failure_names_the_node_and_the_gate_and_restarts_nothing",
        # chaincode as a service: transactions through the gateway, its servers, a stop and start
        "test_chaincode_answers_transactions_through_the_gateway",
        "test_chaincode_server_runs_as_its_own_user_with_its_own_tls_and_asks_for_client_certificates",
        "test_chaincode_comes_back_after_stop_start_without_any_lifecycle_operation_and_keeps_its_state",
        # the chaincode's life: a killed server, an upgrade under load, an approval missing
        "test_killed_chaincode_server_is_started_again_by_systemd_and_answers_through_its_peer",
        "test_upgrade_check_predicts_exactly_what_the_real_run_then_does_and_changes_nothing",
        "test_upgrade_commits_sequence_2_on_both_channels_and_a_rerun_changes_nothing",
        "test_every_submission_during_the_upgrade_was_acknowledged",
        "test_upgrade_retired_the_old_server_only_after_its_commit",
        "test_commit_without_an_approval_is_refused_naming_the_organization",
    ):
        assert any(name.startswith(check) for name in checks), f"{check} did not pass: {sorted(checks)}"
