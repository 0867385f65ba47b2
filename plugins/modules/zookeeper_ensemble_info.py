#!/usr/bin/python
"""Read a ZooKeeper ensemble's state: each server's mode, the leader, synced followers."""

from __future__ import annotations

DOCUMENTATION = r"""
module: zookeeper_ensemble_info
short_description: Read the state of a ZooKeeper ensemble with four-letter words
description:
  - Asks every server C(srvr) for its mode and the leader C(mntr) for its synced followers.
  - Read-only; never changes anything, so it runs in check mode too.
  - The servers must whitelist C(srvr) and C(mntr) (C(4lw.commands.whitelist)).
options:
  servers:
    description: The ensemble's servers, as C(host) or C(host:port).
    type: list
    elements: str
    required: true
  port:
    description: Client port for servers given without one.
    type: int
    default: 2181
  timeout:
    description: Seconds to wait for each server's answer.
    type: float
    default: 3
author: hlf-ansible
"""

EXAMPLES = r"""
- name: Wait until the ensemble has one leader and all followers synced
  zookeeper_ensemble_info:
    servers: "{{ groups['zookeeper'] }}"
  register: ensemble
  until: ensemble.healthy
  retries: 60
  delay: 1
"""

RETURN = r"""
modes:
  description: Each server's mode (C(leader), C(follower), C(standalone)), null when not serving.
  returned: always
  type: dict
leader:
  description: The leader's name as given in I(servers), null when there is not exactly one.
  returned: always
  type: str
followers:
  description: Servers in follower mode.
  returned: always
  type: list
not_serving:
  description: Servers that did not answer or are outside the quorum.
  returned: always
  type: list
synced_followers:
  description: C(zk_synced_followers) from the leader's C(mntr), null without a leader.
  returned: always
  type: int
healthy:
  description: All servers serving, one leader, every follower synced (or one standalone server).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.zookeeper import ask, ensemble_state


def split_server(server, default_port):
    host, sep, port = server.rpartition(":")
    return (host, int(port)) if sep else (server, default_port)


def main():
    module = AnsibleModule(
        argument_spec={
            "servers": {"type": "list", "elements": "str", "required": True},
            "port": {"type": "int", "default": 2181},
            "timeout": {"type": "float", "default": 3},
        },
        supports_check_mode=True,
    )
    port, timeout = module.params["port"], module.params["timeout"]
    answers, errors = {}, {}
    for server in module.params["servers"]:
        try:
            answers[server] = ask(*split_server(server, port), "srvr", timeout)
        except OSError as exc:
            answers[server], errors[server] = None, str(exc)
    state = ensemble_state(answers)
    if state["leader"]:
        try:
            state = ensemble_state(answers, ask(*split_server(state["leader"], port), "mntr", timeout))
        except OSError as exc:
            errors[state["leader"]] = str(exc)
    module.exit_json(changed=False, errors=errors, **state)


if __name__ == "__main__":
    main()
