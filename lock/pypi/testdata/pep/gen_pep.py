"""Regenerate pep440.json and pep508.json from the real packaging library.

    /root/.pyenv/versions/3.13.0/bin/python3 gen_pep.py

Every expected value below is computed by packaging (24.1, vendored by pip);
nothing is written by hand except the inputs.
"""
import itertools
import json

from pip._vendor import packaging
from pip._vendor.packaging.markers import Marker
from pip._vendor.packaging.specifiers import InvalidSpecifier, Specifier
from pip._vendor.packaging.version import InvalidVersion, Version

VERSIONS = [
    "1.0", "1.0.0", "1", "1.0.0.0", "v1.0", " 1.0 ", "1.0a1", "1.0alpha1", "1.0-a1", "1.0.a.1", "1.0b2",
    "1.0c1", "1.0rc1", "1.0pre1", "1.0preview1", "1.0.dev0", "1.0.dev1", "1.0a1.dev1", "1.0.post1",
    "1.0-1", "1.0.rev1", "1.0r", "1.0.post1.dev2", "1.0+local", "1.0+local.1", "1.0+local.2",
    "1.0+1", "1.0+abc.5", "1.0+5.abc", "1!1.0", "1!0.5", "2.0", "1.1", "1.0.1", "0.9", "10.0",
    "1.0RC1", "1.0_post_1", "01.002", "1.0+UBUNTU.1", "3.12.0", "3.12.0rc1", "3.12", "3.11.7",
    "3.1", "3.13.0b1", "99999999999999999999.1", "1.0a", "1.0.dev", "1.0post", "2.0.0+cpu",
    "", "1.0+", "1..0", "a1.0", "1.0-", "1.0+local_", "1.0++", "1.0 .1", "1.0dev1.post1",
]

SPECS = [
    "==1.0", "==1.0.0", "==1.*", "==1.0.*", "!=1.0", "!=1.*", ">=1.0", ">1.0", "<1.0", "<=1.0",
    "~=1.0", "~=1.0.0", "~=1", "===1.0", "==1.0+local", ">1.0.post1", ">1.0a1", "<1.0rc1", "<2.0",
    ">=3.8", "<3.12", "==3.12.*", "!=3.0.*", ">=1!0.1", "==1!1.0", "== 1.0", "==1.0.*.*", ">=1.*",
    "~=1.0+x", "<1.0+x", "==", ">=", "=1.0", "==1.0a1", "~=2.2.post3", "~=1.4.5.0", ">=1.0.dev0",
]

MARKERS = [
    'python_version < "3.12"', "python_version >= '3.8'", 'python_full_version == "3.11.7"',
    'python_version > "3.1"', 'python_version in "3.10 3.11 3.12"', 'python_version not in "2.7 3.5"',
    'sys_platform == "linux"', 'sys_platform != "win32" and platform_machine == "x86_64"',
    'os_name == "nt" or os_name == "posix"', '(os_name == "nt" or os_name == "posix") and python_version < "3"',
    'os_name == "nt" or os_name == "posix" and python_version < "3"', '"3.8" < python_version',
    'platform_release >= "5.0"', 'platform_release < "a"', 'implementation_name == "cpython"',
    'platform_python_implementation == "CPython"', 'python_implementation == "CPython"',
    'os.name == "posix"', 'sys.platform == "linux"', 'platform.machine == "x86_64"',
    'platform.python_implementation == "CPython"', 'platform.version != "x"', 'extra == "test"',
    'extra == "Test_Extra"', 'extra != "test"', 'extra == "test" and python_version < "4"',
    "python_version~='3.11'", "python_version~='3'", "python_full_version ~= '3.11.0'",
    "python_version=='3.*'", "python_version == '3.11.*'", "python_version === '3.11'",
    "implementation_version >= '3.11'", "platform_system == 'Linux'",
    "'linux' in sys_platform", "'x' not in sys_platform", "python_version>'3.1'and os_name=='posix'",
    "((python_version < '3.12'))", "python_version < '3.12' or (extra == 'a' and extra == 'b')",
    'python_version <= "3.11.7"', 'platform_machine in "x86_64 aarch64"', 'platform_version < "#2"',
    "os_name == 'posix' and (sys_platform == 'darwin' or sys_platform == 'linux') and python_version >= '3.9'",
    # Errors: packaging refuses these at parse time.
    'python_version <', 'foo == "1"', 'python_version = "3"', '"a" == "b"extra', 'python_version < "3" and',
    '(python_version < "3"', 'python_version < "3")', 'python_version not "3"', "",
]

