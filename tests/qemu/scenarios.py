# SPDX-License-Identifier: MIT
"""scenarios.py - the QEMU boot scenarios, and how a run's serial transcript
is judged.

SCENARIOS (below) is the table: add a row to add a scenario. Each run yields
one result per "TEST <name> ok|FAIL <why>" line, named
qemu/<scenario>/<name>, one result qemu/<scenario>/boot (every required phase
printed "ok", no unexpected PANIC / KERNEL FAULT / ASSERTION FAILED line, the
expected exit, no timeout, KTEST DONE consistent with the TEST lines), plus
whatever the post-boot hook returns (qemu/<scenario>/<hook test>).
The kernel's serial protocol is matched anywhere in a line, so log prefixes
such as "[#00012] " or "[   1.234567] " do not matter.
Everything here except run_scenario() and the hooks is pure and unit-tested
by tests/qemu/test_qemu_driver.py.
"""

import importlib
import os
import glob
import re
import sys
import time
import traceback
from collections import namedtuple
from dataclasses import dataclass, field

import qemu as qemu_driver

PASS, FAIL, SKIP = "pass", "fail", "skip"

# One test outcome. name is the full name ("qemu/fb-bios/boot"); reason says
# why it failed (one line); detail is optional multi-line context (transcript
# tail, decoded screen) that the runner prints under a failure.
Result = namedtuple("Result", "name status reason detail", defaults=("", ""))

TEST_ISO = "minimalos-test.iso"     # kernel command line "test": ktests, then exit
NORMAL_ISO = "minimalos.iso"
RT_TEST_ISO = "minimalos-test-realtime.iso"
NOFAST_TEST_ISO = "variants/nofast/minimalos-test.iso"   # FASTPATH=0
CLANG_TEST_ISO = "variants/clang/minimalos-test.iso"     # CC=clang
BENCH_SHORT_ISO = "minimalos-bench-short.iso"           # benchmark gate
VARIANT_TEST_ISOS = (NOFAST_TEST_ISO, CLANG_TEST_ISO)


@dataclass(frozen=True)
class Scenario:
    name: str                       # qemu/<name>/...; also the log file name
    iso: str                        # file name inside the build directory
    firmware: str = "bios"          # "bios" (SeaBIOS) or "uefi" (OVMF)
    mem: str = "128M"
    smp: int = 1
    cpu: str = "max"
    extra_args: tuple = ("-nic", "none")  # more QEMU arguments (replacing this
                                    # default also drops "-nic none", which stops
                                    # the firmware wasting time on network boot)
    timeout: float = 120.0          # seconds for the whole QEMU run
    required_phases: tuple = (1, 2, 3)   # phase numbers that must print "ok"
    expect_exit: object = qemu_driver.EXIT_KERNEL_OK  # int, or None: we quit it
    ktests: bool = True             # expect TEST lines and "KTEST DONE"
    utests: bool = False            # (with ktests) then the userspace suite and "UTEST DONE"
    allowed_faults: tuple = ()      # regexes: fault lines that are planned
    post_boot: object = None        # hook(ctx) -> [Result with short names]
    settle: float = 0.0             # seconds to wait after the phases, before the hook
    post_run: object = None         # fn(lines) -> [Result with short names], after the run
    custom: object = None           # fn(scenario, build_dir, log_dir, qemu_binary, register)
                                    # -> RunOutcome: a run that is not one boot (shell, network)


# ---------------------------------------------------------------- hooks
FB_EXPECTED_TEXT = "phase 2 (Can See): ok"


def fb_screen_check(ctx):
    """Post-boot hook: screendump through the monitor, decode the text on the
    framebuffer with tests/qemu/fbcheck.py and the kernel's font, and pass if
    ink was drawn and some row reads FB_EXPECTED_TEXT. Returns one "screen"
    result; exceptions propagate (the caller turns them into failures)."""
    ppm = os.path.join(ctx.log_dir, f"{ctx.scenario.name}.ppm")
    font = os.path.join(ctx.build_dir, "gen", "font8x16.bin")
    ctx.qemu.screendump(ppm)
    try:
        fbcheck = importlib.import_module("fbcheck")
    except ImportError as e:
        return [Result("screen", FAIL, f"cannot import tests/qemu/fbcheck.py: {e}")]
    if not os.path.exists(font):
        return [Result("screen", FAIL, f"font not found: {font}")]
    rows, ink = fbcheck.decode_screen(ppm, font)
    rows = list(rows)
    shown = "\n".join(f"row {i:2}: {r.rstrip()}" for i, r in enumerate(rows) if r.strip())
    if ink <= 0:
        return [Result("screen", FAIL, f"nothing drawn on the framebuffer ({ppm})", shown)]
    if not any(FB_EXPECTED_TEXT in r for r in rows):
        return [Result("screen", FAIL,
                       f"no row reads {FB_EXPECTED_TEXT!r} ({ink} ink pixels, {ppm})",
                       shown or "(no text decoded)")]
    return [Result("screen", PASS, f"{ink} ink pixels")]


