"""Extract uv's own lock-and-sync scenarios into uv-scenarios.json.

Source: astral-sh/uv at commit 26a9dd4b2125bc271b47855e1fa0c49af3365db5,
crates/uv/tests/lock_scenarios/lock_conflict.rs, crates/uv/tests/lock/lock.rs
and crates/uv/tests/sync/sync.rs. Each uv test there writes a
pyproject.toml, runs `uv lock`, snapshots the uv.lock uv wrote, then runs
`uv sync --frozen [--extra ..] [--group ..]` and snapshots which packages uv
installed and uninstalled. This script keeps, per test, the uv.lock text, the
project's default-groups, and for every sync the flags and the resulting set
of installed registry packages (replaying uv's +/- lines from an empty
environment) or the fact that uv refused. The expectations are uv's own
output; nothing is written by hand. The only edit: uv's test filter wrote
the local test index's address as "[LOCALHOST]", which is put back as
"localhost".

    for f in lock_scenarios/lock_conflict.rs lock/lock.rs sync/sync.rs; do
        git -C <uv checkout> show 26a9dd4b:crates/uv/tests/$f > $(basename $f); done
    python3 gen_uv_scenarios.py lock_conflict.rs lock.rs sync.rs > uv-scenarios.json
"""
import json
import re
import sys
import textwrap

funcs = []
for path in sys.argv[1:]:
    src = open(path).read()
    label = path.rsplit("/", 1)[-1]
    funcs += [(label, f) for f in re.split(r"\n(?=(?:#\[test\]\n)?fn \w+\(\))", src)]

out = []
for label, body in funcs:
    m = re.search(r"fn (\w+)\(\)", body)
    if not m:
        continue
    name = m.group(1)
    lock = re.search(r'lock, @r#"\n(.*?)\n\s*"#', body, re.S)
    if not lock:
        continue
    # Replaying from an empty environment is right only if nothing was
    # installed before the first sync.
    if re.search(r"context\.(add|remove|sync|pip_install|pip_sync|run|tool_install)\(", body[:lock.start()]):
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
    # Only the syncs that run against this very lock: stop at the next
    # pyproject.toml edit or re-lock.
    rest = body[lock.end():]
    stop = re.search(r"write_str\(|context\.lock\(\)(?!\.arg\(\"--locked\"\))|fs_err::write|remove_file", rest)
    if stop:
        rest = rest[:stop.start()]
    for s in re.finditer(r"context\.sync\(\)(.*?),\s*@r?#?\"\n(.*?)\n\s*\"#?\);", rest, re.S):
        chunk = s.group(1)
        if re.sub(r'\s*\.arg\("[^"]*"\)', "", chunk).strip():
            break  # a computed argument (an index URL, a path): stop replaying here
        args = re.findall(r'\.arg\("([^"]*)"\)', chunk)
        if "--frozen" not in args:
            break
        args = [a for a in args if a != "--frozen"]
        text = s.group(2)
        code = re.search(r"exit_code: (\d+)", text)
        if code and code.group(1) != "0":
            runs.append({"args": args, "error": True})
            continue
        for line in text.splitlines():
            line = line.strip()
            mm = re.match(r"([-+~]) ([A-Za-z0-9_.-]+)==(\S+)( \(from .*\))?$", line)
            if not mm:
                continue
            sign, pkg, ver, local = mm.groups()
            if sign == "-":
                state.pop(pkg, None)
            else:
                state[pkg] = (ver, local.strip()[len("(from "):-1] if local else None)
        runs.append({
            "args": args,
            "installed": sorted(f"{k}=={v}" for k, (v, frm) in state.items() if frm is None),
            # Packages uv installed from somewhere other than an index: the
            # project and workspace members (file://), and git, URL and path
            # sources, which airlock refuses.
            "not_from_index": sorted(f"{k}=={v} from {frm}" for k, (v, frm) in state.items() if frm is not None),
        })
    if not valid or not runs:
        continue
    py = re.search(r'test_context!\("([0-9.]+)"\)', body)
    out.append({"test": label.removesuffix(".rs") + "/" + name, "python": py.group(1) if py else "3.12", "default_groups": default_groups, "lock": lock_text, "runs": runs})

json.dump({"source": "astral-sh/uv@26a9dd4b2125bc271b47855e1fa0c49af3365db5 crates/uv/tests/{lock_scenarios/lock_conflict,lock/lock,sync/sync}.rs",
           "python": "3.12", "scenarios": out}, sys.stdout, indent=1)
sys.stdout.write("\n")
