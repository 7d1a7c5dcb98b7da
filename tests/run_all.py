#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run_all.py - run every MinimalOS test and print one summary.

Stages, in order: host unit tests (cmocka binaries given with --host, TAP
output), the Python unit tests tests/qemu/test_*.py (each run in a child
process that prints TAP), then the QEMU scenarios of tests/qemu/scenarios.py
(in parallel threads, -j). Each test case is one result; failures are always
printed, host and Python passes only with -v. The last line is exactly
"N passed, M failed" (", K skipped" only if K > 0). Exit status: 1 if
anything failed or nothing ran, else 0. A crash, a timeout, an exception or a
missing result is a failure, never a skip. Standard library only.
"""

import argparse
import concurrent.futures
import importlib.util
import os
import re
import subprocess
import sys
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
QEMU_DIR = os.path.join(HERE, "qemu")
sys.path.insert(0, QEMU_DIR)

import qemu as qemu_driver  # noqa: E402
import scenarios  # noqa: E402
from scenarios import FAIL, PASS, SKIP, Result  # noqa: E402

HOST_TIMEOUT = 60.0
STDERR_TAIL = 30


# ---------------------------------------------------------------- TAP
TAP_PLAN_RX = re.compile(r"^1\.\.(\d+)")
TAP_RESULT_RX = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(.*)$")
TAP_GROUP_SUMMARY_RX = re.compile(r"^#\s*(not )?ok - ")   # cmocka's "# ok - <group>"
# cmocka prints a test that could not run as "not ok N - <name> <message>".
CMOCKA_ERROR_MARKERS = (" Could not run test", " Test failed with exception")


class TapCase:
    """One "ok"/"not ok" line and the "#" diagnostics that follow it."""

    def __init__(self, number, ok, name, directive="", reason=""):
        self.number = number
        self.ok = ok
        self.name = name
        self.directive = directive      # "SKIP", "TODO" or ""
        self.reason = reason
        self.diagnostics = []

    def __repr__(self):
        return (f"TapCase({self.number}, {self.ok}, {self.name!r}, {self.directive!r}, "
                f"{self.reason!r})")


class TapReport:
    def __init__(self):
        self.planned = 0        # sum of every "1..N" (cmocka prints one per group)
        self.plans = 0          # how many plan lines
        self.cases = []


def parse_tap(text):
    """Parse TAP as cmocka 1.1.5 and our Python child print it. Returns a
    TapReport. Non-TAP lines are ignored. Pure."""
    rep = TapReport()
    last = None
    for raw in text.splitlines():
        line = raw.rstrip()
        m = TAP_PLAN_RX.match(line)
        if m:
            rep.planned += int(m.group(1))
            rep.plans += 1
            last = None
            continue
        m = TAP_RESULT_RX.match(line)
        if m:
            ok = m.group(1) == "ok"
            number = int(m.group(2)) if m.group(2) else None
            desc = m.group(3).strip()
            directive, reason = "", ""
            dm = re.search(r"(?:^|\s)#\s*(SKIP|TODO)\b\S*\s*(.*)$", desc, re.IGNORECASE)
            if dm:
                directive = dm.group(1).upper()
                reason = dm.group(2).strip()
                desc = desc[:dm.start()].strip()
            if desc.startswith("-"):
                desc = desc[1:].strip()
            if not ok:
                for marker in CMOCKA_ERROR_MARKERS:
                    idx = desc.find(marker)
                    if idx > 0:
                        reason = desc[idx + 1:]
                        desc = desc[:idx]
                        break
            if not desc and directive == "SKIP":
                desc, reason = reason, ""     # cmocka: "not ok 3 # SKIP <name>"
            last = TapCase(number, ok, desc or f"#{number}", directive, reason)
            rep.cases.append(last)
            continue
        if line.startswith("#") and last is not None and not TAP_GROUP_SUMMARY_RX.match(line):
            last.diagnostics.append(line[1:].strip())
    return rep


def describe_process_end(returncode, timed_out, timeout):
    if timed_out:
        return f"timed out after {timeout:g} s (killed)"
    if returncode is None:
        return "did not finish"
    if returncode < 0:
        import signal
        try:
            return f"crashed ({signal.Signals(-returncode).name})"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


def tap_results(prefix, text, returncode, timed_out=False, timeout=HOST_TIMEOUT, stderr=""):
    """Turn one TAP program's output and end into Results named
    <prefix>/<case>. Missing cases (fewer results than planned), a program
    that crashed or timed out, a non-zero exit that no failing case explains,
    and output with no TAP at all are failures. Pure."""
    rep = parse_tap(text)
    results = []
    seen = {}
    for c in rep.cases:
        seen[c.name] = seen.get(c.name, 0) + 1
        name = f"{prefix}/{c.name}" + (f"#{seen[c.name]}" if seen[c.name] > 1 else "")
        if c.directive == "SKIP":
            results.append(Result(name, SKIP, c.reason or "skipped"))
        elif c.ok or c.directive == "TODO":
            results.append(Result(name, PASS))
        else:
            if c.reason:
                results.append(Result(name, FAIL, c.reason, "\n".join(c.diagnostics)))
            else:
                why = "; ".join(d for d in c.diagnostics if d) or "not ok"
                results.append(Result(name, FAIL, why))
    end = describe_process_end(returncode, timed_out, timeout)
    abnormal = timed_out or returncode is None or returncode < 0
    tail = "\n".join(stderr.splitlines()[-STDERR_TAIL:])
    detail = f"stderr (last {STDERR_TAIL} lines):\n{tail}" if tail else "(no stderr output)"
    if rep.plans == 0 and not rep.cases:
        results.append(Result(prefix, FAIL, f"no TAP output; the program {end}", detail))
        return results
    missing = rep.planned - len(rep.cases)
    if missing > 0:
        first = len(rep.cases) + 1
        results.append(Result(f"{prefix}/#{first}", FAIL,
                              f"planned test {first} of {rep.planned} never reported "
                              f"(the one running when it stopped?); the program {end}", detail))
        for k in range(first + 1, rep.planned + 1):
            results.append(Result(f"{prefix}/#{k}", FAIL,
                                  f"planned test {k} of {rep.planned} never reported "
                                  f"(see #{first})"))
        return results
    if missing < 0 and rep.plans:
        results.append(Result(f"{prefix}/(plan)", FAIL,
                              f"{len(rep.cases)} results but the plan said {rep.planned}",
                              detail))
    failed = sum(1 for r in results if r.status == FAIL)
    if abnormal or (returncode != 0 and failed == 0):
        results.append(Result(f"{prefix}/(exit)", FAIL,
                              f"every planned test reported, but the program {end}", detail))
    return results


def run_tap_program(cmd, env=None, timeout=HOST_TIMEOUT):
    """Run cmd, capture stdout/stderr; return (returncode, stdout, stderr,
    timed_out). Raises OSError if cmd cannot be started."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return (proc.returncode, out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"), timed_out)


