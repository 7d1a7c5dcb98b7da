# SPDX-License-Identifier: MIT
"""test_scenarios_debug.py - unit tests of scenarios_debug.py: the debug
scenarios' table rows and the post-run check that proves the debug
checkers ran and reported, on transcript excerpts of a real run."""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import scenarios as S  # noqa: E402
import scenarios_debug as D  # noqa: E402

BOOT = '[#00002] boot: loader "GRUB 2.06-13+deb12u2" (multiboot2), command line "test"'
GOOD = [
    BOOT,
    "[    0.358876] kheap: double free: cache ktest-dbl object 0xffff8000004951f0, already freed by "
    "ktest_fn_debug_heap_double_free_is_reported+0x9c",
    "[    0.359219]   (a failure this test planned: recorded, the kernel goes on)",
    "[    0.359991] TEST debug_heap_double_free_is_reported ok",
    "[    0.360429] kheap: red zone overwritten: kmalloc-32 object 0xffff8000004971e0 of 24 bytes: byte 24 "
    "(in the red zone after it) is 0xff, not 0xa5; allocated by "
    "ktest_fn_debug_heap_overflow_into_red_zone_is_reported+0x21",
    "[    0.360928]   (a failure this test planned: recorded, the kernel goes on)",
    "[    0.391207] kheap: write after free: cache ktest-waf object 0xffff80000049a460: byte 500 (in the "
    "object) is 0x31, not 0x6b; freed by ktest_fn_debug_heap_write_after_free_is_reported+0x92",
    "[    0.399777]   (a failure this test planned: recorded, the kernel goes on)",
    "[    0.583216] LOCKCHECK: lock-order on CPU 0: taking 'ktest-vm' (class vm_space, rank 40, at "
    "ktest_fn_debug_lock_inversion_is_caught+0x9a) while holding 'ktest-pmm' (class pmm, rank 50, at "
    "ktest_fn_debug_lock_inversion_is_caught+0x86)",
    "[    0.593078]   locks held by CPU 0 (oldest first):",
    "[    0.593078]     'ktest-pmm' (class pmm, rank 50, at ktest_fn_debug_lock_inversion_is_caught+0x86)",
    "[    0.602862]   (a failure this test planned: recorded, the kernel goes on)",
    "[    0.689259] TEST debug_lock_inversion_is_caught ok",
    "[    1.167312] UBSAN: shift-out-of-bounds at kernel/test/ktest_ubsan.c:84:5",
    "[    1.167312]   shift exponent 40 is too large for 32-bit type 'int'",
    "[    1.175459]   (a failure this test planned: recorded, the kernel goes on)",
    "[    1.248359] UBSAN: signed-integer-overflow at kernel/test/ktest_ubsan.c:76:5",
    "[    1.256350]   2147483647 + 1 cannot be represented in type 'int'",
    "[    1.264340]   (a failure this test planned: recorded, the kernel goes on)",
    "[    1.343307] TEST debug_ubsan_signed_overflow_is_reported ok",
]


def statuses(results):
    return {r.name: r.status for r in results}


class DebugCheckTest(unittest.TestCase):
    def test_a_real_transcript_passes(self):
        got = statuses(D.debug_checkers_check(GOOD))
        self.assertEqual(set(got.values()), {S.PASS}, got)
        self.assertEqual(len(got), 3 + len(D.REPORTS))

    def test_a_normal_kernel_fails(self):
        got = statuses(D.debug_checkers_check([BOOT, "[ 1.0] TEST heap_x ok", "KTEST DONE 1 passed, 0 failed"]))
        self.assertEqual(got["ran.debug_ubsan"], S.FAIL)
        self.assertEqual(got["report.lock-order"], S.FAIL)

    def test_a_missing_value_line_or_note_fails(self):
        lines = [x for x in GOOD if "2147483647 + 1" not in x]
        self.assertEqual(statuses(D.debug_checkers_check(lines))["report.ubsan"], S.FAIL)
        lines = list(GOOD)
        i = lines.index(next(x for x in lines if "kheap: double free" in x))
        del lines[i + 1]
        self.assertEqual(statuses(D.debug_checkers_check(lines))["report.heap-double-free"], S.FAIL)

    def test_ktest_selection(self):
        other = [BOOT.replace('"test"', '"test=sched_"')]
        got = D.debug_checkers_check(other)
        self.assertEqual([r.status for r in got], [S.SKIP])
        only = [BOOT.replace('"test"', '"test=debug_heap"')] + GOOD[1:]
        got = statuses(D.debug_checkers_check(only))
        self.assertEqual(got, {"ran.debug_heap": S.PASS})
        self.assertEqual(D.selected_ktests([BOOT]), "")
        self.assertIsNone(D.selected_ktests(["nothing"]))


