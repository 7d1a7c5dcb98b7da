#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkinitrd.py - pack directory trees into the initrd, a USTAR archive.

    mkinitrd.py OUT.tar ROOTDIR...

Every regular file and directory under each ROOTDIR is stored under its
path relative to that root (no leading "./"). When two roots hold the same
path, the later root wins; a path that is a file in one root and a directory
in another is an error, and so is anything that is neither (symlinks,
devices), so the archive holds exactly what the reader (kernel/lib/tar.c)
serves. The output is deterministic: entries sorted by path (parents before
children), mtime 0, uid/gid 0, empty owner names, mode 0755 for directories
and for files under bin/, 0644 for other files. Python standard library only.
"""
import io
import os
import stat
import sys
import tarfile


def fail(msg):
    sys.exit("mkinitrd.py: " + msg)


def collect(roots):
    """Map archive path -> ("dir", None) or ("file", host path)."""
    entries = {}
    for root in roots:
        if not os.path.isdir(root):
            fail(f"{root}: not a directory")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                host = os.path.join(dirpath, name)
                rel = os.path.relpath(host, root).replace(os.sep, "/")
                st = os.lstat(host)
                if stat.S_ISDIR(st.st_mode):
                    kind = "dir"
                elif stat.S_ISREG(st.st_mode):
                    kind = "file"
                else:
                    fail(f"{host}: not a regular file or directory")
                old = entries.get(rel)
                if old and old[0] != kind:
                    fail(f"{rel}: a {old[0]} in one root and a {kind} in another")
                entries[rel] = (kind, host if kind == "file" else None)
    return entries


def mode_for(path, kind):
    if kind == "dir" or path.startswith("bin/"):
        return 0o755
    return 0o644


def make_info(path, kind, size):
    info = tarfile.TarInfo(path)
    info.type = tarfile.DIRTYPE if kind == "dir" else tarfile.REGTYPE
    info.mode = mode_for(path, kind)
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: mkinitrd.py OUT.tar ROOTDIR...")
    out, roots = sys.argv[1], sys.argv[2:]
    entries = collect(roots)
    tmp = out + ".tmp"
    try:
        with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as tar:
            for path in sorted(entries, key=lambda p: p.split("/")):
                kind, host = entries[path]
                if kind == "dir":
                    tar.addfile(make_info(path, kind, 0))
                    continue
                with open(host, "rb") as f:
                    data = f.read()
                tar.addfile(make_info(path, kind, len(data)), io.BytesIO(data))
    except (ValueError, tarfile.TarError) as e:   # e.g. a name too long for USTAR
        if os.path.exists(tmp):
            os.unlink(tmp)
        fail(str(e))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
