"""The server's host key: made on first run (ed25519, mode 0600) and kept, so clients see the same
fingerprint every time. A key file that others may read is refused rather than used."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import asyncssh

FILE_NAME = "ssh_host_ed25519_key"


def default_path() -> Path:
    import platformdirs
    return Path(platformdirs.user_data_dir("smartpay", appauthor=False)) / FILE_NAME


def load_or_create(path: Path) -> tuple[asyncssh.SSHKey, bool]:
    """The host key at `path` and whether it was just made. Writes `path.pub` beside a new key
    (for operators' known_hosts)."""
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            from smartpay.core.errors import ConfigError
            raise ConfigError(f"host key: {path} may be read by others (mode {mode:o}); run chmod 600 on it")
        return asyncssh.read_private_key(str(path)), False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = asyncssh.generate_private_key("ssh-ed25519", comment="smartpay ssh serve")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
    return key, True
