"""A preview needs only read access to the state: on PostgreSQL, a role with SELECT on Pulumi's table previews the
stack (what a pull-request job should hold), and the same role cannot update it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.backends import PostgresServer, postgres_server
from tests.helpers.engine import EngineProject

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def test_a_select_only_role_previews_but_cannot_update(postgres: PostgresServer, tmp_path: Path) -> None:
    main = EngineProject(tmp_path / "main", backend_url=postgres.url)
    main.up()
    password = secrets.token_hex(16)
    postgres.psql(f"CREATE ROLE previewer LOGIN PASSWORD '{password}'")
    postgres.psql("GRANT SELECT ON pulumi_state TO previewer", user=postgres.role, database=postgres.role)

    preview_job = EngineProject(tmp_path / "preview", backend_url=postgres.url_for("previewer", password),
                                stack_config=main.stack_file.read_text())
    preview_job.stack.preview(expect_no_changes=True)

    refused = preview_job.cli("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert "permission denied" in refused.stdout + refused.stderr
    assert password not in refused.stdout + refused.stderr
    main.stack.preview(expect_no_changes=True)
