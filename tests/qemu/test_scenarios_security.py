# SPDX-License-Identifier: MIT
"""test_scenarios_security.py - unit tests of scenarios_security.py: the
table rows, the post-run checks on transcript excerpts of real runs, and
the inverted verdict of race-noshootdown (run_scenario replaced by a fake)."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import scenarios as S  # noqa: E402
import scenarios_security as SEC  # noqa: E402

RACE_LINE = ("[    1.160925] [3] race: 100000 rounds, 1 readers on 2 CPUs: 800013 kernel probes (400000 after "
             "a revoke, 0 stale), 100000 user reads (0 stale), 800013 endpoint uses (400000 after, 0 stale); 855 ms")
SMAP_LOG = [
    "[    0.230636] planned fault (test continues) on CPU 0: #PF Page fault (vector 14), error 0x1 "
    "[protection-violation read kernel]",
    "[    0.231000] TEST smap_kernel_read_of_a_user_page_faults ok",
    "[    0.232201] planned fault (test continues) on CPU 0: #PF Page fault (vector 14), error 0x3 "
    "[protection-violation write kernel]",
    "[    0.233000] TEST smap_kernel_write_to_a_user_page_faults ok",
    "[    0.249009] planned fault (test continues) on CPU 0: #PF Page fault (vector 14), error 0x11 "
    "[protection-violation read kernel instruction-fetch]",
    "[    0.330000] TEST smap_smep_kernel_execution_of_a_user_page_faults ok",
    "[    0.331000] TEST smap_copy_routines_reach_the_same_user_page ok",
    "[    0.512000] [3] TEST scramble.proc_create_reads_its_arguments_once ok",
]


def statuses(results):
    return {r.name: r.status for r in results}


class TableTest(unittest.TestCase):
    def test_rows(self):
        by = {s.name: s for s in SEC.scenarios()}
        self.assertEqual(set(by), {"race-long-smp2", "race-long-smp4", "race-noshootdown", "longleak",
                                   "sectest", "secgap-selectors"})
        self.assertEqual(by["race-long-smp2"].smp, 2)
        self.assertEqual(by["race-long-smp4"].smp, 4)
        for sc in by.values():
            self.assertIn(sc.iso, S.VARIANT_TEST_ISOS)
            self.assertIn("-icount", sc.extra_args)
            self.assertTrue(sc.utests and sc.ktests)
        self.assertIs(by["race-noshootdown"].custom, SEC.expect_race_failure)
        self.assertIs(by["secgap-selectors"].custom, SEC.expect_selector_gap)

    def test_registered_once(self):
        names = [s.name for s in S.SCENARIOS]
        self.assertEqual(names.count("race-noshootdown"), 1)


class PostRunTest(unittest.TestCase):
    def test_race_rounds(self):
        self.assertEqual(statuses(SEC.race_rounds_check([RACE_LINE])), {"race-rounds": S.PASS})
        short = RACE_LINE.replace("100000 rounds", "2000 rounds")
        self.assertEqual(statuses(SEC.race_rounds_check([short])), {"race-rounds": S.FAIL})
        self.assertEqual(statuses(SEC.race_rounds_check(["nothing"])), {"race-rounds": S.FAIL})

    def test_longleak_counts(self):
        lines = ["[3] longleak: 100000 capability trees took 530 ms of guest time",
                 "[5] longleak: 100000 grant/revoke cycles took 218 ms of guest time",
                 "[7] longleak: 1000000 IPC round trips took 541 ms of guest time",
                 "[8] longleak: 100000 process cycles took 7826 ms of guest time"]
        self.assertTrue(all(r.status == S.PASS for r in SEC.longleak_counts_check(lines)))
        got = statuses(SEC.longleak_counts_check(lines[1:]))
        self.assertEqual(got["count.capability-trees"], S.FAIL)
        self.assertEqual(got["count.process-cycles"], S.PASS)

    def test_sectest(self):
        self.assertTrue(all(r.status == S.PASS for r in SEC.sectest_check(SMAP_LOG)))
        no_smep = [line for line in SMAP_LOG if "instruction-fetch" not in line]
        self.assertEqual(statuses(SEC.sectest_check(no_smep))["report.smep-fetch"], S.FAIL)
        not_built = [line for line in SMAP_LOG if "TEST" not in line]
        self.assertTrue(any(r.status == S.FAIL and r.name.startswith("ran.") for r in SEC.sectest_check(not_built)))
        no_scramble = [line for line in SMAP_LOG if "scramble" not in line]
        self.assertEqual(statuses(SEC.sectest_check(no_scramble)),
                         {**statuses(SEC.sectest_check(SMAP_LOG)),
                          "ran.scramble.proc_create_reads_its_arguments_once": S.FAIL})


class NoShootdownVerdictTest(unittest.TestCase):
    def run_with(self, results, scenario="race-noshootdown"):
        sc = next(s for s in SEC.scenarios() if s.name == scenario)
        real = S.run_scenario

        def fake(scenario, *args):
            self.assertIsNone(scenario.custom)
            return S.RunOutcome(scenario, results, {}, 1.0, "exit 35")
        S.run_scenario = fake
        try:
            o = sc.custom(sc, "build", "logs", "qemu", None)
        finally:
            S.run_scenario = real
        self.assertEqual(len(o.results), 1)
        return o.results[0].status

    def test_stale_failure_passes(self):
        p = "qemu/race-noshootdown/"
        self.assertEqual(self.run_with([
            S.Result(p + "boot", S.FAIL, "expected exit status 33, got 35"),
            S.Result(p + "race.no_use", S.FAIL, "race.c:342: stale accesses after revoke: 30 kernel probes")]),
            S.PASS)

    def test_pass_or_silence_or_other_failure_fails(self):
        p = "qemu/race-noshootdown/"
        self.assertEqual(self.run_with([S.Result(p + "boot", S.PASS), S.Result(p + "race.no_use", S.PASS)]),
                         S.FAIL)
        self.assertEqual(self.run_with([S.Result(p + "boot", S.FAIL, "timeout")]), S.FAIL)
        self.assertEqual(self.run_with([S.Result(p + "race.no_use", S.FAIL, "timed out after 60000 ms")]),
                         S.FAIL)


    def test_selector_gap(self):
        p = "qemu/secgap-selectors/"
        entry = ("selectors.c:20: at entry DS = 0x23, a fresh thread has 0x0 (the polluter loaded 0x23)")
        held = "selectors.c:27: check 0: selector 3 = 0x23 after a switch, was 0x0"
        name = "secgap.segment_selectors_do_not_pass_between_processes"
        run = lambda *r: self.run_with(list(r), "secgap-selectors")  # noqa: E731
        self.assertEqual(run(S.Result(p + "boot", S.FAIL, "exit 35"), S.Result(p + name, S.FAIL, entry)), S.PASS)
        self.assertEqual(run(S.Result(p + name, S.FAIL, held)), S.PASS)
        self.assertEqual(run(S.Result(p + "boot", S.PASS), S.Result(p + name, S.PASS)), S.FAIL)   # fixed
        self.assertEqual(run(S.Result(p + name, S.FAIL, "the polluter does not run (0)")), S.FAIL)
        self.assertEqual(run(S.Result(p + "boot", S.FAIL, "timeout")), S.FAIL)


if __name__ == "__main__":
    unittest.main()