# ---------------------------------------------------------------- python child
class TapTestResult(unittest.TestResult):
    """unittest result that prints one TAP line per test case (subtests fold
    into their test: any failing subtest makes the test "not ok")."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.number = 0
        self._problems = []
        self._skip = None

    def startTest(self, test):
        super().startTest(test)
        self._problems = []
        self._skip = None

    def _name(self, test):
        tid = test.id()
        return tid.split(".", 1)[1] if "." in tid else tid

    def addError(self, test, err):
        super().addError(test, err)
        self._problems.append(("error", self._exc_info_to_string(err, test)))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._problems.append(("failure", self._exc_info_to_string(err, test)))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "failure" if issubclass(err[0], test.failureException) else "error"
            self._problems.append((f"{kind} in {subtest.id()}",
                                   self._exc_info_to_string(err, test)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._skip = reason

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._problems.append(("unexpected success", ""))

    def stopTest(self, test):
        super().stopTest(test)
        if isinstance(test, unittest.case._SubTest):
            return
        self.number += 1
        name = self._name(test)
        if self._problems:
            self.stream.write(f"not ok {self.number} - {name}\n")
            for kind, text in self._problems:
                self.stream.write(f"# {kind}\n")
                for line in text.rstrip().splitlines():
                    self.stream.write(f"# {line}\n")
        elif self._skip is not None:
            self.stream.write(f"ok {self.number} - {name} # SKIP {self._skip}\n")
        else:
            self.stream.write(f"ok {self.number} - {name}\n")
        self.stream.flush()


def py_child(path):
    """Load one unittest module by path and print its results as TAP on
    stdout (the tests' own prints go to stderr). Returns an exit status."""
    tap = os.fdopen(os.dup(1), "w")
    sys.stdout = sys.stderr
    modname = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    except Exception:
        traceback.print_exc()
        return 2
    tap.write(f"1..{suite.countTestCases()}\n")
    tap.flush()
    result = TapTestResult(tap)
    suite.run(result)
    tap.flush()
    return 0 if result.wasSuccessful() else 1


# ---------------------------------------------------------------- reporting
class Reporter:
    """Prints results as they come (thread-safe) and counts them."""

    def __init__(self, verbose=False, out=sys.stdout):
        self.verbose = verbose
        self.out = out
        self.lock = threading.Lock()
        self.counts = {PASS: 0, FAIL: 0, SKIP: 0}
        self.failures = []

    def add(self, result, quiet_pass=False):
        with self.lock:
            self.counts[result.status] += 1
            if result.status == PASS:
                if self.verbose or not quiet_pass:
                    note = f" ({result.reason})" if self.verbose and result.reason else ""
                    self.out.write(f"PASS {result.name}{note}\n")
            elif result.status == SKIP:
                self.out.write(f"SKIP {result.name}: {result.reason}\n")
            else:
                self.failures.append(result)
                self.out.write(f"FAIL {result.name}: {result.reason}\n")
                if result.detail:
                    for line in result.detail.rstrip().splitlines():
                        self.out.write(f"    | {line}\n")
            self.out.flush()

    def note(self, text):
        with self.lock:
            self.out.write(text + "\n")
            self.out.flush()

    def summary_line(self):
        line = f"{self.counts[PASS]} passed, {self.counts[FAIL]} failed"
        if self.counts[SKIP]:
            line += f", {self.counts[SKIP]} skipped"
        return line


def exit_status(counts):
    """1 if anything failed or nothing ran (passed + failed == 0), else 0."""
    if counts[FAIL] > 0 or counts[PASS] + counts[FAIL] == 0:
        return 1
    return 0


def format_phase_table(outcomes, max_phase=5):
    """Seconds from QEMU start to each phase's "ok" line, per scenario."""
    head = f"{'scenario':<20}" + "".join(f"{'p' + str(n):>7}" for n in range(1, max_phase + 1))
    rows = [head + f"{'total':>8}  end"]
    for o in outcomes:
        cells = "".join(f"{o.phase_times[n]:7.2f}" if o.phase_times.get(n) is not None
                        else f"{'-':>7}" for n in range(1, max_phase + 1))
        rows.append(f"{o.scenario.name:<20}{cells}{o.elapsed:8.2f}  {o.exit_text}")
    return rows


# ---------------------------------------------------------------- stages
class Stage:
    def __init__(self, name):
        self.name = name
        self.start = time.monotonic()
        self.seconds = 0.0
        self.counts = {PASS: 0, FAIL: 0, SKIP: 0}

    def add(self, reporter, result, quiet_pass=False):
        self.counts[result.status] += 1
        reporter.add(result, quiet_pass)

    def finish(self):
        self.seconds = time.monotonic() - self.start
        return self


def run_host(binaries, reporter, timeout):
    stage = Stage("host")
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for path in binaries:
        prefix = f"host/{os.path.basename(path)}"
        try:
            rc, out, err, timed_out = run_tap_program([os.path.abspath(path)], env, timeout)
        except OSError as e:
            stage.add(reporter, Result(prefix, FAIL, f"cannot run {path}: {e}"))
            continue
        for r in tap_results(prefix, out, rc, timed_out, timeout, err):
            stage.add(reporter, r, quiet_pass=True)
    return stage.finish()


def find_py_tests():
    return sorted(os.path.join(QEMU_DIR, f) for f in os.listdir(QEMU_DIR)
                  if f.startswith("test_") and f.endswith(".py"))


def run_py(files, reporter, timeout):
    stage = Stage("py")
    for path in files:
        modname = os.path.splitext(os.path.basename(path))[0]
        prefix = f"py/{modname}"
        try:
            rc, out, err, timed_out = run_tap_program(
                [sys.executable, os.path.abspath(__file__), "--py-child", path], None, timeout)
        except OSError as e:
            stage.add(reporter, Result(prefix, FAIL, f"cannot run {path}: {e}"))
            continue
        for r in tap_results(prefix, out, rc, timed_out, timeout, err):
            stage.add(reporter, r, quiet_pass=True)
    return stage.finish()


def run_qemu(selected, build_dir, jobs, reporter, qemu_binary):
    stage = Stage("qemu")
    log_dir = os.path.join(build_dir, "test-logs")
    os.makedirs(log_dir, exist_ok=True)
    live = []
    live_lock = threading.Lock()

    def register(run):
        with live_lock:
            live.append(run)

    def one(sc):
        try:
            return scenarios.run_scenario(sc, build_dir, log_dir, qemu_binary, register)
        except Exception as e:      # run_scenario should not raise; never hide it
            return scenarios.RunOutcome(
                sc, [Result(f"qemu/{sc.name}/boot", FAIL, f"{type(e).__name__}: {e}",
                            traceback.format_exc())], {}, 0.0, "runner error")

    outcomes = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(one, sc): sc for sc in selected}
        for fut in concurrent.futures.as_completed(futures):
            o = fut.result()
            outcomes[o.scenario.name] = o
            for r in o.results:
                stage.add(reporter, r)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        with live_lock:
            for run in live:
                run.stop()
        raise
    pool.shutdown(wait=True)
    stage.finish()
    return stage, [outcomes[sc.name] for sc in selected if sc.name in outcomes]


