"""Throwaway Pulumi state backends for engine tests: a directory (file://), a PostgreSQL server (postgres://) and a
MinIO server (s3://), the servers on loopback ports below the ephemeral range, each in its own temporary directory,
run as an unprivileged user (``nobody`` when the tests run as root: initdb and postgres refuse root) and removed
afterwards.

The servers come from the project's toolchain scripts: ``toolchain/postgres.sh`` (Debian's postgresql, installed when
missing) and ``toolchain/minio.sh`` (MinIO built from its Go module, cached). Nothing here is mocked or skipped.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.cluster import Process, free_port
from tests.helpers.engine import toolchain_script
from tests.helpers.s3_client import S3Client, S3Error
from tests.helpers.server_process import RunAs

SERVER_READY_SECONDS = 60.0
"""How long PostgreSQL and MinIO get to start serving."""
SERVER_STOP_SECONDS = 15.0
"""How long they get to stop on their signal before SIGKILL."""

BACKEND_KINDS = ("file", "postgres", "s3")
LOCKS_PREFIX = ".pulumi/locks/"


@functools.cache
def postgres_bin() -> Path:
    """initdb, postgres, pg_isready and psql, from ``toolchain/postgres.sh``."""
    return Path(toolchain_script("postgres.sh"))


@functools.cache
def minio_bin() -> Path:
    """The MinIO server, from ``toolchain/minio.sh`` (a cached build, or a build from its Go module)."""
    return Path(toolchain_script("minio.sh"))


@dataclass(frozen=True)
class StateBackend:
    """Where a stack's state lives: the backend URL, the environment the CLI needs beside it, and a way to list
    the stack lock objects it holds (what a stale-lock recovery removes)."""

    kind: str
    url: str
    env: dict[str, str] = field(default_factory=dict)
    lock_keys: Callable[[], list[str]] = field(default=lambda: [], compare=False)
    start_seconds: float = 0.0


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server on 127.0.0.1:PORT, a login role and a database of the same name that the role owns."""

    port: int
    role: str
    password: str
    superuser_password: str
    directory: Path
    """Where its data, socket and log are; removed when the server stops."""
    pid: int

    @property
    def url(self) -> str:
        return self.url_for(self.role, self.password)

    def url_for(self, role: str, password: str) -> str:
        """The backend URL for another role on the same database."""
        return f"postgres://{role}:{password}@127.0.0.1:{self.port}/{self.role}?sslmode=disable"

    def psql(self, *sql: str, user: str = "postgres", database: str = "postgres") -> str:
        """Run statements through psql (TCP, password authentication); the unaligned, tuples-only result."""
        password = self.superuser_password if user == "postgres" else self.password
        argv = [str(postgres_bin() / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                "-p", str(self.port), "-U", user, "-d", database]
        for statement in sql:
            argv += ["-c", statement]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"})
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr[-2000:]}")
        return result.stdout

    def lock_keys(self) -> list[str]:
        """Keys of lock objects in Pulumi's table (``pulumi_state``: key, data, updated_at). Pulumi prefixes every
        key with the URL's path, the database name: ``pulumi/.pulumi/locks/...``."""
        rows = self.psql(f"SELECT key FROM pulumi_state WHERE key LIKE '{self.role}/{LOCKS_PREFIX}%' ORDER BY key",
                         user=self.role, database=self.role)
        return [row for row in rows.splitlines() if row]


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """initdb in a new temporary directory, postgres on a free loopback port (TCP only, password authentication),
    a ``pulumi`` role and database; stopped (fast shutdown) and removed on exit."""
    run_as = RunAs.unprivileged()
    directory = run_as.private_directory("kthw-postgres-")
    try:
        superuser_password = secrets.token_hex(16)
        password_file = directory / "superuser-password"
        run_as.write_private(password_file, superuser_password + "\n")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory), "LC_ALL": "C.UTF-8"}
        subprocess.run(
            [str(postgres_bin() / "initdb"), "--pgdata", str(directory / "data"), "--username", "postgres",
             f"--pwfile={password_file}", "--auth", "scram-sha-256", "--encoding", "UTF8", "--no-sync"],
            check=True, capture_output=True, timeout=120, env=env, cwd=directory, **run_as.popen_options(),  # type: ignore[call-overload]
        )
        port = free_port()
        process = Process(
            "postgres",
            [str(postgres_bin() / "postgres"), "-D", str(directory / "data"), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={directory}"],
            directory / "postgres.log", env=env, cwd=directory, popen_options=run_as.popen_options(),
            stop_signal=signal.SIGINT,  # SIGINT: fast shutdown
        )
        server = PostgresServer(port, "pulumi", secrets.token_hex(16), superuser_password, directory,
                                process.popen.pid)

        def accepts_connections() -> bool:
            ready = subprocess.run([str(postgres_bin() / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)],
                                   timeout=10, check=False)
            return ready.returncode == 0

        try:
            process.wait_ready(accepts_connections, SERVER_READY_SECONDS)
            server.psql(f"CREATE ROLE {server.role} LOGIN PASSWORD '{server.password}'",
                        f"CREATE DATABASE {server.role} OWNER {server.role}")
            yield server
        finally:
            process.stop(SERVER_STOP_SECONDS)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- MinIO ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinioServer:
    """A MinIO server on 127.0.0.1:PORT with its own root credentials and one bucket the harness made."""

    port: int
    access_key: str
    secret_key: str
    bucket: str
    directory: Path
    """Where its data, certificates directory and log are; removed when the server stops."""
    pid: int

    @property
    def url(self) -> str:
        return (f"s3://{self.bucket}?endpoint=127.0.0.1:{self.port}&disableSSL=true&s3ForcePathStyle=true"
                "&region=us-east-1")

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_REGION": "us-east-1", "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required"}

    @property
    def client(self) -> S3Client:
        return S3Client(self.port, self.access_key, self.secret_key)

    def lock_keys(self) -> list[str]:
        return self.client.keys(self.bucket, LOCKS_PREFIX)


@contextlib.contextmanager
def minio_server(bucket: str = "kthw-state") -> Iterator[MinioServer]:
    """``minio server`` on a free loopback port with random root credentials, its data in a new temporary directory;
    the bucket is made through the S3 API. Stopped and removed on exit."""
    run_as = RunAs.unprivileged()
    directory = run_as.private_directory("kthw-minio-")
    try:
        for name in ("data", "certs"):
            (directory / name).mkdir()
            run_as.own(directory / name)
        program = run_as.reachable_copy(minio_bin() / "minio", directory)
        port = free_port()
        access_key, secret_key = "kthw-" + secrets.token_hex(6), secrets.token_hex(20)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory),
            "MINIO_ROOT_USER": access_key, "MINIO_ROOT_PASSWORD": secret_key,
            "MINIO_BROWSER": "off", "MINIO_UPDATE": "off",
        }
        process = Process(
            "minio",
            [str(program), "server", str(directory / "data"), "--quiet", "--address",
             f"127.0.0.1:{port}", "--certs-dir", str(directory / "certs")],
            directory / "minio.log", env=env, cwd=directory, popen_options=run_as.popen_options(),
        )
        server = MinioServer(port, access_key, secret_key, bucket, directory, process.popen.pid)

        def serves_s3() -> bool:
            with contextlib.suppress(S3Error):
                server.client.buckets()
                return True
            return False

        try:
            process.wait_ready(serves_s3, SERVER_READY_SECONDS)
            server.client.create_bucket(bucket)
            yield server
        finally:
            process.stop(SERVER_STOP_SECONDS)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- any backend ---------------------------------------------------------------------------------------------------