PANIC_UBSAN = [
    '[#00002] boot: loader "GRUB 2.06-13+deb12u2" (multiboot2), command line "test=debug_panic kcheck_panic=ubsan"',
    "[    0.261807] debug_panic: committing a ubsan bug with no plan armed: the kernel must panic",
    "[    0.262018] UBSAN: signed-integer-overflow at kernel/test/ktest_debug_panic.c:29:22",
    "[    0.262231]   2147483647 + 1 cannot be represented in type 'int'",
    "[    0.262382] PANIC on CPU 0: UBSAN: signed-integer-overflow at kernel/test/ktest_debug_panic.c:29:22",
    "[    0.262625]   CPU 0  RSP 0xfffffe0000018a40  RBP 0xfffffe0000018a40  RFLAGS 0x46",
    "[    0.262953]   backtrace:",
    "[    0.263024]     #0 0xffffffff80243078 <panic+0x98>",
    "[    0.263150]     #1 0xffffffff8023d316 <kcheck_end+0xe6>",
    "[    0.263287]     #2 0xffffffff8023e149 <report+0x149>",
    "[    0.263300]     #3 0xffffffff8023e6df <overflow+0x8f>",
    "[    0.263400]     #4 0xffffffff80281fab <bug_ubsan+0x3b>",
    "[    0.263500]     #5 0xffffffff8028214f <ktest_fn_debug_panic_on_an_unplanned_failure+0x19f>",
]
PANIC_LOCK = [
    "[    0.260209] debug_panic: committing a lock-order bug with no plan armed: the kernel must panic",
    "[    0.260446] LOCKCHECK: lock-order on CPU 0: taking 'panic-vm' (class vm_space, rank 40, at "
    "bug_lock_order+0x32) while holding 'panic-pmm' (class pmm, rank 50, at bug_lock_order+0x1e)",
    "[    0.260862]   locks held by CPU 0 (oldest first):",
    "[    0.260983]     'panic-pmm' (class pmm, rank 50, at bug_lock_order+0x1e)",
    "[    0.261164] PANIC on CPU 0: LOCKCHECK: lock-order: taking 'panic-vm' (class vm_space, rank 40, at "
    "bug_lock_order+0x32) while holding 'panic-pmm' (class pmm, rank 50, at bug_lock_order+0x1e)",
    "[    0.261925]   backtrace:",
    "[    0.262552]     #4 0xffffffff80282422 <bug_lock_order+0x32>",
]


class PanicCheckTest(unittest.TestCase):
    def test_real_transcripts_pass(self):
        got = statuses(D.make_panic_check("ubsan")(PANIC_UBSAN))
        self.assertEqual(got, {"report": S.PASS, "panic": S.PASS, "no-return": S.PASS})
        got = statuses(D.make_panic_check("lock-order")(PANIC_LOCK))
        self.assertEqual(set(got.values()), {S.PASS}, got)

    def test_no_panic_fails(self):
        lines = [x for x in PANIC_UBSAN if "PANIC" not in x]
        self.assertEqual(statuses(D.make_panic_check("ubsan")(lines))["panic"], S.FAIL)

    def test_a_kernel_that_went_on_fails(self):
        lines = PANIC_UBSAN[:4] + ["[    0.3]   (a failure this test planned: recorded, the kernel goes on)",
                                   "[    0.4] TEST debug_panic_on_an_unplanned_failure FAIL x"]
        got = statuses(D.make_panic_check("ubsan")(lines))
        self.assertEqual((got["report"], got["panic"], got["no-return"]), (S.PASS, S.FAIL, S.FAIL))

    def test_wrong_kind_or_no_run_fails(self):
        self.assertEqual(statuses(D.make_panic_check("use-after-free")(PANIC_UBSAN)),
                         {"report": S.FAIL})
        got = statuses(D.make_panic_check("lock-order")(PANIC_LOCK[:2] + PANIC_LOCK[4:]))
        self.assertEqual(got["report"], S.FAIL)            # the held-locks line is missing

    def test_backtrace_must_pass_through_the_bug(self):
        lines = [x for x in PANIC_UBSAN if "<bug_ubsan+" not in x]
        self.assertEqual(statuses(D.make_panic_check("ubsan")(lines))["panic"], S.FAIL)

    def test_rows(self):
        by = {s.name: s for s in S.SCENARIOS}
        for kind in ("ubsan", "heap-overflow", "use-after-free", "lock-order"):
            sc = by[f"debug-panic-{kind}"]
            self.assertEqual((sc.iso, sc.expect_exit, sc.ktests), (D.panic_iso(kind), 35, False))
            self.assertEqual(sc.post_run.kind, kind)
            self.assertEqual(len(sc.allowed_faults), 1)
            self.assertIs(sc.custom, D.run_expecting_panic)
            # the allowed fault is exactly the expected PANIC line, nothing broader
            self.assertFalse(any(re.search(sc.allowed_faults[0], x)
                                 for x in ("PANIC on CPU 0: ASSERTION FAILED: x", "PANIC on CPU 1: kheap: double free")))


class TableTest(unittest.TestCase):
    def test_rows(self):
        by = {s.name: s for s in S.SCENARIOS}
        for name, iso in (("bios-512M-2cpu-debug-test", D.DEBUG_TEST_ISO),
                          ("bios-512M-2cpu-debug-clang-test", D.DEBUG_CLANG_TEST_ISO)):
            sc = by[name]
            self.assertEqual((sc.iso, sc.firmware, sc.smp, sc.expect_exit), (iso, "bios", 2, 33))
            self.assertIn("-icount", sc.extra_args)
            self.assertTrue(sc.ktests and sc.utests)
            self.assertEqual(tuple(sc.required_phases), (1, 2, 3, 4, 5))
            self.assertIs(sc.post_run, D.debug_checkers_check)
            self.assertIn(iso, S.VARIANT_TEST_ISOS)


if __name__ == "__main__":
    unittest.main()