ENVS = [
    {"implementation_name": "cpython", "implementation_version": "3.11.7", "os_name": "posix",
     "platform_machine": "x86_64", "platform_release": "6.1.0-13-amd64", "platform_system": "Linux",
     "platform_version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)",
     "python_full_version": "3.11.7", "platform_python_implementation": "CPython",
     "python_version": "3.11", "sys_platform": "linux", "extra": ""},
    {"implementation_name": "pypy", "implementation_version": "7.3.17", "os_name": "nt",
     "platform_machine": "AMD64", "platform_release": "10", "platform_system": "Windows",
     "platform_version": "10.0.22631", "python_full_version": "3.10.14",
     "platform_python_implementation": "PyPy", "python_version": "3.10", "sys_platform": "win32",
     "extra": "test-extra"},
    {"implementation_name": "cpython", "implementation_version": "3.13.0rc1", "os_name": "posix",
     "platform_machine": "arm64", "platform_release": "23.4.0", "platform_system": "Darwin",
     "platform_version": "Darwin Kernel Version 23.4.0", "python_full_version": "3.13.0rc1",
     "platform_python_implementation": "CPython", "python_version": "3.13", "sys_platform": "darwin",
     "extra": "test"},
]


def version_cases():
    parsed = {}
    out = []
    for v in VERSIONS:
        try:
            p = Version(v)
        except InvalidVersion:
            out.append({"version": v, "valid": False})
            continue
        parsed[v] = p
        out.append({"version": v, "valid": True, "normal": str(p), "public": p.public,
                    "prerelease": p.is_prerelease})
    compares = []
    for a, b in itertools.product(parsed, parsed):
        pa, pb = parsed[a], parsed[b]
        compares.append([a, b, (pa > pb) - (pa < pb)])
    contains = []
    for s in SPECS:
        try:
            spec = Specifier(s)
        except InvalidSpecifier:
            contains.append({"spec": s, "valid": False})
            continue
        contains.append({"spec": s, "valid": True,
                         "contains": {v: spec.contains(parsed[v], prereleases=True) for v in parsed}})
    return {"versions": out, "compare": compares, "specifiers": contains}


def marker_cases():
    out = []
    for m in MARKERS:
        case = {"marker": m}
        try:
            parsed = Marker(m)
        except Exception as e:
            case["parse_error"] = type(e).__name__
            out.append(case)
            continue
        results = []
        for env in ENVS:
            try:
                results.append(parsed.evaluate(dict(env)))
            except Exception as e:
                results.append(type(e).__name__)
        case["results"] = results
        out.append(case)
    return {"envs": ENVS, "markers": out}


WHEELS = [
    "six-1.16.0-py2.py3-none-any.whl", "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "pip-23.0.1-py3-none-any.whl", "foo_bar-1.0-1-py3-none-any.whl", "foo_bar-1.0-12abc-py3-none-any.whl",
    "Foo.Bar-1.0-py3-none-any.whl", "foo-1.0-py3-none-any.WHL", "foo-1.0-py3-none-any", "foo-1.0-py3-none.whl",
    "foo-1.0-x-y-py3-none-any.whl", "foo__bar-1.0-py3-none-any.whl", "foo-1.0-abc-py3-none-any.whl",
    "foo-bad_version-py3-none-any.whl", "foo-1.0-py3-none-any.manylinux1_x86_64.whl",
    "torch-2.2.0+cpu-cp311-cp311-linux_x86_64.whl", "foo-1.0-py3-none-.whl", "-1.0-py3-none-any.whl",
    "föo-1.0-py3-none-any.whl", "foo-1.0-PY3-NONE-ANY.whl", "foo-1.0-py3.py3-none-any.whl",
    "foo-1!2.0-py3-none-any.whl", "foo-1.0.post1.dev2-py3-none-any.whl",
]


def wheel_cases():
    from pip._vendor.packaging.utils import parse_wheel_filename
    out = []
    for w in WHEELS:
        try:
            name, version, build, tags = parse_wheel_filename(w)
        except Exception as e:
            out.append({"filename": w, "error": type(e).__name__})
            continue
        out.append({"filename": w, "name": name, "version": str(version), "build": list(build),
                    "tags": sorted(str(t) for t in tags)})
    return out


json.dump({"packaging": packaging.__version__, "wheels": wheel_cases()}, open("pep427.json", "w"), indent=1)
json.dump({"packaging": packaging.__version__, **version_cases()}, open("pep440.json", "w"), indent=0)
json.dump({"packaging": packaging.__version__, **marker_cases()}, open("pep508.json", "w"), indent=1)
