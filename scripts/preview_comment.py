"""The pull-request comment for a `pulumi preview --diff`: a short summary first, then as much of the diff as fits,
its cut marked plainly. The whole diff is the workflow run's artifact (.github/workflows/preview.yml).

    .venv/bin/python scripts/preview_comment.py preview.txt --status 0 --stack dev --artifact NAME > preview.md

The summary: the program's own line about the nodes (components/network/node_changes.py: added, removed, moved, or
counts only when the node list is secret config), the outputs the preview changes (the top-level keys of its
outputs section), the lines the text tables of the outputs gain and lose (``- worker-2500 ...``: the CLI prints an
object output's unchanged keys too, which put them a screen down), the resource counts, and any warning or error
lines. It reads only what the preview printed,
which shows secrets as [secret]. GitHub refuses a comment over 65,536 characters, and a diff cut without a word
hides what comes after it (a removed node can be hundreds of kilobytes down): the comment stays under LIMIT bytes,
says where it stops, and its summary is read from the whole diff.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.network.node_changes import SUMMARY_PREFIX

LIMIT = 60_000
"""Bytes of the whole comment (GitHub's limit is 65,536 characters; a character is at least a byte)."""
SHOWN_TABLE_LINES = 12
"""Changed lines of the outputs' text tables quoted in the summary; past that, a count."""
SHOWN_DIAGNOSTICS = 5
"""Warning and error lines quoted in the summary; past that, a count."""
DIAGNOSTIC_CHARACTERS = 400
"""A quoted warning or error line is cut at this length."""

OUTPUTS_HEADER = re.compile(r"^\s*--outputs:--$")
TOP_LEVEL_OUTPUT = re.compile(r"^(?:  ([-+~]) |    )([A-Za-z_][A-Za-z0-9_]*)\s*:")
"""An output's own line in the stack's outputs section: its change mark (none when the stack is created), its name."""
RESOURCE_LINE = re.compile(r"^\s*(?:[-+~]+|\+-|-\+)?\s*[\w/.-]+:[\w/.-]*:[\w/.-]+: \(")
"""A resource's header line (``  ~ tls:index/privateKey:PrivateKey: (update)``): the outputs section has ended."""
DIAGNOSTIC = re.compile(r"^\s*(warning|error): ")
TABLE_LINE_CHANGE = re.compile(r"^\s+([-+]) ([^\s:\[\]]+(?: [^\s]+)+)$")
"""A line a text table gains or loses (``- worker-2500 172.16.9.197 10.137.196.0/24``): fields separated by blanks,
the first without a colon, so no ``key: value`` or ``[0]: value`` line of an object or list diff."""
CHANGE_WORDS = {"~": "changed", "+": "added", "-": "removed", None: "new"}


@dataclass
class Summary:
    """What the comment's first lines say."""

    nodes: str | None = None
    """The program's line about the nodes, without its prefix; None when it printed none (it did not run)."""
    outputs: dict[str, list[str]] = field(default_factory=dict)
    """changed / added / removed / new -> output names, in the preview's order."""
    resources: list[str] = field(default_factory=list)
    """The lines under ``Resources:`` (``~ 1 to update``, ``10 unchanged``)."""
    diagnostics: list[str] = field(default_factory=list)
    """Warning and error lines."""
    table_lines: list[str] = field(default_factory=list)
    """The lines the outputs' text tables gain (``+ ...``) or lose (``- ...``), in the preview's order."""


def summarize(preview: str) -> Summary:
    """Read the summary out of `pulumi preview --diff` text (stdout and stderr together)."""
    summary = Summary()
    in_outputs = in_resources = False
    for line in preview.splitlines():
        if summary.nodes is None and SUMMARY_PREFIX in line:
            summary.nodes = line.split(SUMMARY_PREFIX, 1)[1].strip()
            continue
        if DIAGNOSTIC.match(line):
            summary.diagnostics.append(line.strip())
            continue
        if OUTPUTS_HEADER.match(line):
            in_outputs = True
            continue
        if line == "Resources:":
            in_outputs, in_resources = False, True
            continue
        if in_resources:
            if line.startswith(" ") and line.strip():
                summary.resources.append(line.strip())
                continue
            in_resources = False
        if in_outputs:
            if not line.startswith(" ") or RESOURCE_LINE.match(line):
                in_outputs = False
                continue
            output = TOP_LEVEL_OUTPUT.match(line)
            if output:
                summary.outputs.setdefault(CHANGE_WORDS[output.group(1)], []).append(output.group(2))
            elif table_line := TABLE_LINE_CHANGE.match(line):
                summary.table_lines.append(f"{table_line.group(1)} {table_line.group(2)}")
    return summary


def summary_lines(summary: Summary, status: int) -> list[str]:
    """The summary as a Markdown list."""
    lines = []
    if status != 0:
        lines.append(f"- **The preview failed** (exit status {status}): see the errors below and in the job log.")
    lines.append(f"- **Nodes:** {summary.nodes}" if summary.nodes is not None else
                 "- **Nodes:** not reported (the program stopped before planning)")
    if summary.outputs:
        lines.append("- **Outputs:** " + "; ".join(
            ", ".join(f"`{name}`" for name in names) + f" {word}" for word, names in summary.outputs.items()))
    else:
        lines.append("- **Outputs:** no change")
    if summary.table_lines:
        table = summary.table_lines[:SHOWN_TABLE_LINES]
        first = f", the first {len(table)}" if len(table) < len(summary.table_lines) else ""
        fence = fence_for("\n".join(table))
        lines += [f"- **Table lines:** {len(summary.table_lines)} changed{first}:", "", f"{fence}diff", *table, fence,
                  ""]
    if summary.resources:
        lines.append("- **Resources:** " + ", ".join(summary.resources))
    shown = summary.diagnostics[:SHOWN_DIAGNOSTICS]
    for diagnostic in shown:
        cut = diagnostic if len(diagnostic) <= DIAGNOSTIC_CHARACTERS else diagnostic[:DIAGNOSTIC_CHARACTERS] + " ..."
        quoted = cut.replace("`", "'")
        lines.append(f"- `{quoted}`")
    if len(summary.diagnostics) > len(shown):
        lines.append(f"- and {len(summary.diagnostics) - len(shown)} more warning or error lines in the diff")
    return lines


@dataclass
class Excerpt:
    """The first whole lines of a text that fit a budget of bytes."""

    text: str
    lines: int
    """Lines kept."""
    total_lines: int
    total_bytes: int

    @property
    def cut(self) -> bool:
        return self.lines < self.total_lines


def excerpt(text: str, budget: int) -> Excerpt:
    """The longest run of whole lines from the start of ``text`` whose UTF-8 size is within ``budget``."""
    lines = text.splitlines(keepends=True)
    size = kept = 0
    for line in lines:
        size += len(line.encode())
        if size > budget:
            break
        kept += 1
    return Excerpt("".join(lines[:kept]), kept, len(lines), len(text.encode()))


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``, so that the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def comment(preview: str, *, status: int, stack: str, artifact: str, run_url: str | None,
            limit: int = LIMIT) -> str:
    """The whole comment: title, summary, where the whole diff is, and the diff itself, cut to fit ``limit``."""
    where = f"the artifact `{artifact}` of [this workflow run]({run_url})" if run_url else \
        f"the artifact `{artifact}` of this workflow run"
    head = "\n".join([f"### `pulumi preview --diff` of the {stack} stack", "",
                      *summary_lines(summarize(preview), status), ""])
    total_lines, total_bytes = len(preview.splitlines()), len(preview.encode())
    # What the cut adds, at its longest: a note above the diff and a marker where it stops.
    cut_note = (f"**The diff below is cut** after line {total_lines:,} of {total_lines:,} ({total_bytes:,} of "
                f"{total_bytes:,} bytes): the whole diff is {where}.")
    marker = f"[... cut here: {total_lines:,} more lines ({total_bytes:,} bytes) are only in the artifact {artifact}]"
    fence = fence_for(preview)
    budget = limit - len(head.encode()) - len(cut_note.encode()) - len(marker.encode()) - 2 * len(fence) - 16
    shown = excerpt(preview, max(budget, 0))
    if shown.cut:
        note = (f"**The diff below is cut** after line {shown.lines:,} of {shown.total_lines:,} "
                f"({len(shown.text.encode()):,} of {shown.total_bytes:,} bytes): the whole diff is {where}.")
        body = shown.text + (
            f"[... cut here: {shown.total_lines - shown.lines:,} more lines "
            f"({shown.total_bytes - len(shown.text.encode()):,} bytes) are only in the artifact {artifact}]\n")
    else:
        note = f"The whole diff, {shown.total_lines:,} lines, is below and in {where}."
        body = shown.text if shown.text.endswith("\n") or not shown.text else shown.text + "\n"
    return f"{head}\n{note}\n\n{fence}text\n{body}{fence}\n"


def run_url(environment: dict[str, str]) -> str | None:
    """The workflow run's page, from the variables every GitHub Actions step has; None elsewhere."""
    parts = [environment.get(name, "") for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("preview", type=Path, help="the output of `pulumi preview --diff` (stdout and stderr)")
    parser.add_argument("--status", type=int, required=True, help="its exit status")
    parser.add_argument("--stack", required=True, help="the stack previewed")
    parser.add_argument("--artifact", required=True, help="the name of the artifact that holds the whole diff")
    args = parser.parse_args()
    preview = args.preview.read_text(encoding="utf-8", errors="replace") if args.preview.exists() else ""
    sys.stdout.write(comment(preview, status=args.status, stack=args.stack, artifact=args.artifact,
                             run_url=run_url(dict(os.environ))))


if __name__ == "__main__":
    main()
