"""Extracts zip archives with pip's own code, so that TestZipCorpusAgainstPip
can compare airlock's trees with pip's.

usage: python3 pip-unzip.py <jobs.json>
jobs.json holds [{"zip": path, "dest": path}]; the result, on stdout, is
[{"ok": bool, "error": str}] in the same order.

pip installs a wheel's files with ZipBackedFile.save (operations/install/
wheel.py) and other zips with unzip_file (utils/unpacking.py): both copy each
member with shutil.copyfileobj into open(path, "wb") and then, when
zip_item_is_executable, chmod it to 0o777 & ~umask | 0o111. unzip_file with
flatten=False does that for every member, and creates directory entries.
"""
import json
import sys

from pip._internal.utils.unpacking import unzip_file

out = []
for job in json.load(open(sys.argv[1])):
    try:
        unzip_file(job["zip"], job["dest"], flatten=False)
        out.append({"ok": True, "error": ""})
    except Exception as e:  # noqa: BLE001 - every failure is an answer
        out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout)
