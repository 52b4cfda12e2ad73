"""A throwaway PostgreSQL server on 127.0.0.1, for the load test and the database fault tests.

The server is this process's own (its own data folder, port and log), so it can be stopped and
restarted without touching any other server, such as the one CI runs the test suite on.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or the server would not start."""


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (initdb, pg_ctl), or None."""
    found = sorted(
        (
            Path(path)
            for path in glob.glob("/usr/lib/postgresql/*/bin")
            if Path(path, "initdb").exists()
        ),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayPostgres:
    """start(), url, restart(), stop(). As root the server runs as the `postgres` system user,
    since PostgreSQL refuses to run as root."""

    def __init__(self, *, database: str = "pcref", fast: bool = True):
        self.bin = server_binaries()
        if self.bin is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
            )
        self.database = database
        self.fast = fast
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="pcref-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            try:
                record = pwd.getpwnam(self.user)
            except KeyError as error:
                raise PostgresUnavailable(
                    "running as root, and there is no postgres user"
                ) from error
            os.chown(self.folder, record.pw_uid, record.pw_gid)
        os.chmod(self.folder, 0o700)

    @property
    def url(self) -> str:
        return f"postgres://pcref:pcref@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bin / command[0]), *command[1:]]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        return subprocess.run(
            argv, cwd=self.folder, capture_output=True, text=True, check=check, timeout=120
        )

    def start(self) -> ThrowawayPostgres:
        if not self.data.exists():
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--no-locale",
                "--auth=trust",
            )
            (self.data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
            self._start()
            self._sql(
                "CREATE ROLE pcref WITH LOGIN SUPERUSER PASSWORD 'pcref'",
                f"CREATE DATABASE {self.database} OWNER pcref",
            )
        else:
            self._start()
        return self

    def _start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} -c max_connections=200"
        if self.fast:  # a throwaway server: durability is not what is measured
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
            check=False,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {self.log_tail()}")

    def _sql(self, *statements: str) -> None:
        argv = [
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]
        for statement in statements:
            argv += ["-c", statement]
        self._run("psql", *argv)

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(
                "pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False
            )

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop the server (ending every connection), wait, and start it again on the same port."""
        self.stop()
        time.sleep(down_seconds)
        self._start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.remove()
