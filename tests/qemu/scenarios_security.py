# SPDX-License-Identifier: MIT
"""scenarios_security.py - the QEMU runs of the security, race and long leak
tests (docs/testing.md: "Security tests", "Races", "Leak cycles"), on the
variants mk/security.mk builds:

  race-long-smp2, race-long-smp4  100,000 revocation rounds of the race group
                                  (variants/long), -smp 2 and -smp 4, -icount
  race-noshootdown                the race group on a kernel without TLB
                                  shoot-down (variants/noshootdown): passes only
                                  if the race test FAILS there, for stale accesses
  longleak                        the long leak cycles (variants/long), -smp 2
  sectest                         the security test kernel (variants/sectest): the
                                  SMAP/SMEP ktests (their planned-fault reports must
                                  be in the log) and the scramble group (user
                                  structures are read once)
  secgap-selectors                the secgap group (variants/long): a known kernel
                                  gap (segment selectors pass between processes);
                                  passes only while its test FAILS for that reason

The security and race groups also run, with their short counts, in every
normal test scenario (they are in the ordinary test image)."""

import dataclasses
import re

import scenarios as S

LONG_DIR = "variants/long"
RACE_LONG_ISO = f"{LONG_DIR}/minimalos-longrace.iso"
LEAK_LONG_ISO = f"{LONG_DIR}/minimalos-longleak.iso"
SECGAP_ISO = f"{LONG_DIR}/minimalos-secgap.iso"
NOSD_ISO = "variants/noshootdown/minimalos-test.iso"
SECTEST_ISO = "variants/sectest/minimalos-test.iso"

# Images made by make test (mk/security.mk), known to the scenario table's checks.
S.VARIANT_TEST_ISOS = tuple(S.VARIANT_TEST_ISOS) + tuple(
    iso for iso in (RACE_LONG_ISO, LEAK_LONG_ISO, SECGAP_ISO, NOSD_ISO, SECTEST_ISO) if iso not in S.VARIANT_TEST_ISOS)

RACE_ROUNDS = 100000
RACE_LINE_RX = re.compile(r"\brace: (\d+) rounds, (\d+) readers on (\d+) CPUs\b")
LONGLEAK_COUNTS = (
    ("process-cycles", r"longleak: (\d+) process cycles took", 100000),
    ("ipc-round-trips", r"longleak: (\d+) IPC round trips took", 1000000),
    ("grant-revoke-cycles", r"longleak: (\d+) grant/revoke cycles took", 100000),
    ("capability-trees", r"longleak: (\d+) capability trees took", 100000),
)
STALE_REASON = "stale accesses after revoke"
SELECTOR_REASON = re.compile(r"at entry [DEFG]S = 0x[0-9a-f]+, a fresh thread has|"
                             r"selector \d = 0x[0-9a-f]+ after a switch")


def race_rounds_check(lines):
    """post_run of the long race runs: the race group really ran the long
    count (an image built without UTEST_LONG would pass with 2,000)."""
    for line in lines:
        m = RACE_LINE_RX.search(line)
        if m and int(m.group(1)) == RACE_ROUNDS:
            return [S.Result("race-rounds", S.PASS, line.strip())]
        if m:
            return [S.Result("race-rounds", S.FAIL,
                             f"{m.group(1)} rounds, expected {RACE_ROUNDS} (long build?)", line)]
    return [S.Result("race-rounds", S.FAIL, "no 'race: N rounds' line")]


def longleak_counts_check(lines):
    """post_run of the longleak run: each cycle reported its full count."""
    out = []
    for name, rx, want in LONGLEAK_COUNTS:
        got = None
        for line in lines:
            m = re.search(rx, line)
            if m:
                got = int(m.group(1))
                break
        if got == want:
            out.append(S.Result(f"count.{name}", S.PASS, f"{got}"))
        else:
            out.append(S.Result(f"count.{name}", S.FAIL,
                                f"expected {want}, the log says {got if got is not None else 'nothing'}"))
    return out