fb_screen_check.test_name = "screen"


def cpu_count_check(ctx):
    """Post-boot hook: the phase 4 line must report as many CPUs as QEMU has."""
    want = ctx.scenario.smp
    rx = re.compile(r"phase 4 \(Can Think\): ok\W+(\d+) CPUs?\b")
    for line in ctx.qemu.transcript().splitlines():
        m = rx.search(line)
        if m:
            got = int(m.group(1))
            if got == want:
                return [Result("cpus-online", PASS, f"{got} CPUs online")]
            return [Result("cpus-online", FAIL, f"phase 4 says {got} CPUs, QEMU has {want}")]
    return [Result("cpus-online", FAIL, "no phase 4 line with a CPU count")]


cpu_count_check.test_name = "cpus-online"


# ---------------------------------------------------------------- the table
# In-kernel test runs use -icount shift=0,sleep=off: guest time advances one
# nanosecond per instruction and jumps over idle periods, so timing tests are
# exact and independent of host load. One run uses plain multi-threaded QEMU
# (real parallelism, host time) with the "realtime" image, where tests that
# check timing tolerances skip themselves.
ICOUNT = ("-icount", "shift=0,sleep=off")


def _ktest(name, firmware, mem, cpu="max", smp=1, realtime=None, timeout=None, **kw):
    if realtime is None:
        realtime = firmware == "uefi"   # OVMF is very slow under -icount
    extra = ("-nic", "none") + (() if realtime else ICOUNT)
    return Scenario(name=name, iso=RT_TEST_ISO if realtime else TEST_ISO, firmware=firmware,
                    mem=mem, cpu=cpu, smp=smp, extra_args=extra,
                    timeout=timeout or (360.0 if firmware == "uefi" else 300.0),
                    required_phases=(1, 2, 3, 4, 5), utests=True, **kw)


def _fb(name, firmware):
    return Scenario(name=name, iso=NORMAL_ISO, firmware=firmware, mem="256M",
                    timeout=180.0 if firmware == "uefi" else 120.0,
                    expect_exit=None, ktests=False, post_boot=fb_screen_check,
                    settle=1.0)


def _boot(name, smp, firmware="bios", extra=("-nic", "none")):
    return Scenario(name=name, iso=NORMAL_ISO, firmware=firmware, mem="512M", smp=smp, extra_args=extra,
                    timeout=180.0 if firmware == "uefi" else 120.0, required_phases=(1, 2, 3, 4),
                    expect_exit=None, ktests=False, post_boot=cpu_count_check, settle=0.5)


# QEMU 7.2's multi-threaded TCG itself crashes (SIGSEGV, always at the same
# place in qemu-system-x86_64, while the boot CPU is still in phase 2 or 3)
# in about one in three loaded CI runs of these normal-image boots, with 2
# or 8 vCPUs. They therefore run their vCPUs on one host thread; bring-up of
# every CPU is what they check, and real parallelism is the 4-CPU MTTCG
# scenario's job (which has not crashed).
SINGLE_THREAD_TCG = ("-nic", "none", "-accel", "tcg,thread=single")


BENCH_LINE_RX = re.compile(r"\bbench (\w+) ([0-9.]+)\s*$")
BUDGET_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench-budget.txt")
BUDGET_MARGIN = 0.02