def file_lock_keys(state: Path) -> Callable[[], list[str]]:
    def keys() -> list[str]:
        return sorted(str(path.relative_to(state)) for path in (state / LOCKS_PREFIX).rglob("*.json"))

    return keys


@contextlib.contextmanager
def state_backend(kind: str, directory: Path) -> Iterator[StateBackend]:
    """A fresh, empty backend of ``kind`` (one of BACKEND_KINDS); servers stop when the context ends. Its
    ``start_seconds`` is how long the server took to start and answer (the toolchain is found first)."""
    if kind == "file":
        state = directory / "state"
        state.mkdir(parents=True)
        yield StateBackend(kind, f"file://{state}", lock_keys=file_lock_keys(state))
    elif kind == "postgres":
        postgres_bin()
        started = time.monotonic()
        with postgres_server() as postgres:
            yield StateBackend(kind, postgres.url, lock_keys=postgres.lock_keys,
                               start_seconds=time.monotonic() - started)
    elif kind == "s3":
        minio_bin()
        started = time.monotonic()
        with minio_server() as minio:
            yield StateBackend(kind, minio.url, env=minio.env, lock_keys=minio.lock_keys,
                               start_seconds=time.monotonic() - started)
    else:
        raise ValueError(f"unknown backend kind {kind!r}; expected one of {', '.join(BACKEND_KINDS)}")
