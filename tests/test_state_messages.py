"""The whole messages about the stack's state: an output that cannot be read (the program stops), a config that
contradicts the state while verify will ask the cluster (the preview warns), and node names from the state."""

from __future__ import annotations

import pulumi
import pytest

from components.config.errors import ConfigError
from components.network.decision import state_refusal_warning
from components.network.last_deployment import LastDeploymentError, read_last_deployment
from tests.helpers.mock_program import DEV_CONFIG, run_program


def test_the_program_stops_on_an_unreadable_last_network_output_and_says_how_to_repair_it() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program(DEV_CONFIG, last_outputs={"network": {"nodes": "garbage"}})
    assert str(caught.value) == (
        "kthw: the stack's previous network output cannot be read (clusterCidrs is not a list). It records every "
        "node's pod CIDR, and planning without it could move nodes, which Kubernetes does not allow. Restore a "
        "readable state (`pulumi stack export`, repair outputs.network, `pulumi stack import`, or import an earlier "
        "checkpoint from `pulumi stack history`), then run again")


@pytest.mark.parametrize(("name", "shown"), [("w" * 64, "w" * 64), ("w" * 65, "<a 65-character name>"),
                                             ("a\nb", "<a 3-character name>")])
def test_a_node_name_from_the_state_is_shown_whole_only_when_short_and_printable(name: str, shown: str) -> None:
    with pytest.raises(LastDeploymentError) as caught:
        read_last_deployment({"clusterCidrs": ["10.200.0.0/16"], "nodeCidrMaskSizes": [24], "nodes": {name: {}}})
    assert caught.value.detail == f"nodes.{shown}.podCidrs is not a list"


def test_the_preview_warning_names_each_contradicted_key_once() -> None:
    refusals = [ConfigError("network.clusterCidr", "x"), ConfigError("nodes[0].podCidr", "y"),
                ConfigError("network.clusterCidr", "z")]
    assert state_refusal_warning(refusals) == (
        "the config contradicts the pod CIDRs the stack's state records (network.clusterCidr, nodes[0].podCidr); "
        "with verify, `pulumi up` reads the cluster's nodes and keeps what they carry, and refuses the config only "
        "where the cluster does not settle it. This preview shows the plan made without the state")
