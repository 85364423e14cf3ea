"""Run a command (the test suite) against PostgreSQL.

Which server: SMARTPAY_TEST_PG_ADMIN if set; else the one on 127.0.0.1:5432 if it answers;
else a throwaway cluster started from the PostgreSQL binaries on this machine (installed with
apt-get first when running as root in CI), stopped afterwards. Without any of these it says it
skipped the PostgreSQL run and exits 0. Tests create a fresh database of their own and drop it.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> str | None:
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


def main(argv: list[str]) -> int:
    env = dict(os.environ, SMARTPAY_TEST_DB="postgres")
    if os.environ.get("SMARTPAY_TEST_PG_ADMIN"):
        return subprocess.call(argv, env=env)
    if _answers("127.0.0.1", 5432):
        env["SMARTPAY_TEST_PG_ADMIN"] = "postgresql://postgres@127.0.0.1:5432/postgres"
        print("PostgreSQL run: using the server on 127.0.0.1:5432", flush=True)
        return subprocess.call(argv, env=env)
    bindir = _pg_bin()
    if bindir is None and os.geteuid() == 0 and os.environ.get("CI"):
        subprocess.call(["apt-get", "install", "-y", "-q", "postgresql"], stdout=subprocess.DEVNULL)
        bindir = _pg_bin()
    if bindir is None:
        print("PostgreSQL run SKIPPED: no server on 127.0.0.1:5432 and no PostgreSQL binaries "
              "(install postgresql to run it)", flush=True)
        return 0
    workdir = tempfile.mkdtemp(prefix="smartpay-pg-")
    datadir = os.path.join(workdir, "data")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    port = _free_port()
    subprocess.check_call(_as_postgres([f"{bindir}/initdb", "-D", datadir, "-U", "postgres", "-A", "trust"]),
                          stdout=subprocess.DEVNULL)
    subprocess.check_call(_as_postgres([f"{bindir}/pg_ctl", "-D", datadir, "-w", "-l", f"{workdir}/log",
                                        "-o", f"-p {port} -h 127.0.0.1 -k {workdir}", "start"]),
                          stdout=subprocess.DEVNULL)
    print(f"PostgreSQL run: throwaway cluster on 127.0.0.1:{port}", flush=True)
    try:
        env["SMARTPAY_TEST_PG_ADMIN"] = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        return subprocess.call(argv, env=env)
    finally:
        subprocess.call(_as_postgres([f"{bindir}/pg_ctl", "-D", datadir, "-m", "fast", "stop"]),
                        stdout=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
