# SPDX-License-Identifier: MIT
"""scenarios_fuzz.py - the fuzzing sessions of `make test` (docs/testing.md,
"Fuzzing"): the images mk/fuzz.mk builds into variants/fuzz, each with its
seed, call budget and failure-injection period on the kernel command line
(written next to the image as <iso>.json), run and judged by
tools/fuzz_run.py exactly as `make fuzz` does (crash and hang decided by the
host, leak accounting by the guest's per-executor checks):

  fuzz-plain     seed 1, coverage-guided, no injected failures
  fuzz-failnth   seed 2, every 5th kernel allocation of a fuzzed call fails
  fuzz-replay    the programs of tests/fuzz/regressions.replay (each once
                 found a kernel bug), replayed a few times, leak-checked per
                 executor

Results per session: qemu/<name>/session (no crash, hang or leak; on failure
the detail holds the reproducer from the black box or the leak report and
the command that repeats the session) and qemu/<name>/calls (the budget was
reached: a guest that stopped early fails)."""

import os
import sys
import traceback

import scenarios as S

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))
import fuzz_run  # noqa: E402

FUZZ_DIR = "variants/fuzz"
SESSIONS = (
    ("fuzz-plain", f"{FUZZ_DIR}/fuzz-test-plain.iso"),
    ("fuzz-failnth", f"{FUZZ_DIR}/fuzz-test-failnth.iso"),
    ("fuzz-replay", f"{FUZZ_DIR}/fuzz-test-replay.iso"),
)
S.VARIANT_TEST_ISOS = tuple(S.VARIANT_TEST_ISOS) + tuple(
    iso for _, iso in SESSIONS if iso not in S.VARIANT_TEST_ISOS)


def _run(scenario, build_dir, log_dir, qemu_binary, register):
    name = scenario.name
    iso = os.path.join(build_dir, scenario.iso)
    if not os.path.exists(iso):
        return S.RunOutcome(scenario, [S.Result(f"qemu/{name}/session", S.FAIL, f"ISO not found: {iso}")],
                            {}, 0.0, "not started")
    args = fuzz_run.read_iso_args(iso)
    want = fuzz_run.expected_calls(iso)
    s = fuzz_run.run_session(iso, name, log_dir, args, smp=scenario.smp, mem=scenario.mem,
                             timeout=scenario.timeout, qemu_binary=qemu_binary,
                             elf=os.path.join(build_dir, FUZZ_DIR, "kernel.elf"), register=register)
    summary = s.final_line()
    problems = s.problems(want)
    results = []
    fail_session = [p for p in problems if not p.startswith("only ")]
    if fail_session:
        out = []
        try:
            fuzz_run.report_failure(s, args, log_dir, name, log=out.append)
        except Exception:
            out.append(traceback.format_exc())
        progs = s.reproducer()
        if progs:
            out.append("reproducer (replay with make fuzz REPLAY=<file>"
                       + (f" FAILNTH={args['failnth']}" if args.get("failnth") else "") + "):")
            out.append(fuzz_run.replay_text(progs))
        out.append(f"reproduce the session: {fuzz_run.reproduce_hint(args)}")
        results.append(S.Result(f"qemu/{name}/session", S.FAIL, "; ".join(fail_session)[:300],
                                summary + "\n" + "\n".join(out)))
    else:
        results.append(S.Result(f"qemu/{name}/session", S.PASS, summary))
    if s.calls >= want > 0:
        results.append(S.Result(f"qemu/{name}/calls", S.PASS, f"{s.calls} calls (budget {want})"))
    else:
        results.append(S.Result(f"qemu/{name}/calls", S.FAIL, f"{s.calls} calls of {want}",
                                "\n".join(s.lines[-20:])))
    exit_text = "crash" if s.crash else "hang" if s.hang else fuzz_run.qemu_driver.describe_exit(s.status)
    return S.RunOutcome(scenario, results, {}, s.elapsed, exit_text)


def scenarios():
    return [S.Scenario(name=name, iso=iso, mem="512M", smp=2, timeout=900.0, ktests=False,
                       required_phases=(1, 2, 3, 4, 5), custom=_run)
            for name, iso in SESSIONS]
