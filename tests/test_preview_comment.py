"""The pull-request comment (scripts/preview_comment.py), on `pulumi preview --diff` text as the CLI 3.274.1 prints
it (pkg/backend/display: diff.go, object_diff.go); tests/test_pr_workflow.py runs it on the real CLI's output."""

from __future__ import annotations

import pytest

from scripts.preview_comment import LIMIT, comment, excerpt, fence_for, run_url, summarize

REMOVAL = """\
Previewing update (dev):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:dev::kthw::pulumi:pulumi:Stack::kthw-dev]
kthw nodes: 4999 planned, 5000 deployed: 1 removed (worker-2500)
    --outputs:--
  ~ network                 : {
        clusterDnsIp       : "192.168.0.10"
      ~ nodeCount          : 5000 => 4999
      ~ nodeTable          :\x20
            ...
            worker-250 172.16.0.251 10.128.250.0/24
          - worker-2500 172.16.9.197 10.137.196.0/24
            worker-2501 172.16.9.198 10.137.197.0/24
            ...
    }
  + newOutput               : "x"
  - oldOutput               : "y"
Resources:
    10 unchanged
"""

CREATE = """\
Previewing update (dev):
+ pulumi:pulumi:Stack: (create)
    [urn=urn:pulumi:dev::kthw::pulumi:pulumi:Stack::kthw-dev]
    + kthw:index:AdminCredentials: (create)
        [urn=urn:pulumi:dev::kthw::kthw:index:AdminCredentials::admin]
        + tls:index/privateKey:PrivateKey: (create)
            algorithm: "RSA"
    --outputs:--
    adminKeyPem             : [secret]
    network                 : {
        clusterCidrs       : [
            [0]: "10.200.0.0/16"
        ]
    }
Resources:
    + 10 to create
"""

FAILED = """\
Previewing update (dev):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:dev::kthw::pulumi:pulumi:Stack::kthw-dev]
error: Program failed with an unhandled exception:
error: invalid config kthw:nodes[2].address: '172.31.104.300' has an IPv4 octet with a leading zero or above 255
Resources:

"""


def test_the_summary_names_the_node_changes_outputs_and_resource_counts() -> None:
    summary = summarize(REMOVAL)
    assert summary.nodes == "4999 planned, 5000 deployed: 1 removed (worker-2500)"
    # Only the stack's own outputs: the keys inside network (nodeCount, nodeTable) are not outputs.
    assert summary.outputs == {"changed": ["network"], "added": ["newOutput"], "removed": ["oldOutput"]}
    assert summary.resources == ["10 unchanged"]
    assert summary.diagnostics == []
    assert summary.table_lines == ["- worker-2500 172.16.9.197 10.137.196.0/24"]


def test_a_new_stack_s_outputs_are_new_and_resource_properties_are_not_outputs() -> None:
    summary = summarize(CREATE)
    assert summary.outputs == {"new": ["adminKeyPem", "network"]}
    assert summary.resources == ["+ 10 to create"]


def test_a_resource_after_the_outputs_ends_them() -> None:
    # A deletion is planned after the program ends, so it prints after the stack's outputs.
    text = REMOVAL.replace("Resources:", "    - tls:index/privateKey:PrivateKey: (delete)\n"
                                         "        algorithm: \"RSA\"\nResources:")
    assert summarize(text).outputs == {"changed": ["network"], "added": ["newOutput"], "removed": ["oldOutput"]}


def test_a_failed_preview_says_so_first_and_quotes_its_errors() -> None:
    text = comment(FAILED, status=255, stack="dev", artifact="diff", run_url=None)
    assert text.splitlines()[2:7] == [
        "- **The preview failed** (exit status 255): see the errors below and in the job log.",
        "- **Nodes:** not reported (the program stopped before planning)",
        "- **Outputs:** no change",
        "- `error: Program failed with an unhandled exception:`",
        "- `error: invalid config kthw:nodes[2].address: '172.31.104.300' has an IPv4 octet with a leading zero or "
        "above 255`",
    ]


