"""Build the artpack Python package (a CPython C extension over libartpack).

Offline, with setuptools from Debian (python3-setuptools, python3-dev). The
extension links the project's static library, built with -fPIC by the
Makefile (`make python` sets ARTPACK_LIB to $(B)/libartpack.a). Without
ARTPACK_LIB, or when that file does not exist (e.g. `pip install ./python`
from a clean checkout), the library's sources in ../codec are compiled into
the extension instead.
"""
import glob
import os

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
INCLUDE = os.path.join(ROOT, "include")

lib = os.environ.get("ARTPACK_LIB", "")
sources = ["artpack/_artpack.c"]
extra_objects = []
if lib:
    if not os.path.exists(lib):
        raise SystemExit("ARTPACK_LIB=%s: no such file (make lib builds it)" % lib)
    extra_objects = [lib]
else:
    # relative paths: setuptools wants sources inside or below setup.py's folder
    sources += sorted(os.path.relpath(p, HERE) for p in glob.glob(os.path.join(ROOT, "codec", "*.c")))

ext = Extension(
    "artpack._artpack",
    sources=sources,
    include_dirs=[INCLUDE],
    extra_objects=extra_objects,
    libraries=["zstd", "lz4"],
    depends=[p for p in (lib, os.path.join(INCLUDE, "artpack.h")) if os.path.exists(p)],
    extra_compile_args=["-std=c99", "-Wall", "-Wextra", "-Wno-missing-field-initializers",
                        "-Wno-cast-function-type"],
)

setup(
    name="artpack",
    version="0.1.0",
    description="Pack news articles into compact binary records, compress them with a "
                "dictionary, and bundle them (Python bindings of libartpack)",
    packages=["artpack"],
    package_data={"artpack": ["*.pyi", "py.typed"]},
    ext_modules=[ext],
    python_requires=">=3.9",
)