def default_jobs():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run MinimalOS host and QEMU tests.")
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--host", nargs="*", default=[], metavar="BIN",
                    help="cmocka test binaries to run")
    ap.add_argument("--only", action="append", default=[], metavar="GLOB",
                    help="run only QEMU scenarios matching GLOB (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, default=default_jobs(),
                    help="QEMU runs in parallel (default: number of CPUs)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also show host passes")
    ap.add_argument("--no-qemu", action="store_true", help="skip the QEMU scenarios")
    ap.add_argument("--no-py", action="store_true", help="skip the Python unit tests")
    ap.add_argument("--list", action="store_true", help="list the QEMU scenarios and exit")
    ap.add_argument("--qemu", default=qemu_driver.QEMU_BINARY, help="QEMU binary")
    ap.add_argument("--host-timeout", type=float, default=HOST_TIMEOUT,
                    help="seconds per host test binary (default: 60)")
    ap.add_argument("--py-child", metavar="FILE", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.py_child:
        return py_child(args.py_child)

    selected = scenarios.select(scenarios.SCENARIOS, args.only)
    if args.list:
        for sc in selected:
            print(f"{sc.name:<20} {sc.firmware:<4} {sc.iso:<20} -m {sc.mem} -smp {sc.smp} "
                  f"-cpu {sc.cpu} timeout {sc.timeout:g}s")
        return 0
    if args.only and not selected:
        ap.error(f"no QEMU scenario matches {' '.join(args.only)} (see --list)")
    if args.jobs < 1:
        ap.error("-j needs a positive number")
    reporter = Reporter(args.verbose)
    stages = []
    outcomes = []
    try:
        if args.host:
            stages.append(run_host(args.host, reporter, args.host_timeout))
        if not args.no_py:
            stages.append(run_py(find_py_tests(), reporter, args.host_timeout))
        if not args.no_qemu and selected:
            st, outcomes = run_qemu(selected, args.build, args.jobs, reporter, args.qemu)
            stages.append(st)
    except KeyboardInterrupt:
        reporter.note("interrupted: the counts below are incomplete")
        reporter.note(reporter.summary_line())
        return 130

    reporter.note("")
    reporter.note("timing:")
    for st in stages:
        n = st.counts[PASS] + st.counts[FAIL] + st.counts[SKIP]
        reporter.note(f"  {st.name:<5} {n:4} tests {st.counts[FAIL]:4} failed {st.seconds:8.1f} s")
    if outcomes:
        reporter.note(f"boot phases (seconds from QEMU start to each 'ok'; logs in "
                      f"{os.path.join(args.build, 'test-logs')}/):")
        for row in format_phase_table(outcomes):
            reporter.note("  " + row)
    if reporter.failures:
        reporter.note(f"failed ({len(reporter.failures)}):")
        for r in reporter.failures:
            reporter.note(f"  {r.name}")
    reporter.note(reporter.summary_line())
    return exit_status(reporter.counts)


if __name__ == "__main__":
    sys.exit(main())
