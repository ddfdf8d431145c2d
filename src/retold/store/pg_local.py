"""A throw-away PostgreSQL server for tests and benchmarks, from the Debian binaries
(``/usr/lib/postgresql/*/bin``, package ``postgresql``): a temporary data folder, listening
only on 127.0.0.1 on a free port, password authentication, durability off (``fsync``) since
the data is thrown away. As root it runs the server as the ``postgres`` user.

    server = LocalPostgres()
    problem = server.start()       # None when running, else why not
    url = server.new_database()    # postgresql://retold:...@127.0.0.1:PORT/t1_...
    server.stop()                  # stops it and deletes its folder
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostgres:
    """A throw-away server in a temporary folder; ``start()`` returns None or why not."""

    def __init__(self) -> None:
        self.bindir = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="retold-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.password = secrets.token_hex(16)
        self.user = "retold"
        self.port = 0
        self.as_root = os.geteuid() == 0
        self._n = 0

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )

    def start(self) -> str | None:
        """None when running, else why not."""
        if self.bindir is None:
            return (
                "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
                "(apt-get install postgresql)"
            )
        if self.as_root:
            if shutil.which("runuser") is None:
                return "running as root and runuser is missing"
            try:
                import pwd

                pw = pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run the server"
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_root:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        init = self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.data),
            "-U", self.user,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "-E", "UTF8",
            "--locale=C",
            "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        if init.returncode != 0:
            return f"initdb failed: {' '.join(init.stderr.split())[-300:]}"
        last = ""
        for _ in range(3):  # another process may grab the free port first
            self.port = _free_port()
            conf = (
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                "unix_socket_directories = ''\n"
                "fsync = off\n"
                "full_page_writes = off\n"
                "max_connections = 40\n"
                "shared_buffers = 32MB\n"
            )
            with (self.data / "postgresql.conf").open("a") as fh:
                fh.write(conf)
            res = self._run(
                str(self.bindir / "pg_ctl"),
                "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start",
            )  # fmt: skip
            if res.returncode == 0:
                return None
            try:
                last = self.log.read_text()[-400:]
            except OSError:
                last = res.stderr
        return f"pg_ctl start failed: {' '.join(last.split())}"

    def stop(self) -> None:
        if self.bindir is not None and (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        self._n += 1
        name = f"t{self._n}_{secrets.token_hex(3)}"
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name is ours: [a-z0-9_]
        return self.url(name)
