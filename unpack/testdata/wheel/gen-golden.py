"""Writes <wheel>.golden for every wheel here: the tree pip 23 extracts from
it (pip._internal.utils.unpacking.unzip_file, umask 022), one line per
directory ("d <mode> <path>") or file ("f <mode> <sha256> <path>"), sorted by
path bytes, as unpack's listing() prints a tree.

usage: cd unpack/testdata/wheel && python3 gen-golden.py
"""
import glob
import hashlib
import os
import stat
import tempfile

from pip._internal.utils.unpacking import unzip_file

os.umask(0o022)
for whl in sorted(glob.glob("*.whl")):
    with tempfile.TemporaryDirectory() as tmp:
        dest = os.path.join(tmp, "x")
        unzip_file(whl, dest, flatten=False)
        lines = []
        for root, dirs, files in os.walk(dest):
            for name in dirs + files:
                p = os.path.join(root, name)
                rel = os.path.relpath(p, dest)
                st = os.lstat(p)
                mode = "%04o" % stat.S_IMODE(st.st_mode)
                if stat.S_ISDIR(st.st_mode):
                    lines.append((rel.encode(), "d %s %s" % (mode, rel)))
                else:
                    h = hashlib.sha256(open(p, "rb").read()).hexdigest()
                    lines.append((rel.encode(), "f %s %s %s" % (mode, h, rel)))
        lines.sort()
        with open(whl + ".golden", "w") as f:
            f.write("".join(l + "\n" for _, l in lines))