def bench_budget_check(lines):
    """post_run of the benchmark gate: every operation listed in
    tests/bench-budget.txt must be measured and within its budget (+2%).
    The counts are deterministic (-icount), so a change shows exactly."""
    got = {}
    for line in lines:
        m = BENCH_LINE_RX.search(line)
        if m:
            got[m.group(1)] = float(m.group(2))
    out = []
    with open(BUDGET_FILE) as f:
        for raw in f:
            line = raw.split("#", 1)[0].split()
            if len(line) != 2:
                continue
            name, limit = line[0], float(line[1])
            if name not in got:
                out.append(Result(f"budget.{name}", FAIL, "not measured"))
            elif got[name] > limit * (1 + BUDGET_MARGIN):
                out.append(Result(f"budget.{name}", FAIL,
                                  f"{got[name]:.1f} instructions, budget {limit:.1f} (+2%)"))
            else:
                out.append(Result(f"budget.{name}", PASS, f"{got[name]:.1f} <= {limit:.1f}"))
    return out


# BIOS/UEFI x 1/4 CPUs x 128 MiB/2 GiB, an old CPU model, and 2/8-CPU boots;
# the same tests with the IPC fast path off and built by clang; the
# benchmark gate.
SCENARIOS = [
    _ktest("bios-128M-1cpu-test", "bios", "128M"),
    _ktest("bios-2G-4cpu-test", "bios", "2G", smp=4),
    _ktest("uefi-128M-4cpu-test", "uefi", "128M", smp=4),
    _ktest("uefi-2G-1cpu-test", "uefi", "2G"),
    _ktest("bios-qemu64-2cpu-test", "bios", "256M", cpu="qemu64", smp=2),
    # (4 vCPU threads on 2 host cores beside other runs: slow when loaded)
    _ktest("bios-512M-4cpu-mttcg-test", "bios", "512M", smp=4, realtime=True, timeout=300.0),
    _boot("boot-smp2", 2, extra=SINGLE_THREAD_TCG),
    _boot("boot-smp8", 8, extra=SINGLE_THREAD_TCG),
    Scenario(name="bios-512M-2cpu-nofastpath-test", iso=NOFAST_TEST_ISO,
             mem="512M", smp=2, extra_args=("-nic", "none") + ICOUNT, required_phases=(1, 2, 3, 4, 5),
             utests=True, timeout=300.0),
    Scenario(name="bios-512M-2cpu-clang-test", iso=CLANG_TEST_ISO,
             mem="512M", smp=2, extra_args=("-nic", "none") + ICOUNT, required_phases=(1, 2, 3, 4, 5),
             utests=True, timeout=300.0),
    Scenario(name="bench-gate", iso=BENCH_SHORT_ISO, mem="512M", smp=2,
             extra_args=("-nic", "none", "-icount", "shift=0"), required_phases=(1, 2, 3, 4, 5),
             ktests=False, post_run=bench_budget_check),
    _fb("fb-bios", "bios"),
    _fb("fb-uefi", "uefi"),
]


# ---------------------------------------------------------------- serial protocol
PHASE_RX = re.compile(r"\bphase (\d+) \(([^)]*)\): (.*)$")
TEST_RX = re.compile(r"(?<![A-Za-z0-9_])TEST (\S+) (ok|FAIL|SKIP)(?![A-Za-z0-9_])(.*)$")
KTEST_DONE_RX = re.compile(r"\bKTEST DONE (\d+) passed, (\d+) failed\b")
UTEST_DONE_RX = re.compile(r"\bUTEST DONE (\d+) groups, (\d+) failed\b")
FAULT_RX = re.compile(r"PANIC|KERNEL FAULT|ASSERTION FAILED")
PHASE_STATUSES_OK = ("ok", "not yet")   # anything else a phase says is a failure
SUMMARY_SEPARATORS = (" \u2014 ", " -- ", " - ")

Phase = namedtuple("Phase", "number name status summary")
TestLine = namedtuple("TestLine", "name ok reason")
KtestDone = namedtuple("KtestDone", "passed failed")
UtestDone = namedtuple("UtestDone", "groups failed")


def classify_line(line):
    """Return what a serial line means to the test protocol: a Phase,
    TestLine or KtestDone, or None. Fault text is judged separately
    (is_fault_line) because any line may carry it."""
    m = KTEST_DONE_RX.search(line)
    if m:
        return KtestDone(int(m.group(1)), int(m.group(2)))
    m = UTEST_DONE_RX.search(line)
    if m:
        return UtestDone(int(m.group(1)), int(m.group(2)))
    m = TEST_RX.search(line)
    if m:
        reason = m.group(3).strip()
        if reason.startswith(":"):
            reason = reason[1:].strip()
        # ok is True (passed), False (failed) or None (skipped, reason says why)
        return TestLine(m.group(1), None if m.group(2) == "SKIP" else m.group(2) == "ok", reason)
    m = PHASE_RX.search(line)
    if m:
        rest = m.group(3).strip()
        status, summary = rest, ""
        for sep in SUMMARY_SEPARATORS:
            if sep in rest:
                status, summary = (s.strip() for s in rest.split(sep, 1))
                break
        return Phase(int(m.group(1)), m.group(2), status, summary)
    return None


