"""Regenerate the tag fixtures from the real packaging library.

Run with an interpreter whose pip vendors packaging 24.x:
    /root/.pyenv/versions/3.13.0/bin/python3 gen_tags.py

Each fixture states raw interpreter facts (what internal/pyinterp reads)
and the ordered tag list packaging computes from them. The machine-specific
inputs packaging reads (sysconfig.get_platform, the glibc and musl
versions, the ELF ABI check, sysconfig config variables) are replaced by the
stated facts; the algorithm itself is packaging's own code.
"""
import json
import sys
import sysconfig

from pip._vendor import packaging
from pip._vendor.packaging import _manylinux, _musllinux, tags

CASES = [
    dict(name="cp312-linux-aarch64-glibc228", impl="cp", version=[3, 12], platform="linux-aarch64",
         is32=False, abi_ok=True, glibc=[2, 28], musl=None, config={"Py_DEBUG": 0}, refcount=False),
    dict(name="cp313t-linux-x86_64-musl12", impl="cp", version=[3, 13], platform="linux-x86_64",
         is32=False, abi_ok=True, glibc=[-1, -1], musl=[1, 2], config={"Py_DEBUG": 0, "Py_GIL_DISABLED": 1}, refcount=False),
    dict(name="cp38d-linux-i686-glibc231", impl="cp", version=[3, 8], platform="linux-x86_64",
         is32=True, abi_ok=True, glibc=[2, 31], musl=None, config={"Py_DEBUG": 1}, refcount=True),
    dict(name="cp37m-linux-x86_64-glibc217", impl="cp", version=[3, 7], platform="linux-x86_64",
         is32=False, abi_ok=True, glibc=[2, 17], musl=None, config={"Py_DEBUG": None, "WITH_PYMALLOC": None}, refcount=False),
    dict(name="cp311-linux-armv8l-glibc231", impl="cp", version=[3, 11], platform="linux-aarch64",
         is32=True, abi_ok=True, glibc=[2, 31], musl=None, config={"Py_DEBUG": 0}, refcount=False),
    dict(name="cp310-linux-armv7l-not-armhf", impl="cp", version=[3, 10], platform="linux-armv7l",
         is32=True, abi_ok=False, glibc=[2, 31], musl=None, config={"Py_DEBUG": 0}, refcount=False),
    dict(name="pp310-linux-x86_64-glibc235", impl="pp", version=[3, 10], platform="linux-x86_64",
         is32=False, abi_ok=True, glibc=[2, 35], musl=None, config={"EXT_SUFFIX": ".pypy310-pp73-x86_64-linux-gnu.so"}, refcount=False),
    dict(name="cp312-macos14-arm64", impl="cp", version=[3, 12], mac=[14, 0], arch="arm64",
         config={"Py_DEBUG": 0}, refcount=False),
    dict(name="cp39-macos10_15-x86_64", impl="cp", version=[3, 9], mac=[10, 15], arch="x86_64",
         config={"Py_DEBUG": 0}, refcount=False),
    dict(name="cp312-win_amd64", impl="cp", version=[3, 12], platform="win-amd64",
         config={"Py_DEBUG": 0}, refcount=False),
]


def platforms_for(case):
    if "mac" in case:
        return list(tags.mac_platforms(tuple(case["mac"]), case["arch"]))
    if not case["platform"].startswith("linux"):
        return [tags._normalize_string(case["platform"])]
    sysconfig.get_platform = lambda: case["platform"]
    _manylinux._get_glibc_version = lambda: tuple(case["glibc"])
    _manylinux._have_compatible_abi = lambda executable, archs: case["abi_ok"]
    musl = case["musl"]
    _musllinux._get_musl_version = lambda executable: None if musl is None else _musllinux._MuslVersion(*musl)
    return list(tags._linux_platforms(is_32bit=case["is32"]))


def abis_for(case):
    config = case["config"]
    tags._get_config_var = lambda name, warn=False: config.get(name)
    if case["impl"] == "cp":
        has_refcount = case["refcount"]
        saved = getattr(sys, "gettotalrefcount", None)
        if has_refcount:
            sys.gettotalrefcount = lambda: 0
        elif saved is not None:
            del sys.gettotalrefcount
        try:
            return tags._cpython_abis(tuple(case["version"]))
        finally:
            if saved is not None:
                sys.gettotalrefcount = saved
            elif has_refcount:
                del sys.gettotalrefcount
    return tags._generic_abi()


def main():
    out = {"packaging": packaging.__version__, "cases": []}
    for case in CASES:
        plats = platforms_for(case)
        abis = abis_for(case)
        version = tuple(case["version"])
        nodot = "".join(map(str, version))
        if case["impl"] == "cp":
            seq = list(tags.cpython_tags(version, abis, plats))
            interp = "cp" + nodot
        else:
            seq = list(tags.generic_tags(case["impl"] + nodot, abis, plats))
            interp = "pp3" if case["impl"] == "pp" else None
        seq += list(tags.compatible_tags(version, interp, plats))
        out["cases"].append(dict(case, abis=abis, platforms=plats, tags=[str(t) for t in seq]))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
