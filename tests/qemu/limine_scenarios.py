# SPDX-License-Identifier: MIT
"""limine_scenarios.py - boot MinimalOS with Limine instead of GRUB.

Limine is not packaged where this project is developed and cannot be
downloaded by the build, so these runs need the user to point LIMINE_DIR at
an unpacked Limine 8.x binary release (the v8.x-binary branch). With it,
run_limine_scenarios() builds build/minimalos-limine.iso through
`make iso-limine`, boots it under SeaBIOS and under OVMF, and checks that
phases 1-5 print "ok" and that the phase 2 line names Limine ("limine via
Limine <version>"). Without LIMINE_DIR it returns one skipped result saying
what to set.

The runs reuse scenarios.py (Scenario, run_scenario, the serial protocol and
the boot verdict); only the table and the phase-2 hook are new here. Results
are named qemu/limine/build, qemu/limine-bios/..., qemu/limine-uefi/....
Standard library only. Hooking into tests/run_all.py: see plugin_scenarios
and run_limine_scenarios.
"""

import dataclasses
import os
import re
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import qemu as qemu_driver  # noqa: E402
import scenarios  # noqa: E402
from scenarios import FAIL, PASS, SKIP, Result, Scenario  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
LIMINE_ISO = "minimalos-limine.iso"
BUILD_TIMEOUT = 1800.0          # seconds for `make iso-limine` (may build everything)
SKIP_REASON = ("LIMINE_DIR is not set: point it at an unpacked Limine 8.x binary release "
               "(the v8.x-binary branch) to boot MinimalOS with Limine")
PHASE2_RX = re.compile(r"^limine via (Limine\b.*)$", re.IGNORECASE)


def phase2_names_limine(ctx):
    """Post-boot hook: the phase 2 line must say the protocol is limine and
    that the loader calls itself Limine. Returns one "loader-named" result."""
    return [phase2_result(ctx.qemu.lines())]


phase2_names_limine.test_name = "loader-named"


def phase2_result(lines):
    """Judge the phase 2 line of a transcript (iterable of (seconds, text) or
    text). Pure: unit-tested by test_limine_scenarios.py."""
    t = scenarios.parse_transcript(lines)
    if 2 not in t.phases:
        return Result("loader-named", FAIL, "no phase 2 line")
    ph = t.phases[2][0]
    m = PHASE2_RX.match(ph.summary.split(",")[0].strip())
    if ph.status != "ok" or not m:
        return Result("loader-named", FAIL,
                      f"phase 2 says {ph.status!r} — {ph.summary!r}, expected 'limine via Limine ...'")
    return Result("loader-named", PASS, m.group(1))


def limine_scenarios():
    """The Limine runs: the normal image (empty command line) under BIOS and
    UEFI; QEMU is stopped once phases 1-5 have reported and the hook ran."""
    common = dict(iso=LIMINE_ISO, mem="256M", required_phases=(1, 2, 3, 4, 5),
                  expect_exit=None, ktests=False, post_boot=phase2_names_limine, settle=0.5)
    return [
        Scenario(name="limine-bios", firmware="bios", timeout=120.0, **common),
        Scenario(name="limine-uefi", firmware="uefi", timeout=180.0, **common),
    ]