SECTEST_TESTS = (
    "smap_kernel_read_of_a_user_page_faults",
    "smap_kernel_write_to_a_user_page_faults",
    "smap_smep_kernel_execution_of_a_user_page_faults",
    "smap_copy_routines_reach_the_same_user_page",
    "scramble.proc_create_reads_its_arguments_once",
)
# The planned-fault reports trap.c prints: a protection violation by the
# kernel on a present user page, reading, writing and fetching.
SMAP_REPORTS = (
    ("report.smap-read", r"planned fault \(test continues\) on CPU \d+: #PF Page fault \(vector 14\), "
                         r"error 0x[0-9a-f]+ \[protection-violation read kernel\]"),
    ("report.smap-write", r"planned fault \(test continues\) on CPU \d+: #PF Page fault \(vector 14\), "
                          r"error 0x[0-9a-f]+ \[protection-violation write kernel\]"),
    ("report.smep-fetch", r"planned fault \(test continues\) on CPU \d+: #PF Page fault \(vector 14\), "
                          r"error 0x[0-9a-f]+ \[protection-violation read kernel instruction-fetch\]"),
)


def sectest_check(lines):
    """post_run of sectest: every SMAP/SMEP ktest and the scramble case
    reported (each verdict is its own TEST line) and each kind of fault left
    its report."""
    out = []
    text = "\n".join(lines)
    for name in SECTEST_TESTS:
        if not re.search(rf"TEST {name} (ok|FAIL)", text):
            out.append(S.Result(f"ran.{name}", S.FAIL, "no TEST line: not compiled in, or the run died"))
    for name, rx in SMAP_REPORTS:
        m = re.search(rx, text)
        out.append(S.Result(name, S.PASS if m else S.FAIL,
                            m.group(0) if m else "no such fault report in the log"))
    return out


def expect_failure(group, reason, what, fixed):
    """A custom run that boots as usual and inverts the verdict of the user
    test group `group`: one result, `what`, which passes only when every
    case of the group reported FAIL with a reason matching `reason` (a
    regex). It fails if a case passed (`fixed` says what that means), if the
    group never reported, or if a case failed for another reason. The boot
    itself is not judged (the broken kernel may crash afterwards)."""
    rx = re.compile(reason)

    def run(scenario, build_dir, log_dir, qemu_binary, register):
        o = S.run_scenario(dataclasses.replace(scenario, custom=None), build_dir, log_dir, qemu_binary,
                           register)
        prefix = f"qemu/{scenario.name}/"
        cases = [r for r in o.results if r.name.startswith(f"{prefix}{group}.")]
        boot = [r for r in o.results if r.name == prefix + "boot"]
        name = prefix + what
        detail = "\n".join(f"{r.name}: {r.status} {r.reason}" for r in o.results)
        if boot and boot[0].detail:
            detail += "\n" + boot[0].detail
        if not cases:
            res = S.Result(name, S.FAIL, f"the {group} group never reported", detail)
        elif any(r.status == S.PASS for r in cases):
            res = S.Result(name, S.FAIL, f"a {group} case PASSED: {fixed}", detail)
        elif all(rx.search(r.reason) for r in cases):
            res = S.Result(name, S.PASS, cases[0].reason)
        else:
            res = S.Result(name, S.FAIL, f"the {group} group failed, but not (only) for the expected reason",
                           detail)
        return S.RunOutcome(scenario, [res], o.phase_times, o.elapsed, o.exit_text)
    return run


# race-noshootdown: the race test must see the missing TLB shoot-down.
expect_race_failure = expect_failure(
    "race", re.escape(STALE_REASON), "race-test-catches-missing-shootdown",
    "the race test cannot see a missing TLB shoot-down")
# secgap-selectors: the known gap is still there (docs/testing.md).
expect_selector_gap = expect_failure(
    "secgap", SELECTOR_REASON.pattern, "known-gap-selectors-still-open",
    "the kernel now keeps DS/ES/FS/GS per thread: move the case to the security group and drop this scenario")


def _utest_run(name, iso, smp, timeout, **kw):
    return S.Scenario(name=name, iso=iso, mem="512M", smp=smp, extra_args=("-nic", "none") + S.ICOUNT,
                      timeout=timeout, required_phases=(1, 2, 3, 4, 5), utests=True, **kw)


def scenarios():
    return [
        _utest_run("race-long-smp2", RACE_LONG_ISO, 2, 240.0, post_run=race_rounds_check),
        _utest_run("race-long-smp4", RACE_LONG_ISO, 4, 300.0, post_run=race_rounds_check),
        _utest_run("race-noshootdown", NOSD_ISO, 2, 180.0, custom=expect_race_failure),
        _utest_run("longleak", LEAK_LONG_ISO, 2, 420.0, post_run=longleak_counts_check),
        _utest_run("sectest", SECTEST_ISO, 1, 150.0, post_run=sectest_check),
        _utest_run("secgap-selectors", SECGAP_ISO, 2, 180.0, custom=expect_selector_gap),
    ]
