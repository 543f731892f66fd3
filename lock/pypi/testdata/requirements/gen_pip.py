"""Regenerate pip-23.json: how pip 23's own requirements-file parser reads
the files in this directory.

    /root/.pyenv/versions/3.11.7/bin/python3 gen_pip.py > pip-23.json

pip's parse_requirements (pip._internal.req.req_file) is run on each
*.txt file here with a PipSession that never touches the network (the
files are local). For each requirement it records the requirement string,
the --hash options, the constraint flag and the file and line it came
from, exactly as pip reports them.
"""
import glob
import json
import os
import sys

import pip
from pip._internal.network.session import PipSession
from pip._internal.req.req_file import parse_requirements
from pip._vendor.packaging.requirements import Requirement

os.environ["TOKEN"] = "s3cret"
out = {"pip": pip.__version__, "files": {}}
session = PipSession()
for path in sorted(glob.glob("*.txt")):
    if path.startswith("inc-"):
        continue
    reqs = []
    try:
        for pr in parse_requirements(path, session=session):
            r = Requirement(pr.requirement)
            reqs.append({
                "name": r.name, "specifier": str(r.specifier), "extras": sorted(r.extras),
                "marker": str(r.marker) if r.marker else "",
                "hashes": sorted(f"{a}:{h}" for a, hs in (pr.options or {}).get("hashes", {}).items() for h in hs),
                "constraint": pr.constraint,
                "comes_from": pr.comes_from,
            })
        out["files"][path] = {"requirements": reqs}
    except Exception as e:
        out["files"][path] = {"error": type(e).__name__}
json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
