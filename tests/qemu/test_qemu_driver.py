# SPDX-License-Identifier: MIT
"""test_qemu_driver.py - unit tests of the test runner itself, no kernel needed.

Covers TAP parsing and accounting (tests/run_all.py), the serial protocol and
boot verdicts (scenarios.py), the scenario table, the framebuffer hook with a
stand-in fbcheck, and the QEMU driver (qemu.py) end to end against a fake
"qemu" (a small Python script written to a temporary directory that connects
to the driver's sockets like QEMU does). run_all.py runs this module in a
child process and counts every test case.
"""

import io
import os
import shutil
import sys
import tempfile
import textwrap
import time
import types
import unittest
import importlib.util

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import qemu as Q  # noqa: E402
import scenarios as S  # noqa: E402


def _load_run_all():
    path = os.path.join(os.path.dirname(HERE), "run_all.py")
    spec = importlib.util.spec_from_file_location("run_all", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


R = _load_run_all()

# What cmocka 1.1.5 really prints with CMOCKA_MESSAGE_OUTPUT=TAP (captured
# from a probe binary: pass, fail, skip, pass, pass, setup failure; then a
# second group).
CMOCKA_SAMPLE = """\
1..6
ok 1 - a_pass
not ok 2 - b_fail
# 0x1 != 0x2
# t.c:9: error: Failure!
not ok 3 # SKIP c_skip
ok 4 - d_crash
ok 5 - e_pass
not ok 6 - e_pass Could not run test: Test setup failed
# not ok - t
1..1
ok 1 - a_pass
# ok - second
"""
# The same binary aborting inside test 4.
CMOCKA_CRASHED = """\
1..6
ok 1 - a_pass
not ok 2 - b_fail
# 0x1 != 0x2
# t.c:9: error: Failure!
not ok 3 # SKIP c_skip
"""


class TapParseTest(unittest.TestCase):
    def test_cmocka_sample(self):
        rep = R.parse_tap(CMOCKA_SAMPLE)
        self.assertEqual(rep.planned, 7)
        self.assertEqual(rep.plans, 2)
        self.assertEqual([c.name for c in rep.cases],
                         ["a_pass", "b_fail", "c_skip", "d_crash", "e_pass", "e_pass", "a_pass"])
        self.assertEqual([c.ok for c in rep.cases], [True, False, False, True, True, False, True])

    def test_failure_diagnostics_attach_to_their_case(self):
        rep = R.parse_tap(CMOCKA_SAMPLE)
        self.assertEqual(rep.cases[1].diagnostics, ["0x1 != 0x2", "t.c:9: error: Failure!"])
        self.assertEqual(rep.cases[5].diagnostics, [])     # "# not ok - t" is a group summary

    def test_cmocka_skip_line(self):
        case = R.parse_tap("1..1\nnot ok 1 # SKIP c_skip\n").cases[0]
        self.assertEqual((case.name, case.directive), ("c_skip", "SKIP"))

    def test_standard_skip_and_todo(self):
        rep = R.parse_tap("1..2\nok 1 - foo # SKIP no disk\nnot ok 2 - bar # TODO later\n")
        self.assertEqual((rep.cases[0].name, rep.cases[0].directive, rep.cases[0].reason),
                         ("foo", "SKIP", "no disk"))
        self.assertEqual((rep.cases[1].name, rep.cases[1].directive), ("bar", "TODO"))

    def test_cmocka_setup_error_splits_name_and_reason(self):
        text = "1..1\nnot ok 1 - e_pass Could not run test: Test setup failed\n"
        case = R.parse_tap(text).cases[0]
        self.assertEqual(case.name, "e_pass")
        self.assertEqual(case.reason, "Could not run test: Test setup failed")

    def test_non_tap_lines_ignored(self):
        rep = R.parse_tap("hello\nokay 1 - no\n  ok 2 - indented\n1..0\n")
        self.assertEqual(rep.cases, [])
        self.assertEqual((rep.planned, rep.plans), (0, 1))

    def test_missing_number_and_description(self):
        rep = R.parse_tap("1..2\nok\nnot ok 2\n")
        self.assertEqual([(c.number, c.name) for c in rep.cases], [(None, "#None"), (2, "#2")])


class TapAccountingTest(unittest.TestCase):
    def by_status(self, results):
        out = {}
        for r in results:
            out.setdefault(r.status, []).append(r.name)
        return out

    def test_normal_run_with_failures(self):
        res = R.tap_results("host/t", CMOCKA_SAMPLE, 2)
        st = self.by_status(res)
        self.assertEqual(st[S.PASS], ["host/t/a_pass", "host/t/d_crash", "host/t/e_pass",
                                      "host/t/a_pass#2"])
        self.assertEqual(st[S.FAIL], ["host/t/b_fail", "host/t/e_pass#2"])
        self.assertEqual(st[S.SKIP], ["host/t/c_skip"])
        fail = [r for r in res if r.name == "host/t/b_fail"][0]
        self.assertIn("0x1 != 0x2", fail.reason)

    def test_all_pass_exit_zero(self):
        res = R.tap_results("host/t", "1..2\nok 1 - a\nok 2 - b\n", 0)
        self.assertEqual([r.status for r in res], [S.PASS, S.PASS])

    def test_crash_counts_missing_cases_as_failures(self):
        res = R.tap_results("host/t", CMOCKA_CRASHED, -6, stderr="line1\nAddressSanitizer: boom\n")
        st = self.by_status(res)
        self.assertEqual(st[S.FAIL], ["host/t/b_fail", "host/t/#4", "host/t/#5", "host/t/#6"])
        missing = [r for r in res if r.name == "host/t/#4"][0]
        self.assertIn("SIGABRT", missing.reason)
        self.assertIn("AddressSanitizer: boom", missing.detail)

    def test_timeout_counts_missing_cases(self):
        res = R.tap_results("host/t", "1..3\nok 1 - a\n", None, timed_out=True, timeout=60)
        fails = [r for r in res if r.status == S.FAIL]
        self.assertEqual(len(fails), 2)
        self.assertIn("timed out after 60 s", fails[0].reason)

    def test_nonzero_exit_after_all_passed_is_a_failure(self):
        # e.g. LeakSanitizer reporting a leak after cmocka finished
        res = R.tap_results("host/t", "1..1\nok 1 - a\n", 23, stderr="LeakSanitizer: leak\n")
        self.assertEqual([r.status for r in res], [S.PASS, S.FAIL])
        self.assertEqual(res[1].name, "host/t/(exit)")
        self.assertIn("status 23", res[1].reason)

    def test_signal_after_all_reported_is_a_failure(self):
        res = R.tap_results("host/t", "1..1\nnot ok 1 - a\n", -11)
        self.assertEqual([r.name for r in res if r.status == S.FAIL], ["host/t/a", "host/t/(exit)"])

    def test_nonzero_exit_explained_by_failures_adds_nothing(self):
        res = R.tap_results("host/t", "1..2\nok 1 - a\nnot ok 2 - b\n", 1)
        self.assertEqual(len(res), 2)

    def test_no_tap_at_all(self):
        res = R.tap_results("host/t", "", 127, stderr="exec format error\n")
        self.assertEqual(len(res), 1)
        self.assertEqual((res[0].name, res[0].status), ("host/t", S.FAIL))
        self.assertIn("exec format error", res[0].detail)

    def test_no_tap_even_with_exit_zero(self):
        res = R.tap_results("host/t", "hello\n", 0)
        self.assertEqual([r.status for r in res], [S.FAIL])

    def test_more_results_than_planned(self):
        res = R.tap_results("host/t", "1..1\nok 1 - a\nok 2 - b\n", 0)
        self.assertIn("host/t/(plan)", [r.name for r in res if r.status == S.FAIL])

    def test_empty_plan_exit_zero_is_no_failure(self):
        self.assertEqual(R.tap_results("host/t", "1..0\n", 0), [])


class PyChildTapTest(unittest.TestCase):
    def run_suite(self, cls):
        out = io.StringIO()
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
        result = R.TapTestResult(out)
        suite.run(result)
        return out.getvalue(), result

    def test_outcomes_become_tap(self):
        class Inner(unittest.TestCase):
            def test_a_ok(self):
                pass

            def test_b_fail(self):
                self.assertEqual(1, 2)

            def test_c_error(self):
                raise KeyError("x")

            @unittest.skip("not today")
            def test_d_skip(self):
                pass

            def test_e_subtests(self):
                for i in range(3):
                    with self.subTest(i=i):
                        self.assertNotEqual(i, 1)

        text, result = self.run_suite(Inner)
        res = R.tap_results("py/m", "1..5\n" + text, 1)
        status = {r.name.rsplit(".", 1)[1]: r.status for r in res}
        self.assertEqual(status, {"test_a_ok": S.PASS, "test_b_fail": S.FAIL,
                                  "test_c_error": S.FAIL, "test_d_skip": S.SKIP,
                                  "test_e_subtests": S.FAIL})
        self.assertIn("KeyError", text)
        self.assertFalse(result.wasSuccessful())


class SerialProtocolTest(unittest.TestCase):
    def test_phase_lines_with_prefixes_and_summary(self):
        for line in ("phase 1 (Deaf and Blind): ok",
                     "[#00012] phase 1 (Deaf and Blind): ok",
                     "[   1.234567] phase 1 (Deaf and Blind): ok \u2014 COM1 115200"):
            ev = S.classify_line(line)
            self.assertIsInstance(ev, S.Phase, line)
            self.assertEqual((ev.number, ev.name, ev.status), (1, "Deaf and Blind", "ok"))
        ev = S.classify_line("phase 2 (Can See): ok \u2014 fb 1024x768, 3 modules")
        self.assertEqual(ev.summary, "fb 1024x768, 3 modules")

    def test_phase_not_yet_and_failure(self):
        self.assertEqual(S.classify_line("phase 4 (Can Think): not yet").status, "not yet")
        self.assertEqual(S.classify_line("phase 3 (Can Remember): FAIL \u2014 no memory").status,
                         "FAIL")

    def test_test_lines(self):
        self.assertEqual(S.classify_line("[#00100] TEST pmm_alloc_aligned ok"),
                         S.TestLine("pmm_alloc_aligned", True, ""))
        self.assertEqual(S.classify_line("TEST vmm_wx FAIL page 0x1000 is W+X"),
                         S.TestLine("vmm_wx", False, "page 0x1000 is W+X"))
        self.assertEqual(S.classify_line("TEST vmm_wx FAIL: colon"),
                         S.TestLine("vmm_wx", False, "colon"))

    def test_not_test_lines(self):
        for line in ("KTESTS starting", "TEST foo okay", "TEST foo FAILED", "CONTEST x ok",
                     "TEST foo", "latest foo ok", "phase one: ok"):
            self.assertIsNone(S.classify_line(line), line)

    def test_ktest_done(self):
        self.assertEqual(S.classify_line("[   9.0] KTEST DONE 12 passed, 1 failed"),
                         S.KtestDone(12, 1))

    def test_fault_lines(self):
        for line in ("PANIC: out of memory", "[#1] KERNEL FAULT #PF at 0x0",
                     "ASSERTION FAILED: x != 0 at pmm.c:12"):
            self.assertTrue(S.is_fault_line(line))
        self.assertFalse(S.is_fault_line("panic mode off; kernel fault-free"))
        self.assertTrue(S.is_allowed_fault("KERNEL FAULT #PF at 0xdead (planned)",
                                           [r"#PF at 0xdead"]))
        self.assertFalse(S.is_allowed_fault("KERNEL FAULT #GP", [r"#PF at 0xdead"]))

    def test_printable_strips_escapes(self):
        self.assertEqual(S.printable("\x1b[2J\x1b[01;01Hphase 1 (X): ok\x07"), "phase 1 (X): ok")


GOOD_RUN = [
    "GRUB loading",
    "[#00001] phase 1 (Deaf and Blind): ok",
    "[#00002] phase 2 (Can See): ok \u2014 fb 800x600",
    "[#00003] phase 3 (Can Remember): ok \u2014 126 MiB free",
    "[#00004] phase 4 (Can Think): not yet",
    "[#00005] phase 5 (Alive): not yet",
    "TEST alpha ok",
    "TEST beta ok",
    "KTEST DONE 2 passed, 0 failed",
]


class BootVerdictTest(unittest.TestCase):
    SC = S.Scenario("t", S.TEST_ISO)
    QUIT_SC = S.Scenario("q", S.NORMAL_ISO, expect_exit=None, ktests=False)

    def problems(self, lines, status=33, sc=None, **kw):
        sc = sc or self.SC
        return S.boot_problems(sc, S.parse_transcript(lines, sc.allowed_faults), status, **kw)

    def test_good_run(self):
        self.assertEqual(self.problems(GOOD_RUN), [])
        res = S.test_results("t", S.parse_transcript(GOOD_RUN))
        self.assertEqual([(r.name, r.status) for r in res],
                         [("qemu/t/alpha", S.PASS), ("qemu/t/beta", S.PASS)])

    def test_failed_test_line_is_a_failed_result(self):
        lines = GOOD_RUN[:-2] + ["TEST beta FAIL off by one", "KTEST DONE 1 passed, 1 failed"]
        res = S.test_results("t", S.parse_transcript(lines))
        self.assertEqual(res[1], S.Result("qemu/t/beta", S.FAIL, "off by one"))
        self.assertEqual(self.problems(lines, 35),
                         ["expected exit status 33, got 35: kernel reported failure through "
                          "isa-debug-exit (0x11, status 35)"])

    def test_failures_with_success_exit_are_caught(self):
        lines = GOOD_RUN[:-2] + ["TEST beta FAIL off by one", "KTEST DONE 1 passed, 1 failed"]
        self.assertTrue(any("success status" in p for p in self.problems(lines, 33)))

    def test_duplicate_test_names(self):
        res = S.test_results("t", S.parse_transcript(["TEST a ok", "TEST a FAIL x"]))
        self.assertEqual([r.name for r in res], ["qemu/t/a", "qemu/t/a#2"])

    def test_missing_required_phase(self):
        lines = [line for line in GOOD_RUN if "phase 3" not in line]
        self.assertIn("phase 3 never reported", self.problems(lines))

    def test_required_phase_not_ok(self):
        lines = [line.replace("phase 3 (Can Remember): ok", "phase 3 (Can Remember): not yet")
                 for line in GOOD_RUN]
        self.assertTrue(any("phase 3" in p and "required" in p for p in self.problems(lines)))
        sc = S.Scenario("t", S.TEST_ISO, required_phases=(1, 2))
        self.assertEqual(self.problems(lines, sc=sc), [])

    def test_unrequired_phase_failing_still_fails(self):
        lines = [line.replace("phase 4 (Can Think): not yet",
                              "phase 4 (Can Think): FAIL \u2014 no APIC") for line in GOOD_RUN]
        self.assertEqual(self.problems(lines), ["phase 4 (Can Think): FAIL"])

    def test_panic_fails_the_boot(self):
        lines = GOOD_RUN[:4] + ["PANIC: bad frame"] + GOOD_RUN[4:]
        probs = self.problems(lines)
        self.assertEqual(len(probs), 1)
        self.assertIn("fault at line 5: PANIC: bad frame", probs[0])

    def test_planned_fault_is_allowed(self):
        planned = "KERNEL FAULT #PF at 0xdead0000 (expected by test beta)"
        lines = GOOD_RUN[:7] + [planned] + GOOD_RUN[7:]
        sc = S.Scenario("t", S.TEST_ISO, allowed_faults=(r"#PF at 0xdead0000",))
        self.assertEqual(self.problems(lines, sc=sc), [])
        self.assertEqual(len(self.problems(lines)), 1)
        t = S.parse_transcript(lines, sc.allowed_faults)
        self.assertEqual(len(t.allowed), 1)

    def test_ktest_done_missing_or_inconsistent(self):
        self.assertIn("no 'KTEST DONE' line", self.problems(GOOD_RUN[:-1]))
        lines = GOOD_RUN[:-1] + ["KTEST DONE 3 passed, 0 failed"]
        self.assertTrue(any("KTEST DONE says 3 passed" in p for p in self.problems(lines)))

    def test_exit_statuses(self):
        self.assertTrue(any("QEMU's own error" in p for p in self.problems(GOOD_RUN, 1)))
        self.assertTrue(any("without being asked" in p for p in self.problems(GOOD_RUN, 0)))
        self.assertTrue(any("SIGKILL" in p for p in self.problems(GOOD_RUN, -9)))

    def test_timeout(self):
        probs = self.problems(GOOD_RUN[:3], -9, timed_out=True)
        self.assertTrue(probs[0].startswith("timeout after 120 s"))

    def test_quit_scenarios(self):
        lines = GOOD_RUN[:4]
        self.assertEqual(self.problems(lines, 0, self.QUIT_SC, quit_requested=True), [])
        self.assertTrue(any("exited before the scenario finished" in p
                            for p in self.problems(lines, 33, self.QUIT_SC)))
        self.assertTrue(any("did not quit cleanly" in p
                            for p in self.problems(lines, 35, self.QUIT_SC, quit_requested=True)))

    def test_boot_result_shows_last_20_lines(self):
        lines = [f"line {i}" for i in range(30)] + ["\x1b[2Jphase 1 (Deaf and Blind): ok"]
        r = S.boot_result(self.SC, S.parse_transcript(lines), -9, timed_out=True)
        self.assertEqual(r.status, S.FAIL)
        self.assertEqual(r.name, "qemu/t/boot")
        shown = r.detail.splitlines()
        self.assertEqual(len(shown), 21)
        self.assertEqual(shown[1], "line 11")
        self.assertEqual(shown[-1], "phase 1 (Deaf and Blind): ok")

    def test_boot_result_without_output(self):
        r = S.boot_result(self.SC, S.parse_transcript([]), 1)
        self.assertIn("(no serial output at all)", r.detail)
        self.assertIn("phases 1, 2, 3 never reported", r.reason)


class UserSuiteVerdictTest(unittest.TestCase):
    """The userspace suite after KTEST DONE: its own summary line must come
    and agree with the TEST lines printed after the kernel's."""
    SC = S.Scenario("u", S.TEST_ISO, utests=True, required_phases=(1, 2, 3))
    HEAD = ["phase 1 (Deaf and Blind): ok", "phase 2 (Can See): ok", "phase 3 (Can Remember): ok",
            "TEST k1 ok", "KTEST DONE 1 passed, 0 failed, 0 skipped"]

    def problems(self, tail, status=Q.EXIT_KERNEL_OK):
        return S.boot_problems(self.SC, S.parse_transcript(self.HEAD + tail), status)

    def test_consistent_suite_passes(self):
        self.assertEqual(self.problems(["TEST basic.a ok", "UTEST DONE 1 groups, 0 failed"]), [])

    def test_missing_summary_fails(self):
        self.assertIn("no 'UTEST DONE' line", self.problems(["TEST basic.a ok"])[0])

    def test_count_mismatch_fails(self):
        probs = self.problems(["TEST basic.a FAIL x", "UTEST DONE 1 groups, 0 failed"])
        self.assertIn("UTEST DONE says 0 failed", probs[0])

    def test_user_failure_with_success_exit_fails(self):
        probs = self.problems(["TEST basic.a FAIL x", "UTEST DONE 1 groups, 1 failed"])
        self.assertIn("init exited with success", probs[0])

    def test_kernel_counts_ignore_user_lines(self):
        self.assertEqual(self.problems(["TEST basic.a ok", "TEST basic.b ok",
                                        "UTEST DONE 1 groups, 0 failed"]), [])


class ScenarioTableTest(unittest.TestCase):
    def test_table_is_well_formed(self):
        names = [s.name for s in S.SCENARIOS]
        self.assertEqual(len(names), len(set(names)))
        for sc in S.SCENARIOS:
            self.assertRegex(sc.name, r"^[A-Za-z0-9._-]+$")
            self.assertIn(sc.firmware, ("bios", "uefi"))
            if sc.custom is not None:           # plug-ins run their own QEMU
                self.assertTrue(callable(sc.custom), sc.name)
                continue
            self.assertIn(sc.iso, (S.TEST_ISO, S.NORMAL_ISO, S.RT_TEST_ISO, S.BENCH_SHORT_ISO)
                          + S.VARIANT_TEST_ISOS)
            self.assertGreater(sc.timeout, 0)
            self.assertTrue(set(sc.required_phases) <= {1, 2, 3, 4, 5})
            self.assertIn(sc.expect_exit, (None, Q.EXIT_KERNEL_OK, Q.EXIT_QUIT))
            if sc.expect_exit is None:
                self.assertFalse(sc.ktests, sc.name)
            if sc.iso in (S.TEST_ISO, S.RT_TEST_ISO) + S.VARIANT_TEST_ISOS:
                self.assertTrue(sc.ktests, sc.name)
                self.assertTrue(sc.utests, sc.name)
            if sc.iso == S.BENCH_SHORT_ISO:
                self.assertFalse(sc.ktests, sc.name)
                self.assertIs(sc.post_run, S.bench_budget_check)
                self.assertEqual(sc.expect_exit, Q.EXIT_KERNEL_OK)

    def test_required_matrix(self):
        by = {s.name: s for s in S.SCENARIOS}
        for name, fw, mem, cpu, smp in (("bios-128M-1cpu-test", "bios", "128M", "max", 1),
                                        ("bios-2G-4cpu-test", "bios", "2G", "max", 4),
                                        ("uefi-128M-4cpu-test", "uefi", "128M", "max", 4),
                                        ("uefi-2G-1cpu-test", "uefi", "2G", "max", 1),
                                        ("bios-qemu64-2cpu-test", "bios", "256M", "qemu64", 2)):
            sc = by[name]
            iso = S.RT_TEST_ISO if fw == "uefi" else S.TEST_ISO
            self.assertEqual((sc.firmware, sc.mem, sc.cpu, sc.smp, sc.iso, sc.expect_exit),
                             (fw, mem, cpu, smp, iso, 33))
            self.assertEqual("-icount" in sc.extra_args, fw == "bios")
            self.assertEqual(tuple(sc.required_phases), (1, 2, 3, 4, 5))
            self.assertTrue(sc.utests)
        for name, smp in (("boot-smp2", 2), ("boot-smp8", 8)):
            self.assertEqual((by[name].smp, by[name].post_boot), (smp, S.cpu_count_check))
        for name, fw in (("fb-bios", "bios"), ("fb-uefi", "uefi")):
            sc = by[name]
            self.assertEqual((sc.firmware, sc.iso, sc.expect_exit), (fw, S.NORMAL_ISO, None))
            self.assertIs(sc.post_boot, S.fb_screen_check)
            self.assertIn(3, sc.required_phases)

    def test_bench_budget_check(self):
        lines = ["bench null_syscall 59", "bench ipc_oneway 300.5", "noise"]
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# op budget\nnull_syscall 60\nipc_oneway 250  # too slow\nmissing_op 10\n")
        old = S.BUDGET_FILE
        S.BUDGET_FILE = f.name
        try:
            res = {r.name: r.status for r in S.bench_budget_check(lines)}
        finally:
            S.BUDGET_FILE = old
            os.unlink(f.name)
        self.assertEqual(res, {"budget.null_syscall": S.PASS, "budget.ipc_oneway": S.FAIL,
                               "budget.missing_op": S.FAIL})

    def test_select(self):
        sel = S.select(S.SCENARIOS, ["fb-*"])
        self.assertEqual([s.name for s in sel], ["fb-bios", "fb-uefi"])
        self.assertEqual(len(S.select(S.SCENARIOS, [])), len(S.SCENARIOS))
        self.assertEqual(S.select(S.SCENARIOS, ["nothing*"]), [])
        both = S.select(S.SCENARIOS, ["*-2G-*", "fb-uefi"])
        self.assertEqual([s.name for s in both], ["bios-2G-4cpu-test", "uefi-2G-1cpu-test", "fb-uefi"])

    def test_qemu_args(self):
        sc = S.Scenario("x", S.TEST_ISO, mem="2G", smp=4, cpu="qemu64", extra_args=("-s",))
        args = S.qemu_args(sc, "/b/m.iso")
        self.assertEqual(args, ["-m", "2G", "-smp", "4", "-cpu", "qemu64", "-cdrom", "/b/m.iso",
                                "-boot", "d", "-s"])
        self.assertNotIn("-enable-kvm", S.qemu_args(S.SCENARIOS[0], "i"))


class FakeRun:
    """Stands in for QemuRun in the framebuffer hook."""

    def __init__(self, fail=False):
        self.fail = fail

    def screendump(self, path):
        if self.fail:
            raise Q.QemuError("monitor did not answer in time")
        with open(path, "wb") as f:
            f.write(b"P6\n1 1\n255\n\0\0\0")


class FbHookTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.tmp, "gen"))
        with open(os.path.join(self.tmp, "gen", "font8x16.bin"), "wb") as f:
            f.write(b"\0" * 4096)
        self.saved = sys.modules.get("fbcheck")

    def tearDown(self):
        shutil.rmtree(self.tmp)
        if self.saved is None:
            sys.modules.pop("fbcheck", None)
        else:
            sys.modules["fbcheck"] = self.saved

    def ctx(self, run=None):
        sc = [s for s in S.SCENARIOS if s.name == "fb-bios"][0]
        return S.RunContext(sc, run or FakeRun(), self.tmp, self.tmp)

    def fake_fbcheck(self, rows, ink):
        mod = types.ModuleType("fbcheck")
        calls = []

        def decode_screen(ppm, font):
            calls.append((ppm, font))
            return rows, ink
        mod.decode_screen = decode_screen
        sys.modules["fbcheck"] = mod
        return calls

    def test_pass(self):
        calls = self.fake_fbcheck(["", "[#00002] phase 2 (Can See): ok \u2014 fb"], 1234)
        res = S.fb_screen_check(self.ctx())
        self.assertEqual([r.status for r in res], [S.PASS])
        self.assertEqual(calls, [(os.path.join(self.tmp, "fb-bios.ppm"),
                                  os.path.join(self.tmp, "gen", "font8x16.bin"))])

    def test_no_ink(self):
        self.fake_fbcheck(["phase 2 (Can See): ok"], 0)
        self.assertEqual(S.fb_screen_check(self.ctx())[0].status, S.FAIL)

    def test_text_missing(self):
        self.fake_fbcheck(["phase 1 (Deaf and Blind): ok", "garbage"], 50)
        r = S.fb_screen_check(self.ctx())[0]
        self.assertEqual(r.status, S.FAIL)
        self.assertIn("garbage", r.detail)

    def test_missing_module_is_a_clear_failure(self):
        sys.modules["fbcheck"] = None       # makes "import fbcheck" raise ImportError
        r = S.fb_screen_check(self.ctx())[0]
        self.assertEqual(r.status, S.FAIL)
        self.assertIn("fbcheck.py", r.reason)

    def test_screendump_error_propagates(self):
        self.fake_fbcheck(["phase 2 (Can See): ok"], 5)
        with self.assertRaises(Q.QemuError):
            S.fb_screen_check(self.ctx(FakeRun(fail=True)))