ANSI_RX = re.compile(r"\x1b(?:\[[0-9;=?]*[ -/]*[@-~]|[@-Z\\-_])")
CONTROL_RX = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def printable(line):
    """The line without terminal escape sequences and control characters
    (firmware consoles emit them), safe to print in a report."""
    return CONTROL_RX.sub("", ANSI_RX.sub("", line))


def is_fault_line(line):
    return FAULT_RX.search(line) is not None


def is_allowed_fault(line, allowed):
    return any(re.search(p, line) for p in allowed)


@dataclass
class Transcript:
    """What a serial transcript said, in protocol terms."""
    phases: dict = field(default_factory=dict)   # number -> (Phase, seconds)
    tests: list = field(default_factory=list)    # TestLine, in order
    done: object = None                          # KtestDone or None
    tests_at_done: int = 0                       # TEST lines before KTEST DONE (the kernel's)
    udone: object = None                         # UtestDone or None (init's user suite)
    faults: list = field(default_factory=list)   # (line number, text), not allowed
    allowed: list = field(default_factory=list)  # (line number, text), planned
    lines: list = field(default_factory=list)    # all texts


def parse_transcript(lines, allowed_faults=()):
    """lines: iterable of (seconds, text) or plain text. Returns a Transcript.
    The first report of a phase wins; TEST lines after KTEST DONE still count."""
    t = Transcript()
    for i, item in enumerate(lines, 1):
        stamp, text = item if isinstance(item, tuple) else (None, item)
        text = printable(text)
        t.lines.append(text)
        if is_fault_line(text):
            (t.allowed if is_allowed_fault(text, allowed_faults) else t.faults).append((i, text))
        ev = classify_line(text)
        if isinstance(ev, Phase):
            t.phases.setdefault(ev.number, (ev, stamp))
        elif isinstance(ev, TestLine):
            t.tests.append(ev)
        elif isinstance(ev, KtestDone) and t.done is None:
            t.done = ev
            t.tests_at_done = len(t.tests)
        elif isinstance(ev, UtestDone) and t.udone is None:
            t.udone = ev
    return t


def test_results(scenario_name, transcript):
    """One Result per TEST line; a repeated name gets a "#2", "#3" suffix."""
    seen = {}
    out = []
    for tl in transcript.tests:
        seen[tl.name] = seen.get(tl.name, 0) + 1
        name = tl.name if seen[tl.name] == 1 else f"{tl.name}#{seen[tl.name]}"
        full = f"qemu/{scenario_name}/{name}"
        if tl.ok is None:
            out.append(Result(full, SKIP, tl.reason or "skipped"))
        elif tl.ok:
            out.append(Result(full, PASS))
        else:
            out.append(Result(full, FAIL, tl.reason or "FAIL (no reason given)"))
    return out