def test_a_diff_that_fits_is_whole_and_says_where_the_artifact_is() -> None:
    text = comment(REMOVAL, status=0, stack="dev", artifact="pulumi-preview-diff",
                   run_url="https://github.com/o/r/actions/runs/7")
    assert text == (
        "### `pulumi preview --diff` of the dev stack\n\n"
        "- **Nodes:** 4999 planned, 5000 deployed: 1 removed (worker-2500)\n"
        "- **Outputs:** `network` changed; `newOutput` added; `oldOutput` removed\n"
        "- **Table lines:** 1 changed:\n\n```diff\n- worker-2500 172.16.9.197 10.137.196.0/24\n```\n\n"
        "- **Resources:** 10 unchanged\n\n"
        "The whole diff, 19 lines, is below and in the artifact `pulumi-preview-diff` of [this workflow run]"
        "(https://github.com/o/r/actions/runs/7).\n\n"
        f"```text\n{REMOVAL}```\n")


def test_a_long_diff_is_cut_at_a_line_with_a_marker_and_the_comment_stays_under_the_limit() -> None:
    lines = [f"          + worker-{index} 172.20.{index // 250}.{index % 250 + 1} 10.128.{index}.0/24\n"
             for index in range(20000)]
    preview = REMOVAL.replace("Resources:", "".join(lines) + "Resources:")
    text = comment(preview, status=0, stack="dev", artifact="pulumi-preview-diff", run_url=None)
    assert len(text.encode()) <= LIMIT
    shown = text.split("```text\n", 1)[1].rsplit("[... cut here", 1)[0]
    assert preview.startswith(shown) and shown.endswith("\n")
    total, shown_lines = len(preview.splitlines()), len(shown.splitlines())
    assert (f"**The diff below is cut** after line {shown_lines:,} of {total:,} ({len(shown.encode()):,} of "
            f"{len(preview.encode()):,} bytes): the whole diff is the artifact `pulumi-preview-diff` of this "
            "workflow run.") in text
    assert text.endswith(f"[... cut here: {total - shown_lines:,} more lines "
                         f"({len(preview.encode()) - len(shown.encode()):,} bytes) are only in the artifact "
                         "pulumi-preview-diff]\n```\n")
    assert LIMIT - len(text.encode()) < 200  # the room is used


def test_the_cut_counts_bytes_and_keeps_whole_lines() -> None:
    text = "é\n" * 10  # three bytes a line
    assert excerpt(text, 10).text == "é\n" * 3
    assert excerpt(text, 9).lines == 3 and not excerpt(text, 30).cut


@pytest.mark.parametrize(("text", "fence"), [("plain", "```"), ("a ``` b", "````"), ("`````", "``````")])
def test_the_fence_is_longer_than_any_backticks_in_the_diff(text: str, fence: str) -> None:
    assert fence_for(text) == fence


def test_the_run_link_comes_from_the_variables_of_every_actions_step() -> None:
    assert run_url({"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "9"}) \
        == "https://github.com/o/r/actions/runs/9"
    assert run_url({}) is None


def test_table_lines_are_quoted_up_to_a_dozen_and_object_or_list_changes_are_not() -> None:
    removed = "\n".join(f"          - worker-{index} 10.0.0.{index} 10.200.{index}.0/24" for index in range(20))
    object_and_list_changes = ('      - serviceCidrs: [\n          - [0]: "10.32.0.0/24"\n        ]\n'
                               '      + dns: "coredns"\n')
    preview = REMOVAL.replace("          - worker-2500 172.16.9.197 10.137.196.0/24", removed).replace(
        "    }\n", object_and_list_changes + "    }\n")
    summary = summarize(preview)
    assert len(summary.table_lines) == 20 and all(line.startswith("- worker-") for line in summary.table_lines)
    text = comment(preview, status=0, stack="dev", artifact="a", run_url=None)
    assert "- **Table lines:** 20 changed, the first 12:" in text
    head = text.split("The whole diff")[0]
    assert "worker-11 " in head and "worker-12 " not in head
