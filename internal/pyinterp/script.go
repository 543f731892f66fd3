package pyinterp

// queryScript is what Query runs with `python -I -c`. It imports only the
// standard library, prints one JSON object, and is valid Python 2.7 so that
// an old interpreter gets a clear refusal instead of a syntax error. It
// mirrors pip's choice of install scheme (pip._internal.locations._sysconfig:
// _infer_prefix) and packaging's default_environment() for markers.
const queryScript = `
import json, os, platform, struct, sys, sysconfig
try:
    from importlib.machinery import EXTENSION_SUFFIXES
except ImportError:
    EXTENSION_SUFFIXES = []

def full_version(info):
    v = "%d.%d.%d" % (info[0], info[1], info[2])
    if info[3] != "final":
        v += info[3][0] + str(info[4])
    return v

def scheme_name():
    preferred = getattr(sysconfig, "get_preferred_scheme", None)
    if preferred is not None:
        return preferred("prefix")
    names = sysconfig.get_scheme_names()
    impl = getattr(sys, "implementation", None)
    impl = impl.name if impl is not None else "cpython"
    for name in (impl + "_" + os.name, impl, os.name + "_prefix", os.name):
        if name in names:
            return name
    return "posix_prefix"

impl = getattr(sys, "implementation", None)
out = {
    "implementation": impl.name if impl is not None else platform.python_implementation().lower(),
    "version_info": [sys.version_info[0], sys.version_info[1], sys.version_info[2]],
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "real_prefix": getattr(sys, "real_prefix", None),
}
if impl is not None and sys.version_info[0] >= 3:
    name = scheme_name()
    cv = sysconfig.get_config_var
    glibc = None
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, OSError, ValueError):
        pass
    out.update({
        "scheme": name,
        "paths": sysconfig.get_paths(scheme=name),
        "markers": {
            "implementation_name": impl.name,
            "implementation_version": full_version(impl.version),
            "os_name": os.name,
            "platform_machine": platform.machine(),
            "platform_release": platform.release(),
            "platform_system": platform.system(),
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "platform_python_implementation": platform.python_implementation(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform,
        },
        "config": {
            "SOABI": cv("SOABI"),
            "EXT_SUFFIX": cv("EXT_SUFFIX"),
            "Py_DEBUG": cv("Py_DEBUG"),
            "Py_GIL_DISABLED": cv("Py_GIL_DISABLED"),
            "WITH_PYMALLOC": cv("WITH_PYMALLOC"),
            "py_version_nodot": cv("py_version_nodot"),
        },
        "has_refcount": hasattr(sys, "gettotalrefcount"),
        "debug_ext": "_d.pyd" in EXTENSION_SUFFIXES,
        "platform": sysconfig.get_platform(),
        "pointer_size": struct.calcsize("P"),
        "glibc": glibc,
        "mac_ver": [platform.mac_ver()[0], platform.mac_ver()[2]],
    })
sys.stdout.write(json.dumps(out))
`