class ExitAndReportTest(unittest.TestCase):
    def test_describe_exit(self):
        self.assertIn("success", Q.describe_exit(33))
        self.assertIn("failure", Q.describe_exit(35))
        self.assertIn("own error", Q.describe_exit(1))
        self.assertIn("monitor", Q.describe_exit(0, quit_requested=True))
        self.assertIn("without being asked", Q.describe_exit(0))
        self.assertIn("0x2", Q.describe_exit(5))
        self.assertIn("SIGKILL", Q.describe_exit(-9))
        self.assertIn("timeout after 7 s", Q.describe_exit(-9, timed_out=True, timeout=7))
        self.assertEqual(Q.short_exit(33), "exit 33")
        self.assertEqual(Q.short_exit(0, quit_requested=True), "quit")
        self.assertEqual(Q.short_exit(-9, timed_out=True), "timeout")

    def test_firmware_args(self):
        self.assertEqual(Q.firmware_args("bios"), [])
        args = Q.firmware_args("uefi", "/tmp/v.fd")
        self.assertEqual(args, ["-drive", f"if=pflash,format=raw,readonly=on,file={Q.OVMF_CODE}",
                                "-drive", "if=pflash,format=raw,file=/tmp/v.fd"])
        with self.assertRaises(ValueError):
            Q.firmware_args("uefi")
        with self.assertRaises(ValueError):
            Q.firmware_args("coreboot")

    def test_summary_line_and_exit_status(self):
        rep = R.Reporter(out=io.StringIO())
        self.assertEqual(rep.summary_line(), "0 passed, 0 failed")
        self.assertEqual(R.exit_status(rep.counts), 1)          # nothing ran
        rep.add(S.Result("host/t/a", S.PASS), quiet_pass=True)
        rep.add(S.Result("qemu/x/boot", S.PASS))
        self.assertEqual(rep.summary_line(), "2 passed, 0 failed")
        self.assertEqual(R.exit_status(rep.counts), 0)
        rep.add(S.Result("host/t/s", S.SKIP, "why"))
        self.assertEqual(rep.summary_line(), "2 passed, 0 failed, 1 skipped")
        rep.add(S.Result("host/t/b", S.FAIL, "broken", "ctx line"))
        self.assertEqual(rep.summary_line(), "2 passed, 1 failed, 1 skipped")
        self.assertEqual(R.exit_status(rep.counts), 1)
        out = rep.out.getvalue().splitlines()
        self.assertEqual(out, ["PASS qemu/x/boot", "SKIP host/t/s: why",
                               "FAIL host/t/b: broken", "    | ctx line"])

    def test_only_skips_is_a_failure(self):
        self.assertEqual(R.exit_status({S.PASS: 0, S.FAIL: 0, S.SKIP: 3}), 1)

    def test_verbose_shows_host_passes(self):
        rep = R.Reporter(verbose=True, out=io.StringIO())
        rep.add(S.Result("host/t/a", S.PASS), quiet_pass=True)
        self.assertEqual(rep.out.getvalue(), "PASS host/t/a\n")

    def test_phase_table(self):
        sc = S.Scenario("bios-x", S.TEST_ISO)
        rows = R.format_phase_table([S.RunOutcome(sc, [], {1: 0.5, 3: 1.25}, 2.0, "exit 33")])
        self.assertEqual(len(rows), 2)
        self.assertIn("0.50", rows[1])
        self.assertIn("1.25", rows[1])
        self.assertTrue(rows[1].endswith("exit 33"))


