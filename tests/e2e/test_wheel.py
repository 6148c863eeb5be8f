"""The wheel (what `pip install .` and the Dockerfile install) carries what it needs:
the migrations, so `db upgrade` works without the source tree, and the limiter's Lua."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from dispatcher.dev import services

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _source_copy(into: Path) -> Path:
    """What ``pip wheel`` reads, copied: building in the checkout would leave build/ and
    egg-info in it while other tests run."""
    tree = into / "src"
    for name in ("pyproject.toml", "README.md"):
        tree.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    for name in ("dispatcher", "workers", "migrations"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def test_the_wheel_migrates_a_database_on_its_own(tmp_path: Path, pg_server_url: str) -> None:
    source = _source_copy(tmp_path)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    # the metadata is current: setuptools has nothing to warn about (make install is quiet)
    said = built.stdout + built.stderr
    assert "BuildBackendWarning" not in said and "SetuptoolsDeprecationWarning" not in said, said
    [wheel] = tmp_path.glob("pregonero-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "dispatcher/migrations/env.py" in names
    assert "dispatcher/migrations/script.py.mako" in names
    assert any(n.startswith("dispatcher/migrations/versions/0001") for n in names)
    assert "workers/lua/reserve.lua" in names
    assert "dispatcher/api/ui/templates/campaign.html" in names
    assert "dispatcher/api/ui/static/ui.js" in names
    packages = {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("dispatcher/**/__init__.py")}
    assert {p for p in packages if f"{p}/__init__.py" not in names} == set()  # none forgotten
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    name = f"pregonero_wheel_{uuid.uuid4().hex[:8]}"
    url = services.create_database(pg_server_url, name)
    try:
        # Only the unpacked wheel on the path (its dependencies from this venv), run from
        # elsewhere: nothing of the source tree can be found.
        code = (
            "import dispatcher, sys; "
            "assert dispatcher.__file__.startswith(sys.argv[2]), dispatcher.__file__; "
            "from dispatcher.store.migrate import upgrade; upgrade(sys.argv[1])"
        )
        env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
        ran = subprocess.run(
            [
                sys.executable,
                "-I",
                "-c",
                f"import sys; sys.path.insert(0, {str(site)!r}); {code}",
                url,
                str(site),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env=env,
        )
        assert ran.returncode == 0, ran.stderr[-3000:]
    finally:
        services.drop_database(pg_server_url, name)