def build_limine_iso(build_dir, limine_dir, make="make", timeout=BUILD_TIMEOUT):
    """Run `make iso-limine` in the repository. Returns (ok, output)."""
    cmd = [make, "-C", REPO_ROOT, f"BUILD={os.path.abspath(build_dir)}",
           f"LIMINE_DIR={os.path.abspath(limine_dir)}", "iso-limine"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.output if isinstance(e.output, str) else ""
        return False, f"{' '.join(cmd)}: timed out after {timeout:g} s\n{out}"
    except OSError as e:
        return False, f"{' '.join(cmd)}: {e}"
    return p.returncode == 0, p.stdout


_build_lock = threading.Lock()
_built = {}             # (build_dir, limine_dir) -> (ok, output): build once per process


def ensure_limine_iso(build_dir, limine_dir, make="make"):
    """build_limine_iso() once per (build_dir, limine_dir) in this process,
    however many threads ask (the plug-in's two scenarios run in parallel)."""
    key = (os.path.abspath(build_dir), os.path.abspath(limine_dir))
    with _build_lock:
        if key not in _built:
            _built[key] = build_limine_iso(build_dir, limine_dir, make)
        return _built[key]


def _plugin_run(scenario, build_dir, log_dir, qemu_binary, register):
    """Scenario.custom for plugin_scenarios(): skip without LIMINE_DIR, else
    build the ISO (once) and boot it as an ordinary scenario."""
    boot = f"qemu/{scenario.name}/boot"
    limine_dir = (os.environ.get("LIMINE_DIR") or "").strip()
    if not limine_dir:
        return scenarios.RunOutcome(scenario, [Result(boot, SKIP, SKIP_REASON)], {}, 0.0,
                                    "skipped")
    ok, out = ensure_limine_iso(build_dir, limine_dir)
    if not ok:
        tail = "\n".join(out.rstrip().splitlines()[-30:])
        return scenarios.RunOutcome(scenario, [Result(boot, FAIL, "make iso-limine failed", tail)],
                                    {}, 0.0, "not built")
    return scenarios.run_scenario(dataclasses.replace(scenario, custom=None), build_dir,
                                  log_dir, qemu_binary, register)


def plugin_scenarios():
    """The Limine runs as rows for the scenario table (scenarios.py loads
    tests/qemu/scenarios_<area>.py plug-ins and calls their scenarios()).
    Each row builds the ISO on first use and reports a skip without
    LIMINE_DIR, so `make test` needs nothing else."""
    return [dataclasses.replace(sc, custom=_plugin_run) for sc in limine_scenarios()]


def run_limine_scenarios(build_dir, log_dir, qemu_binary=qemu_driver.QEMU_BINARY,
                         register=None, env=None, build=True, make="make"):
    """Build and boot the Limine ISO under BIOS and UEFI; return a list of
    Result (full names). Never raises.

    LIMINE_DIR comes from env (default os.environ); unset or empty gives one
    SKIP result, qemu/limine/boot. build=False boots an ISO already built.
    register(run) is passed to scenarios.run_scenario (Ctrl-C handling).

    The simplest hook into tests/run_all.py is the plug-in form instead:
    a file tests/qemu/scenarios_limine.py containing
        from limine_scenarios import plugin_scenarios as scenarios
    adds limine-bios and limine-uefi to the scenario table (see
    plugin_scenarios). Or call this function after run_qemu() and feed each
    Result to the reporter (stage.add(reporter, r))."""
    env = os.environ if env is None else env
    limine_dir = (env.get("LIMINE_DIR") or "").strip()
    if not limine_dir:
        return [Result("qemu/limine/boot", SKIP, SKIP_REASON)]
    results = []
    if build:
        ok, out = build_limine_iso(build_dir, limine_dir, make)
        tail = "\n".join(out.rstrip().splitlines()[-30:])
        if not ok:
            return [Result("qemu/limine/build", FAIL, "make iso-limine failed", tail)]
        results.append(Result("qemu/limine/build", PASS, LIMINE_ISO))
    os.makedirs(log_dir, exist_ok=True)
    for sc in limine_scenarios():
        try:
            outcome = scenarios.run_scenario(sc, build_dir, log_dir, qemu_binary, register)
            results.extend(outcome.results)
        except Exception as e:      # run_scenario should not raise; never hide it
            results.append(Result(f"qemu/{sc.name}/boot", FAIL, f"{type(e).__name__}: {e}"))
    return results


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description="Boot MinimalOS with Limine (needs LIMINE_DIR).")
    ap.add_argument("--build", default=os.path.join(REPO_ROOT, "build"),
                    help="build directory (default: build)")
    ap.add_argument("--no-build", action="store_true", help="boot the ISO already built")
    ap.add_argument("--qemu", default=qemu_driver.QEMU_BINARY, help="QEMU binary")
    args = ap.parse_args(argv)
    results = run_limine_scenarios(args.build, os.path.join(args.build, "test-logs"),
                                   args.qemu, build=not args.no_build)
    counts = {PASS: 0, FAIL: 0, SKIP: 0}
    for r in results:
        counts[r.status] += 1
        print(f"{r.status.upper()} {r.name}" + (f": {r.reason}" if r.reason else ""))
        if r.status == FAIL and r.detail:
            for line in r.detail.rstrip().splitlines():
                print(f"    | {line}")
    line = f"{counts[PASS]} passed, {counts[FAIL]} failed"
    if counts[SKIP]:
        line += f", {counts[SKIP]} skipped"
    print(line)
    return 1 if counts[FAIL] else 0


if __name__ == "__main__":
    sys.exit(main())
