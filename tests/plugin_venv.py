"""A throwaway venv for installing a plugin the way a third party would (`pip install`), without
touching this interpreter: its own site-packages, which also sees this one's packages
(smartpay, pluggy, pytest, setuptools, pip) through a .pth file. Whatever is installed stays in
tmp_path."""
from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path


def throwaway_venv(tmp_path: Path) -> Path:
    """Makes the venv under tmp_path; returns its python."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    outer = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_smartpay_outer.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in outer) + "\n")
    return python
