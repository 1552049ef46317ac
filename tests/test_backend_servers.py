"""The harness's throwaway servers: they run as an unprivileged user, listen on loopback only, refuse wrong
credentials, and leave nothing behind."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.helpers.backends import minio_server, postgres_server
from tests.helpers.s3_client import S3Client, S3Error
from tests.helpers.server_process import RunAs

pytestmark = pytest.mark.engine  # the servers exist for the engine tests; a fresh machine builds MinIO first
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc/net/tcp* spell them


def process_uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("Uid:")]
    return int(line.split()[1])  # the real uid


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_postgres_runs_unprivileged_on_loopback_and_is_removed_afterwards() -> None:
    with postgres_server() as postgres:
        assert process_uid(postgres.pid) == RunAs.unprivileged().uid
        if os.geteuid() == 0:
            assert process_uid(postgres.pid) != 0
        assert listening_addresses(postgres.port) == {"0100007F"}  # 127.0.0.1 only
        assert postgres.psql("SELECT current_user", user=postgres.role, database=postgres.role).strip() == "pulumi"
        with pytest.raises(RuntimeError, match="password authentication failed"):
            type(postgres)(**{**postgres.__dict__, "password": "wrong"}).psql(
                "SELECT 1", user=postgres.role, database=postgres.role)
        directory = postgres.directory
    assert not directory.exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", postgres.port)) != 0


def test_minio_runs_unprivileged_on_loopback_with_its_own_credentials_and_is_removed_afterwards() -> None:
    with minio_server("made-by-harness") as minio:
        assert process_uid(minio.pid) == RunAs.unprivileged().uid
        assert "0100007F" in listening_addresses(minio.port) <= LOOPBACK
        assert minio.client.buckets() == ["made-by-harness"]
        with pytest.raises(S3Error, match="403"):
            S3Client(minio.port, "minioadmin", "minioadmin").buckets()  # MinIO's default credentials
        directory = minio.directory
    assert not directory.exists()
