"""The install path the README gives, on a copy of the sources:

    python3 -m venv --system-site-packages V
    V/bin/pip install --no-build-isolation ./python

run offline with Debian's python3-venv, python3-pip, python3-setuptools and
python3-wheel (scripts/setup installs them); then artpack is imported from
the venv, not from PYTHONPATH, and used. The copy (python/, codec/,
include/ in a temporary folder) is what a clean checkout holds: pip builds
in the tree it is given, so the checkout itself is left untouched, and the
extension is compiled from codec/ (no ARTPACK_LIB, no libartpack.a).
"""
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHECK = r"""
import json, os, sys
import artpack
here = os.path.dirname(artpack.__file__)
assert here.startswith(sys.prefix), (here, sys.prefix)
pkg = os.listdir(here)
assert "__init__.pyi" in pkg and "py.typed" in pkg, pkg
a = {"id": "x/1", "title": "T", "body": ["one", "two"], "rank": 7, "k": {"z": [1.5, None]}}
assert artpack.unpack(artpack.pack(a)) == a
d = artpack.train([dict(a, id="x/%d" % i, body=["para %d of the story" % i] * 3)
                   for i in range(300)], size=4096)
assert artpack.decompress(artpack.compress(a, dictionary=d), dictionary=d) == a
print(json.dumps({"file": artpack.__file__, "prefix": sys.prefix}))
"""


def _env():
    env = dict(os.environ)
    # the package must come from the venv, not from make python-test's build
    env.pop("PYTHONPATH", None)
    env.pop("ARTPACK_LIB", None)
    env.pop("PYTHONHOME", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(argv, cwd, env):
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert p.returncode == 0, "%s (in %s) exited %d:\n%s" % (" ".join(argv), cwd, p.returncode,
                                                            p.stdout[-4000:])
    return p.stdout


def test_venv_pip_install(tmp_path):
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".hypothesis", "*.so")
    for part in ("python", "codec", "include"):
        shutil.copytree(os.path.join(ROOT, part), str(src / part), ignore=skip)
    env = _env()
    # the command as the README gives it (python3: the interpreter make python-test runs,
    # Debian's /usr/bin/python3, whose dist-packages hold setuptools and wheel)
    _run([sys.executable, "-m", "venv", "--system-site-packages", "V"], str(tmp_path), env)
    pip = str(tmp_path / "V" / "bin" / "pip")
    out = _run([pip, "install", "--no-build-isolation", "./src/python"], str(tmp_path), env)
    assert "Successfully installed artpack" in out, out[-2000:]
    # imported from elsewhere (not the copy's folder): the venv's site-packages
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    py = str(tmp_path / "V" / "bin" / "python")
    line = _run([py, "-c", CHECK], str(elsewhere), env).strip().splitlines()[-1]
    got = json.loads(line)
    assert got["file"].startswith(str(tmp_path / "V")), got