def boot_problems(scenario, transcript, status, quit_requested=False, timed_out=False,
                  hook_finished=True):
    """Return the list of reasons (strings) why the boot of this run failed;
    empty means the boot test passes. Pure: looks only at its arguments."""
    problems = []
    if timed_out:
        problems.append(qemu_driver.describe_exit(status, quit_requested, True, scenario.timeout))
    missing = [str(n) for n in scenario.required_phases if n not in transcript.phases]
    if missing:
        problems.append(f"phase{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                        "never reported")
    for n, (ph, _) in sorted(transcript.phases.items()):
        if ph.status not in PHASE_STATUSES_OK:
            problems.append(f"phase {n} ({ph.name}): {ph.status}")
        elif n in scenario.required_phases and ph.status != "ok":
            problems.append(f"phase {n} ({ph.name}) is required but says {ph.status!r}")
    if transcript.faults:
        first = transcript.faults[0]
        more = f" (and {len(transcript.faults) - 1} more)" if len(transcript.faults) > 1 else ""
        problems.append(f"fault at line {first[0]}: {first[1].strip()}{more}")
    if scenario.ktests:
        if transcript.done is None:
            problems.append("no 'KTEST DONE' line")
        else:
            ktests = transcript.tests[:transcript.tests_at_done]
            n_ok = sum(1 for tl in ktests if tl.ok)
            n_fail = sum(1 for tl in ktests if tl.ok is False)
            if (transcript.done.passed, transcript.done.failed) != (n_ok, n_fail):
                problems.append(f"KTEST DONE says {transcript.done.passed} passed, "
                                f"{transcript.done.failed} failed, but the TEST lines say "
                                f"{n_ok} ok, {n_fail} FAIL")
            if transcript.done.failed and status == qemu_driver.EXIT_KERNEL_OK:
                problems.append(f"{transcript.done.failed} ktests failed but the kernel "
                                f"exited with the success status {status}")
    if scenario.utests and transcript.done is not None and not transcript.done.failed:
        utests = transcript.tests[transcript.tests_at_done:]
        u_fail = sum(1 for tl in utests if tl.ok is False)
        if transcript.udone is None:
            problems.append("no 'UTEST DONE' line (the userspace suite did not finish)")
        elif transcript.udone.failed != u_fail:
            problems.append(f"UTEST DONE says {transcript.udone.failed} failed, but "
                            f"{u_fail} userspace TEST lines say FAIL")
        elif u_fail and status == qemu_driver.EXIT_KERNEL_OK:
            problems.append(f"{u_fail} userspace tests failed but init exited with success")
    if not timed_out:
        if scenario.expect_exit is not None:
            if status != scenario.expect_exit:
                problems.append(f"expected exit status {scenario.expect_exit}, got {status}: "
                                + qemu_driver.describe_exit(status, quit_requested))
        elif not (status == qemu_driver.EXIT_QUIT and quit_requested):
            if quit_requested:
                problems.append("QEMU did not quit cleanly when asked: "
                                + qemu_driver.describe_exit(status, quit_requested))
            else:
                problems.append("QEMU exited before the scenario finished: "
                                + qemu_driver.describe_exit(status, quit_requested))
    if not hook_finished and not problems:
        problems.append("the post-boot step did not complete")
    return problems


def boot_result(scenario, transcript, status, quit_requested=False, timed_out=False,
                hook_finished=True, elapsed=None, tail_lines=20):
    problems = boot_problems(scenario, transcript, status, quit_requested, timed_out,
                             hook_finished)
    name = f"qemu/{scenario.name}/boot"
    if not problems:
        when = f" in {elapsed:.1f} s" if elapsed is not None else ""
        return Result(name, PASS, f"{len(transcript.tests)} ktests, status {status}{when}")
    tail = [printable(line) for line in transcript.lines[-tail_lines:]]
    detail = ("transcript stopped at (last %d lines):\n" % len(tail) +
              ("\n".join(tail) if tail else "(no serial output at all)"))
    return Result(name, FAIL, "; ".join(problems), detail)


# ---------------------------------------------------------------- running
def select(scenarios, globs):
    """Scenarios whose name matches any of the shell globs (all if none)."""
    import fnmatch
    if not globs:
        return list(scenarios)
    return [s for s in scenarios if any(fnmatch.fnmatchcase(s.name, g) for g in globs)]


def qemu_args(scenario, iso_path):
    return (["-m", scenario.mem, "-smp", str(scenario.smp), "-cpu", scenario.cpu,
             "-cdrom", iso_path, "-boot", "d"] + list(scenario.extra_args))


def phases_settled(required, allowed_faults=()):
    """Predicate for QemuRun.wait_lines: every required phase has reported
    (with any status), or a fault line appeared."""
    def pred(lines):
        t = parse_transcript(lines, allowed_faults)
        return bool(t.faults) or all(n in t.phases for n in required)
    return pred


class RunContext:
    """What a post-boot hook gets: the live QemuRun and where things are."""

    def __init__(self, scenario, run, build_dir, log_dir):
        self.scenario = scenario
        self.qemu = run
        self.build_dir = build_dir
        self.log_dir = log_dir


RunOutcome = namedtuple("RunOutcome", "scenario results phase_times elapsed exit_text")


def run_scenario(scenario, build_dir, log_dir, qemu_binary=qemu_driver.QEMU_BINARY,
                 register=None):
    """Boot one scenario and judge it. Never raises: any error becomes a
    failing result. register(run) is called with the live QemuRun (so a
    caller can kill it on Ctrl-C)."""
    boot_name = f"qemu/{scenario.name}/boot"
    if scenario.custom is not None:
        try:
            return scenario.custom(scenario, build_dir, log_dir, qemu_binary, register)
        except Exception as e:
            return RunOutcome(scenario, [Result(boot_name, FAIL, f"{type(e).__name__}: {e}",
                                                traceback.format_exc())], {}, 0.0, "runner error")
    iso = os.path.join(build_dir, scenario.iso)
    if not os.path.exists(iso):
        return RunOutcome(scenario, [Result(boot_name, FAIL, f"ISO not found: {iso}")], {}, 0.0,
                          "not started")
    run = qemu_driver.QemuRun(scenario.name, qemu_args(scenario, iso), log_dir,
                              timeout=scenario.timeout, firmware=scenario.firmware,
                              qemu=qemu_binary)
    extra = []
    hook_finished = True
    try:
        if register:
            register(run)
        run.start()
        if scenario.expect_exit is None or scenario.post_boot is not None:
            hook_finished = False
            ok = run.wait_lines(phases_settled(scenario.required_phases, scenario.allowed_faults),
                                scenario.timeout)
            t = parse_transcript(run.lines(), scenario.allowed_faults)
            ready = ok and not t.faults and all(
                t.phases[n][0].status == "ok" for n in scenario.required_phases)
            if ready and scenario.settle:
                time.sleep(scenario.settle)
            hook = scenario.post_boot
            if hook is not None:
                hook_name = getattr(hook, "test_name", "post-boot")
                if not ready:
                    extra.append(Result(hook_name, FAIL, "not run: the boot did not reach "
                                        "its required phases (see the boot test)"))
                elif not run.running:
                    extra.append(Result(hook_name, FAIL, "not run: QEMU exited before it"))
                else:
                    try:
                        extra.extend(hook(RunContext(scenario, run, build_dir, log_dir)))
                    except Exception as e:
                        extra.append(Result(hook_name, FAIL, f"{type(e).__name__}: {e}",
                                            traceback.format_exc()))
            hook_finished = True
            if scenario.expect_exit is None and run.running:
                run.quit()
        run.wait(scenario.timeout + 30)
    except Exception as e:
        run.stop()
        detail = "" if isinstance(e, qemu_driver.QemuError) else traceback.format_exc()
        return RunOutcome(scenario, [Result(boot_name, FAIL, f"{type(e).__name__}: {e}",
                                            detail)] +
                          _prefixed(scenario, extra), {}, run.elapsed(), "driver error")
    finally:
        run.stop()
    lines = run.lines()
    transcript = parse_transcript(lines, scenario.allowed_faults)
    results = test_results(scenario.name, transcript)
    if scenario.post_run is not None:
        try:
            extra.extend(scenario.post_run([printable(x[1] if isinstance(x, tuple) else x) for x in lines]))
        except Exception as e:
            extra.append(Result("post-run", FAIL, f"{type(e).__name__}: {e}", traceback.format_exc()))
    boot = boot_result(scenario, transcript, run.exit_status, run.quit_requested,
                       run.timed_out, hook_finished, run.elapsed())
    if run.exit_status == qemu_driver.EXIT_QEMU_ERROR and boot.status == FAIL:
        boot = boot._replace(detail=boot.detail + "\nQEMU said:\n" + run.qemu_output_tail())
    phase_times = {n: stamp for n, (ph, stamp) in transcript.phases.items() if ph.status == "ok"}
    return RunOutcome(scenario, [boot] + results + _prefixed(scenario, extra), phase_times,
                      run.elapsed(), run.short_exit())


def _prefixed(scenario, results):
    return [r._replace(name=f"qemu/{scenario.name}/{r.name}") for r in results]


if __name__ == "__main__":
    sys.exit("run tests/run_all.py instead")


# ---------------------------------------------------------------- plug-ins
# tests/qemu/scenarios_<area>.py modules (network, fuzzing, shell, ...) each
# define scenarios() -> [Scenario]; they are appended in file-name order.
# They may import this module (it is complete by the time they load).
def _load_plugins():
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    for path in sorted(glob.glob(os.path.join(here, "scenarios_*.py"))):
        mod = importlib.import_module(os.path.splitext(os.path.basename(path))[0])
        SCENARIOS.extend(mod.scenarios())


_load_plugins()