# ---------------------------------------------------------------- fake QEMU
FAKE_QEMU = textwrap.dedent(r'''
    import os, socket, sys, threading, time
    args = sys.argv[1:]
    mode = args[args.index("-fake") + 1]
    for a in ("-machine", "-no-reboot", "-display", "-device"):
        if a not in args:
            sys.stderr.write(f"fake-qemu: missing {a}\n"); sys.exit(1)
    if "-enable-kvm" in args:
        sys.stderr.write("fake-qemu: kvm\n"); sys.exit(1)
    if mode == "fail":
        sys.stderr.write("fake-qemu: -bogus: invalid option\n"); sys.exit(1)
    def chardev(name):
        for i, a in enumerate(args):
            if a == "-chardev" and f",id={name}," in "," + args[i + 1] + ",":
                opts = dict(kv.split("=", 1) for kv in args[i + 1].split(",")[1:])
                return opts["path"]
    def connect(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return s
    ser = connect(chardev("mos_serial"))
    mon = connect(chardev("mos_monitor"))
    mon.sendall(b"QEMU 0.0 fake monitor - type 'help'\r\n(qemu) ")
    def monitor():
        buf = b""
        while True:
            data = mon.recv(1024)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                cmd = line.decode().strip()
                mon.sendall(b"\x1b[K" + line + b"\r\n")
                if cmd == "quit":
                    os._exit(0)
                if cmd.startswith("screendump "):
                    with open(cmd.split()[1], "wb") as f:
                        f.write(b"P6\n1 1\n255\n\0\0\0")
                if cmd == "info status":
                    mon.sendall(b"VM status: running\r\n")
                mon.sendall(b"(qemu) ")
    threading.Thread(target=monitor, daemon=True).start()
    def out(text):
        ser.sendall(text.encode())
    out("phase 1 (Deaf and Blind): ok\r\n")
    if mode == "split":
        data = "phase 2 (Can See): ok \u2014 fb\r\n".encode()
        cut = data.index(b"\xe2") + 1          # inside the em dash
        ser.sendall(data[:cut]); time.sleep(0.05); ser.sendall(data[cut:])
        out("partial line without newline")
        time.sleep(0.05)
        os._exit(35)
    out("phase 2 (Can See): ok\r\nphase 3 (Can Remember): ok\r\n")
    if mode == "exit33":
        out("TEST one ok\r\nTEST two FAIL nope\r\nTEST three ok\r\n")
        out("KTEST DONE 2 passed, 1 failed\r\n")
        os._exit(35)
    if mode == "ktest-ok":
        out("TEST one ok\r\nKTEST DONE 1 passed, 0 failed\r\n")
        os._exit(33)
    if mode == "reset":
        os._exit(0)
    out("$ ")
    if mode == "echo":
        while True:
            data = ser.recv(100)
            if not data or b"!" in data:
                os._exit(33)
            ser.sendall(data)
    while True:           # "hang"
        time.sleep(1)
''')


