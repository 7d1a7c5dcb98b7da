# SPDX-License-Identifier: MIT
"""test_limine_scenarios.py - unit tests of limine_scenarios.py without
Limine or QEMU: the skip without LIMINE_DIR, a failed build, the phase-2
verdict, and the scenario table."""

import os
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import limine_scenarios as L  # noqa: E402
import scenarios as S  # noqa: E402


class SkipAndBuild(unittest.TestCase):
    def test_skipped_without_limine_dir(self):
        for env in ({}, {"LIMINE_DIR": ""}, {"LIMINE_DIR": "   "}):
            res = L.run_limine_scenarios("build", "build/test-logs", env=env)
            self.assertEqual(len(res), 1)
            self.assertEqual(res[0].status, S.SKIP)
            self.assertEqual(res[0].name, "qemu/limine/boot")
            self.assertIn("LIMINE_DIR", res[0].reason)

    def test_failed_build_is_a_failure(self):
        with tempfile.TemporaryDirectory() as d:
            res = L.run_limine_scenarios(d, os.path.join(d, "logs"),
                                         env={"LIMINE_DIR": d}, make="false")
        self.assertEqual([(r.name, r.status) for r in res], [("qemu/limine/build", S.FAIL)])

    def test_missing_iso_fails_both_boots(self):
        with tempfile.TemporaryDirectory() as d:
            res = L.run_limine_scenarios(d, os.path.join(d, "logs"),
                                         env={"LIMINE_DIR": d}, make="true")
        names = {r.name: r for r in res}
        self.assertEqual(names["qemu/limine/build"].status, S.PASS)
        for fw in ("bios", "uefi"):
            r = names[f"qemu/limine-{fw}/boot"]
            self.assertEqual(r.status, S.FAIL)
            self.assertIn("ISO not found", r.reason)


class Plugin(unittest.TestCase):
    def test_rows_skip_without_limine_dir(self):
        rows = L.plugin_scenarios()
        self.assertEqual([r.name for r in rows], ["limine-bios", "limine-uefi"])
        with mock.patch.dict(os.environ, {}, clear=True):
            for r in rows:
                out = S.run_scenario(r, "build", "build/test-logs")
                self.assertEqual([(x.name, x.status) for x in out.results],
                                 [(f"qemu/{r.name}/boot", S.SKIP)])

    def test_rows_build_once_then_boot(self):
        calls = []

        def fake_build(build_dir, limine_dir, make="make", timeout=0):
            calls.append((build_dir, limine_dir))
            return True, "built"
        with tempfile.TemporaryDirectory() as d, \
                mock.patch.dict(os.environ, {"LIMINE_DIR": d}), \
                mock.patch.object(L, "build_limine_iso", fake_build):
            L._built.clear()
            outs = [S.run_scenario(r, d, os.path.join(d, "logs")) for r in L.plugin_scenarios()]
            L._built.clear()
        self.assertEqual(len(calls), 1)
        for out in outs:        # built "successfully", but no ISO: the boot fails
            self.assertEqual(out.results[0].status, S.FAIL)
            self.assertIn("ISO not found", out.results[0].reason)


class Phase2(unittest.TestCase):
    def test_limine_named(self):
        r = L.phase2_result([
            "[#00001] phase 1 (Deaf and Blind): ok \u2014 COM1 115200 8N1, CPU tables loaded",
            "[#00014] phase 2 (Can See): ok \u2014 limine via Limine 8.7.0, framebuffer console",
        ])
        self.assertEqual(r.status, S.PASS)
        self.assertEqual(r.reason, "Limine 8.7.0")

    def test_other_loader_or_failure(self):
        for line in ("phase 2 (Can See): ok \u2014 multiboot2 via GRUB 2.06, framebuffer console",
                     "phase 2 (Can See): ok \u2014 limine via unknown, no framebuffer",
                     "phase 2 (Can See): FAILED \u2014 the Limine boot information is unusable"):
            self.assertEqual(L.phase2_result([(0.5, line)]).status, S.FAIL, line)
        self.assertEqual(L.phase2_result(["phase 1 (Deaf and Blind): ok"]).status, S.FAIL)


class Table(unittest.TestCase):
    def test_bios_and_uefi_need_all_phases(self):
        table = L.limine_scenarios()
        self.assertEqual(sorted(s.firmware for s in table), ["bios", "uefi"])
        for s in table:
            self.assertEqual(s.iso, "minimalos-limine.iso")
            self.assertEqual(s.required_phases, (1, 2, 3, 4, 5))
            self.assertIsNone(s.expect_exit)
            self.assertFalse(s.ktests)
            self.assertIs(s.post_boot, L.phase2_names_limine)
            self.assertTrue(s.name.startswith("limine-"))
        self.assertEqual(L.phase2_names_limine.test_name, "loader-named")


if __name__ == "__main__":
    unittest.main()
