"""tmpfs - a size-limited tmpfs for tests of a full disk (root only)."""

import os
import shutil
import subprocess
import tempfile

from sluice_test import SkipTest


def mount_tmpfs(size, prefix="sluice-it-full-"):
    """Mount a tmpfs of `size` (mount(8) syntax: "4m") on a new directory;
    SkipTest where this process cannot mount one."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        raise SkipTest("needs root and mount(8) for a size-limited tmpfs")
    mnt = tempfile.mkdtemp(prefix=prefix)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", mnt],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    if r.returncode != 0:
        os.rmdir(mnt)
        raise SkipTest("cannot mount a tmpfs: %s" % r.stdout.decode("utf-8", "replace").strip())
    return mnt


def umount(mnt):
    """Unmount (lazily if busy) and remove the directory."""
    for args in (["umount", mnt], ["umount", "-l", mnt]):
        if subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=20).returncode == 0:
            break
    try:
        os.rmdir(mnt)
    except OSError:
        pass