class FakeQemuTest(unittest.TestCase):
    """The driver against a fake QEMU that speaks the same sockets."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fakeqemu-")
        cls.qemu = os.path.join(cls.tmp, "fake-qemu")
        with open(cls.qemu, "w") as f:
            f.write(f"#!{sys.executable}\n" + FAKE_QEMU)
        os.chmod(cls.qemu, 0o755)
        cls.logs = os.path.join(cls.tmp, "logs")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def run_fake(self, mode, timeout=20.0, name=None):
        run = Q.QemuRun(name or f"fake-{mode}", ["-fake", mode], self.logs, timeout=timeout,
                        qemu=self.qemu)
        self.addCleanup(run.stop)
        run.start()
        return run

    def test_exit_status_and_transcript(self):
        run = self.run_fake("exit33")
        self.assertEqual(run.wait(10), 35)
        run.stop()
        texts = [t for _, t in run.lines()]
        self.assertEqual(texts[:3], ["phase 1 (Deaf and Blind): ok", "phase 2 (Can See): ok",
                                     "phase 3 (Can Remember): ok"])
        self.assertEqual(texts[-1], "KTEST DONE 2 passed, 1 failed")
        self.assertFalse(run.timed_out)
        with open(run.log_path, encoding="utf-8") as f:
            self.assertEqual(f.read().splitlines(), texts)
        with open(run.qemu_log_path) as f:
            log = f.read()
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", log)
        self.assertIn("status 35", log)
        self.assertNotIn("-enable-kvm", run.command)

    def test_utf8_split_across_reads_and_final_partial_line(self):
        run = self.run_fake("split")
        self.assertEqual(run.wait(10), 35)
        texts = [t for _, t in run.lines()]
        self.assertEqual(texts[1], "phase 2 (Can See): ok \u2014 fb")
        self.assertEqual(texts[-1], "partial line without newline")

    def test_wait_for_send_monitor_quit(self):
        run = self.run_fake("echo")
        self.assertIsNotNone(run.wait_for(r"phase 3 \(Can Remember\): ok", 10))
        self.assertIsNotNone(run.wait_for(r"\$ $", 10))
        run.send("hello there\n")
        m = run.wait_for(r"hello (\w+)", 10)
        self.assertEqual(m.group(1), "there")
        self.assertIsNone(run.wait_for(r"phase 1", 0.2))     # already consumed
        self.assertEqual(run.monitor("info status"), "VM status: running")
        ppm = os.path.join(self.logs, "fake.ppm")
        run.screendump(ppm)
        self.assertTrue(os.path.exists(ppm))
        self.assertEqual(run.quit(), 0)
        self.assertEqual(run.describe_exit(), Q.describe_exit(0, quit_requested=True))
        with self.assertRaises(Q.QemuError):
            run.monitor("info status")

    def test_guest_exit_while_waiting(self):
        run = self.run_fake("ktest-ok")
        self.assertIsNone(run.wait_for("never printed", 10))   # returns at EOF, not timeout
        self.assertEqual(run.wait(10), 33)

    def test_timeout_kills_qemu(self):
        start = time.monotonic()
        run = self.run_fake("hang", timeout=1.0)
        self.assertIsNone(run.wait_for("never printed", 30))
        self.assertLess(time.monotonic() - start, 15)
        self.assertTrue(run.timed_out)
        self.assertIsNotNone(run.wait(10))
        self.assertEqual(run.short_exit(), "timeout")

    def test_reset_is_not_a_quit(self):
        run = self.run_fake("reset")
        run.wait(10)
        run.quit()              # too late: QEMU went away by itself
        self.assertFalse(run.quit_requested)
        self.assertIn("without being asked", run.describe_exit())

    def test_start_failure_reports_qemu_output(self):
        run = Q.QemuRun("fake-fail", ["-fake", "fail"], self.logs, qemu=self.qemu)
        with self.assertRaises(Q.QemuError) as cm:
            run.start()
        self.assertIn("invalid option", str(cm.exception))
        run.stop()

    def test_run_scenario_end_to_end(self):
        build = os.path.join(self.tmp, "build")
        os.makedirs(build, exist_ok=True)
        open(os.path.join(build, S.TEST_ISO), "w").close()
        open(os.path.join(build, S.NORMAL_ISO), "w").close()
        logs = os.path.join(build, "test-logs")
        sc = S.Scenario("fake-ktest", S.TEST_ISO, extra_args=("-fake", "ktest-ok"), timeout=20)
        o = S.run_scenario(sc, build, logs, qemu_binary=self.qemu)
        self.assertEqual([(r.name, r.status) for r in o.results],
                         [("qemu/fake-ktest/boot", S.PASS), ("qemu/fake-ktest/one", S.PASS)])
        self.assertEqual(sorted(o.phase_times), [1, 2, 3])
        sc = S.Scenario("fake-fail", S.TEST_ISO, extra_args=("-fake", "exit33"), timeout=20)
        o = S.run_scenario(sc, build, logs, qemu_binary=self.qemu)
        self.assertEqual([r.status for r in o.results], [S.FAIL, S.PASS, S.FAIL, S.PASS])
        seen = []

        def hook(ctx):
            seen.append(ctx.qemu.running)
            ctx.qemu.send("x")
            return [S.Result("hooked", S.PASS)]
        sc = S.Scenario("fake-quit", S.NORMAL_ISO, extra_args=("-fake", "echo"), timeout=20,
                        expect_exit=None, ktests=False, post_boot=hook)
        o = S.run_scenario(sc, build, logs, qemu_binary=self.qemu)
        self.assertEqual([(r.name, r.status) for r in o.results],
                         [("qemu/fake-quit/boot", S.PASS), ("qemu/fake-quit/hooked", S.PASS)])
        self.assertEqual(seen, [True])
        self.assertEqual(o.exit_text, "quit")

    def test_run_scenario_hook_exception_and_missing_things(self):
        build = os.path.join(self.tmp, "build2")
        os.makedirs(build, exist_ok=True)
        logs = os.path.join(build, "test-logs")
        sc = S.Scenario("fake-noiso", S.TEST_ISO)
        o = S.run_scenario(sc, build, logs, qemu_binary=self.qemu)
        self.assertEqual([r.status for r in o.results], [S.FAIL])
        self.assertIn("ISO not found", o.results[0].reason)
        open(os.path.join(build, S.NORMAL_ISO), "w").close()

        def hook(ctx):
            raise RuntimeError("hook exploded")
        sc = S.Scenario("fake-boom", S.NORMAL_ISO, extra_args=("-fake", "hang"), timeout=20,
                        expect_exit=None, ktests=False, post_boot=hook)
        o = S.run_scenario(sc, build, logs, qemu_binary=self.qemu)
        self.assertEqual([(r.name, r.status) for r in o.results],
                         [("qemu/fake-boom/boot", S.PASS), ("qemu/fake-boom/post-boot", S.FAIL)])
        self.assertIn("hook exploded", o.results[1].reason)
        sc = S.Scenario("fake-nobinary", S.NORMAL_ISO, expect_exit=None, ktests=False)
        o = S.run_scenario(sc, build, logs, qemu_binary=os.path.join(self.tmp, "no-such-qemu"))
        self.assertEqual([r.status for r in o.results], [S.FAIL])


if __name__ == "__main__":
    unittest.main()
