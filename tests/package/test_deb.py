#!/usr/bin/python3
"""The .deb as a user gets it: a Release build (gcc, SLUICE_WERROR=ON, no
tests), `cpack`, the package unpacked into a fresh root (dpkg-deb -x), and
then only what is in that root: its sluiced started with its default
/etc/sluice/server.properties (port and directory overridden) and used by
kcat; a C program compiled against its client library with
`pkg-config --cflags --libs sluice` (shared, then static) and run against
that broker; its unit checked by systemd-analyze; its man pages by man.

$SLUICE_PACKAGE_BUILD is the build directory (kept between runs, so a rerun
is incremental; scripts/test starts from nothing).
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

from sluice_test import SkipTest, require_tool, run_tests, timeout, wait_until

SRC = os.environ.get("SLUICE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SLUICE_PACKAGE_BUILD") or os.path.join(SRC, "build-package")
HERE = os.path.dirname(os.path.abspath(__file__))
WORK = tempfile.mkdtemp(prefix="sluice-package-")
ROOT = os.path.join(WORK, "root")

for tool in ("cmake", "cpack", "dpkg-deb", "pkg-config", "cc", "kcat"):
    if not shutil.which(tool):
        print("SKIP: %s is not installed" % tool)
        raise SystemExit(77)


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def build_deb():
    env = {k: v for k, v in os.environ.items() if k not in ("CC", "CFLAGS", "LDFLAGS")}
    run(["cmake", "-S", SRC, "-B", BUILD, "-DCMAKE_BUILD_TYPE=Release",
         "-DSLUICE_TESTS=OFF", "-DSLUICE_WERROR=ON"], env=env, stdout=subprocess.DEVNULL)
    run(["cmake", "--build", BUILD, "-j2"], env=env)
    for old in glob.glob(os.path.join(BUILD, "*.deb")):
        os.unlink(old)
    run(["cpack"], cwd=BUILD, env=env, stdout=subprocess.DEVNULL)
    debs = glob.glob(os.path.join(BUILD, "sluice_*.deb"))
    assert len(debs) == 1, debs
    run(["dpkg-deb", "-x", debs[0], ROOT])
    return debs[0]


t0 = time.monotonic()
DEB = build_deb()
print("built and unpacked %s in %.0f s" % (os.path.basename(DEB), time.monotonic() - t0))


def in_root(path):
    return os.path.join(ROOT, path.lstrip("/"))


def test_package_contents():
    for path in ("usr/bin/sluiced", "usr/bin/sluice-batch", "usr/include/sluice.h",
                 "usr/lib/libsluice.a", "usr/lib/pkgconfig/sluice.pc",
                 "usr/include/sluice_broker.h", "usr/lib/libsluice-broker.a",
                 "usr/lib/pkgconfig/sluice-broker.pc",
                 "usr/lib/systemd/system/sluiced.service", "etc/sluice/server.properties",
                 "usr/share/man/man8/sluiced.8", "usr/share/man/man1/sluice-batch.1",
                 "usr/share/man/man5/sluice-server.properties.5",
                 "usr/share/doc/sluice/LICENSE", "usr/share/sluice/pytest/pytest_sluice.py",
                 "usr/share/sluice/node/sluice.js"):
        assert os.path.exists(in_root(path)), path
    so = os.path.realpath(in_root("usr/lib/libsluice.so"))
    soname = subprocess.run(["objdump", "-p", so], check=True, capture_output=True,
                            text=True).stdout
    assert re.search(r"SONAME\s+libsluice\.so\.\d+\n", soname), soname
    syms = subprocess.run(["nm", "-D", "--defined-only", so], check=True, capture_output=True,
                          text=True).stdout.split("\n")
    exported = [ln.split()[-1] for ln in syms if ln.strip()]
    assert exported and all(s.startswith("slc_") for s in exported), \
        [s for s in exported if not s.startswith("slc_")]
    with open(in_root("usr/include/sluice.h")) as f:
        assert '#include "' not in f.read(), "the installed header includes a local file"
    control = subprocess.run(["dpkg-deb", "-f", DEB, "Depends", "Pre-Depends"], check=True,
                             capture_output=True, text=True).stdout
    assert "liburing2" in control and "adduser" in control, control
    ctrl = os.path.join(WORK, "DEBIAN")
    run(["dpkg-deb", "-e", DEB, ctrl])
    with open(os.path.join(ctrl, "conffiles")) as f:
        assert f.read().split() == ["/etc/sluice/server.properties"]
    for script in ("postinst", "prerm", "postrm"):
        run(["sh", "-n", os.path.join(ctrl, script)])
        assert os.access(os.path.join(ctrl, script), os.X_OK), script


def test_unit_file():
    with open(in_root("usr/lib/systemd/system/sluiced.service")) as f:
        unit = f.read()
    assert "ExecStart=/usr/bin/sluiced /etc/sluice/server.properties" in unit, unit
    linked = subprocess.run(["ldd", in_root("usr/bin/sluiced")], capture_output=True,
                            text=True).stdout
    want = "Type=notify" if "libsystemd" in linked else "Type=simple"
    assert want in unit, want
    for key in ("User=sluice", "StateDirectory=sluice", "LimitNOFILE="):
        assert key in unit, key
    if not shutil.which("systemd-analyze"):
        raise SkipTest("systemd-analyze is not installed")
    # verify wants ExecStart's binary to exist: point it into the root.
    copy = os.path.join(WORK, "sluiced.service")
    with open(copy, "w") as f:
        f.write(unit.replace("/usr/bin/sluiced", in_root("usr/bin/sluiced")))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", copy], capture_output=True,
                       text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr


def start_installed_broker():
    """The root's sluiced with the root's default settings, on a free port."""
    ready = os.path.join(WORK, "addr")
    log = open(os.path.join(WORK, "broker.log"), "w+")
    p = subprocess.Popen([in_root("usr/bin/sluiced"), in_root("etc/sluice/server.properties"),
                          "--override", "listeners=PLAINTEXT://127.0.0.1:0",
                          "--override", "log.dirs=" + os.path.join(WORK, "data"),
                          "--ready-file", ready], stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: os.path.exists(ready) or p.poll() is not None, timeout(20),
               "the ready file")
    assert p.poll() is None, "sluiced exited %r" % p.returncode
    with open(ready) as f:
        return p, f.read().strip(), log


def stop_broker(p, log):
    p.terminate()
    assert p.wait(timeout(30)) == 0
    log.seek(0)
    text = log.read()
    assert " ERROR " not in text, text


def pkg_config(*args, pkgs=("sluice",)):
    env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=ROOT,
               PKG_CONFIG_LIBDIR=in_root("usr/lib/pkgconfig"))
    env.pop("PKG_CONFIG_PATH", None)
    out = subprocess.run(["pkg-config"] + list(args) + list(pkgs), check=True, env=env,
                         capture_output=True, text=True).stdout
    return out.split()


def kcat(*args, data=None):
    return subprocess.run(["kcat"] + list(args), input=data, check=True, capture_output=True,
                          text=True, timeout=timeout(60)).stdout


def test_installed_broker_and_client():
    src = os.path.join(HERE, "roundtrip.c")
    shared = os.path.join(WORK, "roundtrip")
    static = os.path.join(WORK, "roundtrip-static")
    cflags = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
    run(["cc"] + cflags + ["-o", shared, src] + pkg_config("--cflags", "--libs"))
    # Static: the archive itself, with what pkg-config --static adds.
    libs = [a for a in pkg_config("--static", "--libs-only-l") if a != "-lsluice"]
    run(["cc"] + cflags + ["-o", static, src] + pkg_config("--cflags") +
        [in_root("usr/lib/libsluice.a")] + libs)
    linked = subprocess.run(["ldd", static], capture_output=True, text=True).stdout
    assert "libsluice" not in linked, linked

    p, addr, log = start_installed_broker()
    try:
        kcat("-P", "-b", addr, "-t", "pkg", "-p", "0", data="from-kcat-1\nfrom-kcat-2\n")
        env = dict(os.environ, LD_LIBRARY_PATH=in_root("usr/lib"))
        linked = subprocess.run(["ldd", shared], capture_output=True, text=True,
                                env=env).stdout
        assert in_root("usr/lib/libsluice.so.") in linked, linked
        out = subprocess.run([shared, addr, "pkg", "from-c-1", "from-c-2"], env=env,
                             capture_output=True, text=True, timeout=timeout(60))
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["from-kcat-1", "from-kcat-2", "from-c-1", "from-c-2"], \
            out.stdout
        out = subprocess.run([static, addr, "pkg", "from-static"], capture_output=True,
                             text=True, timeout=timeout(60))
        assert out.returncode == 0, out.stderr
        assert out.stdout.split()[-1] == "from-static", out.stdout
        got = kcat("-C", "-b", addr, "-t", "pkg", "-e", "-q", "-f", "%s\n")
        assert got.split() == ["from-kcat-1", "from-kcat-2", "from-c-1", "from-c-2",
                               "from-static"], got
    finally:
        stop_broker(p, log)


def test_installed_broker_library():
    """docs/examples/embed.c, built against the installed package alone
    (pkg-config sluice sluice-broker), runs a broker in-process and talks
    to it through the installed client library."""
    src = os.path.join(HERE, "..", "..", "docs", "examples", "embed.c")
    exe = os.path.join(WORK, "embed")
    run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", exe, src] +
        pkg_config("--cflags", "--libs", pkgs=("sluice", "sluice-broker")))
    env = dict(os.environ, LD_LIBRARY_PATH=in_root("usr/lib"))
    out = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=timeout(60))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "stopped cleanly" in out.stdout, out.stdout


def test_header_from_cplusplus():
    """The installed header works from C++ too (extern "C", no C-only
    syntax outside macros)."""
    cxx = shutil.which("c++")
    if not cxx:
        raise SkipTest("no C++ compiler")
    src = os.path.join(WORK, "use.cc")
    with open(src, "w") as f:
        f.write("#include <sluice.h>\n"
                "int main() { slc_conf c; slc_conf_init(&c);\n"
                "  return slc_err_str(SL_KE_REQUEST_TIMED_OUT) ? 0 : 1; }\n")
    exe = os.path.join(WORK, "use")
    run([cxx, "-std=c++11", "-Wall", "-Wextra", "-Werror", "-o", exe, src] +
        pkg_config("--cflags", "--libs"))
    run([exe], env=dict(os.environ, LD_LIBRARY_PATH=in_root("usr/lib")))


def test_man_pages():
    """Each page renders without warnings; the program pages name every
    option of the programs' --help, the settings page every setting."""
    pages = {n: in_root("usr/share/man/" + n) for n in
             ("man8/sluiced.8", "man1/sluice-batch.1", "man5/sluice-server.properties.5")}
    text = {}
    for name, path in pages.items():
        with open(path) as f:
            text[name] = f.read().replace("\\-", "-")
        if shutil.which("man"):
            r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True,
                               text=True, env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
            assert r.returncode == 0 and not r.stderr.strip(), (name, r.stderr)
    helps = {"man8/sluiced.8": [[in_root("usr/bin/sluiced"), "--help"]],
             "man1/sluice-batch.1": [[in_root("usr/bin/sluice-batch"), c, "--help"]
                                     for c in ("load", "export", "lag")]}
    for name, cmds in helps.items():
        for cmd in cmds:
            out = subprocess.run(cmd, capture_output=True, text=True).stdout
            for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", out))):
                assert opt in text[name], "%s is not in %s" % (opt, name)
    out = subprocess.run([in_root("usr/bin/sluiced"), "--help"], capture_output=True,
                         text=True).stdout
    settings = re.findall(r"^  ([a-z]+(?:\.[a-z]+)+) ", out, re.M)
    assert len(settings) > 20, out
    for key in settings:
        assert ".B %s\n" % key in text["man5/sluice-server.properties.5"], key



def test_configuration_md_names_only_real_settings():
    """The reverse of the unit test that every setting is in
    docs/configuration.md: every broker setting that page documents is one
    `sluiced --help` (the key table) knows, under its name or alias."""
    out = subprocess.run([in_root("usr/bin/sluiced"), "--help"], capture_output=True,
                         text=True).stdout
    known = set(re.findall(r"[a-z]+(?:\.[a-z]+)+", out.split("Settings", 1)[1]))
    with open(os.path.join(SRC, "docs", "configuration.md")) as f:
        broker_part = f.read().split("## Topic settings", 1)[0]
    documented = set()
    for row in re.findall(r"^\| ([^|]+) \|", broker_part, re.M):
        documented.update(re.findall(r"`([a-z]+(?:\.[a-z]+)+)`", row))
    assert len(documented) > 20, documented
    assert documented <= known, sorted(documented - known)


if __name__ == "__main__":
    try:
        run_tests(globals())
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
