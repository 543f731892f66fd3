"""Extract uv's own lock-and-sync scenarios into uv-scenarios.json.

Source: astral-sh/uv, crates/uv/tests/lock_scenarios/lock_conflict.rs at
commit 26a9dd4b2125bc271b47855e1fa0c49af3365db5. Each uv test there writes a
pyproject.toml, runs `uv lock`, snapshots the uv.lock uv wrote, then runs
`uv sync --frozen [--extra ..] [--group ..]` and snapshots which packages uv
installed and uninstalled. This script keeps, per test, the uv.lock text, the
project's default-groups, and for every sync the flags and the resulting set
of installed registry packages (replaying uv's +/- lines from an empty
environment) or the fact that uv refused. The expectations are uv's own
output; nothing is written by hand. The only edit: uv's test filter wrote
the local test index's address as "[LOCALHOST]", which is put back as
"localhost".

    git -C <uv checkout> show 26a9dd4b:crates/uv/tests/lock_scenarios/lock_conflict.rs > lock_conflict.rs
    python3 gen_uv_scenarios.py lock_conflict.rs > uv-scenarios.json
"""
import json
import re
import sys
import textwrap

src = open(sys.argv[1]).read()
funcs = re.split(r"\n(?=(?:#\[test\]\n)?fn \w+\(\))", src)

out = []
for body in funcs:
    m = re.search(r"fn (\w+)\(\)", body)
    if not m:
        continue
    name = m.group(1)
    lock = re.search(r'lock, @r#"\n(.*?)\n\s*"#', body, re.S)
    if not lock:
        continue
    lock_text = textwrap.dedent(lock.group(1)) + "\n"
    # uv's test filters replace the test server's address with "[LOCALHOST]",
    # which is not a valid URL host; put a real host name back.
    lock_text = lock_text.replace("[LOCALHOST]", "localhost")
    # Only locks whose files come from the test index (no path/git sources we refuse).
    dg = re.search(r"default-groups\s*=\s*(\[[^\]]*\]|\"all\")", body)
    default_groups = None
    if dg:
        default_groups = "all" if dg.group(1) == '"all"' else re.findall(r'"([^"]+)"', dg.group(1))
    runs = []
    state = {}
    valid = True
    for s in re.finditer(r"context\.sync\(\)((?:\s*\.arg\(\"[^\"]*\"\))*)\s*,\s*@r?#?\"\n(.*?)\n\s*\"#?\);", body, re.S):
        args = re.findall(r'\.arg\("([^"]*)"\)', s.group(1))
        if "--frozen" not in args:
            valid = False
            break
        args = [a for a in args if a != "--frozen"]
        text = s.group(2)
        code = re.search(r"exit_code: (\d+)", text)
        if code and code.group(1) != "0":
            runs.append({"args": args, "error": True})
            continue
        for line in text.splitlines():
            line = line.strip()
            mm = re.match(r"([-+]) ([A-Za-z0-9_.-]+)==(\S+)( \(from .*\))?$", line)
            if not mm:
                continue
            sign, pkg, ver, local = mm.groups()
            if local:  # the project or a workspace member, installed editable
                continue
            if sign == "-":
                state.pop(pkg, None)
            else:
                state[pkg] = ver
        runs.append({"args": args, "installed": sorted(f"{k}=={v}" for k, v in state.items())})
    if not valid or not runs:
        continue
    out.append({"test": name, "default_groups": default_groups, "lock": lock_text, "runs": runs})

json.dump({"source": "astral-sh/uv@26a9dd4b2125bc271b47855e1fa0c49af3365db5 crates/uv/tests/lock_scenarios/lock_conflict.rs",
           "python": "3.12", "scenarios": out}, sys.stdout, indent=1)
sys.stdout.write("\n")
