# SPDX-License-Identifier: MIT
"""scenarios_debug.py - the whole test suite (in-kernel tests, then the
userspace suite) on the debug kernel (docs/testing.md, "Debug build"):
UBSan, heap red zones and lock-order checking, built by mk/debug.mk.

  bios-512M-2cpu-debug-test        variants/debug (gcc), BIOS, -icount, 2 CPUs
  bios-512M-2cpu-debug-clang-test  variants/debug-clang (clang's kernel,
                                   the same initrd), BIOS, -icount, 2 CPUs

Any report of a real failure panics, which fails the boot test. A post-run
check also proves the image really is a debug kernel whose checkers work:
the debug ktests ran, and the reports they plan came out in the expected
format (UBSan's "UBSAN: <kind> at <file>:<line>:<col>" with the values, the
heap's and the lock checker's with callers and both locks' names).

  debug-panic-<kind>               variants/debug/minimalos-debug-panic-<kind>.iso,
                                   1 CPU: kernel/test/ktest_debug_panic.c commits
                                   one bug with no plan armed (ubsan,
                                   heap-overflow, use-after-free, lock-order);
                                   the checker's report, then the PANIC line
                                   naming it, then the failure exit (35) must
                                   come out, and nothing after the bug may
                                   run."""

import dataclasses
import re

import scenarios as S

DEBUG_TEST_ISO = "variants/debug/minimalos-test.iso"
DEBUG_CLANG_TEST_ISO = "variants/debug-clang/minimalos-debug-test.iso"

# They are test images like the nofast and clang variants (ktests + utests).
S.VARIANT_TEST_ISOS = tuple(S.VARIANT_TEST_ISOS) + tuple(
    iso for iso in (DEBUG_TEST_ISO, DEBUG_CLANG_TEST_ISO) if iso not in S.VARIANT_TEST_ISOS)

DEBUG_KTEST_GROUPS = ("debug_ubsan_", "debug_heap_", "debug_lock_")
CMDLINE_RX = re.compile(r'command line "([^"]*)"')
REPORTS = (
    ("report.ubsan", r"UBSAN: signed-integer-overflow at kernel/test/ktest_ubsan\.c:\d+:\d+$",
     r"2147483647 \+ 1 cannot be represented in type 'int'$"),
    ("report.ubsan-shift", r"UBSAN: shift-out-of-bounds at kernel/test/ktest_ubsan\.c:\d+:\d+$",
     r"shift exponent 40 is too large for 32-bit type 'int'$"),
    ("report.heap-overflow", r"kheap: red zone overwritten: kmalloc-32 object 0x[0-9a-f]+ of 24 bytes: "
     r"byte 24 \(in the red zone after it\) .*allocated by ktest_fn_debug_heap_", None),
    ("report.heap-write-after-free", r"kheap: write after free: cache ktest-waf object 0x[0-9a-f]+: "
     r"byte 500 \(in the object\) .*freed by ktest_fn_debug_heap_", None),
    ("report.heap-double-free", r"kheap: double free: cache ktest-dbl object 0x[0-9a-f]+, already freed by "
     r"ktest_fn_debug_heap_", None),
    ("report.lock-order", r"LOCKCHECK: lock-order on CPU \d+: taking 'ktest-vm' \(class vm_space, rank \d+, "
     r"at [^)]*\) while holding 'ktest-pmm' \(class pmm", None),
)
PLANNED_NOTE = "(a failure this test planned: recorded, the kernel goes on)"
REPORT_START_RX = re.compile(r"UBSAN: |kheap: |LOCKCHECK: |\bTEST \S+ (ok|FAIL|SKIP)")


def selected_ktests(lines):
    """The ktest name prefix the image was booted with ("" = all), or None
    when the command line is not in the log."""
    for line in lines:
        m = CMDLINE_RX.search(line)
        if m:
            for word in m.group(1).split():
                if word == "test":
                    return ""
                if word.startswith("test="):
                    return word[len("test="):]
            return None
    return None


def debug_checkers_check(lines):
    """post_run: the debug ktests ran and each kind of report came out, in
    its format, marked as planned. Skipped when KTEST= selected other tests."""
    prefix = selected_ktests(lines)
    if prefix is not None and not any(g.startswith(prefix) or prefix.startswith(g)
                                      for g in DEBUG_KTEST_GROUPS):
        return [S.Result("debug-checkers", S.SKIP, f"the image runs only ktests '{prefix}*'")]
    out = []
    text = "\n".join(lines)
    for group in DEBUG_KTEST_GROUPS:
        if prefix and not group.startswith(prefix) and not prefix.startswith(group):
            continue
        ran = re.findall(rf"TEST ({group}\w+) (?:ok|FAIL)", text)
        out.append(S.Result(f"ran.{group.rstrip('_')}", S.PASS if ran else S.FAIL,
                            f"{len(ran)} tests" if ran else "no such TEST line: not a debug kernel?"))
    if prefix:
        return out
    for name, head_rx, detail_rx in REPORTS:
        found = None
        for i, line in enumerate(lines):
            if re.search(head_rx, line):
                found = i
                break
        if found is None:
            out.append(S.Result(name, S.FAIL, f"no line matches {head_rx!r}"))
            continue
        follow = []
        for x in lines[found + 1:found + 8]:     # this report's own lines
            if REPORT_START_RX.search(x):
                break
            follow.append(x)
        if detail_rx and not any(re.search(detail_rx, x) for x in follow[:1]):
            out.append(S.Result(name, S.FAIL, "the values line is missing or wrong",
                                "\n".join(lines[found:found + 3])))
        elif not any(PLANNED_NOTE in x for x in follow):
            out.append(S.Result(name, S.FAIL, "not followed by the planned-failure note",
                                "\n".join(lines[found:found + 6])))
        else:
            out.append(S.Result(name, S.PASS, lines[found].strip()[:100]))
    return out


# kind -> (the function that commits the bug, the report's first line, its
# second line or None, the PANIC line)
PANIC_KINDS = {
    "ubsan": (
        "bug_ubsan",
        r"UBSAN: signed-integer-overflow at kernel/test/ktest_debug_panic\.c:\d+:\d+$",
        r"2147483647 \+ 1 cannot be represented in type 'int'$",
        r"PANIC on CPU \d+: UBSAN: signed-integer-overflow at kernel/test/ktest_debug_panic\.c:\d+:\d+$"),
    "heap-overflow": (
        "bug_heap_overflow",
        r"kheap: red zone overwritten: kmalloc-32 object 0x[0-9a-f]+ of 24 bytes: byte 24 "
        r"\(in the red zone after it\) is 0xff, not 0xa5; allocated by bug_heap_overflow\+0x",
        None,
        r"PANIC on CPU \d+: kheap: red zone overwritten$"),
    "use-after-free": (
        "bug_use_after_free",
        r"kheap: write after free: cache panic-uaf object 0x[0-9a-f]+: byte 500 \(in the object\) "
        r"is 0x31, not 0x6b; freed by bug_use_after_free\+0x",
        None,
        r"PANIC on CPU \d+: kheap: write after free$"),
    "lock-order": (
        "bug_lock_order",
        r"LOCKCHECK: lock-order on CPU \d+: taking 'panic-vm' \(class vm_space, rank \d+, at "
        r"bug_lock_order\+0x[0-9a-f]+\) while holding 'panic-pmm' \(class pmm, rank \d+, at "
        r"bug_lock_order\+0x",
        r"  locks held by CPU \d+",
        r"PANIC on CPU \d+: LOCKCHECK: lock-order: taking 'panic-vm' .* while holding 'panic-pmm' "),
}
PANIC_START = "debug_panic: committing a {kind} bug with no plan armed"


def panic_iso(kind):
    return f"variants/debug/minimalos-debug-panic-{kind}.iso"


def make_panic_check(kind):
    """post_run of debug-panic-<kind>: in order, the ktest's announcement,
    the checker's report (first line, and second when it has a fixed one),
    the PANIC line with the report's summary, and a backtrace through the
    function that committed the bug; no planned-failure note, and no TEST
    line (the test never returns)."""
    fn, head_rx, second_rx, panic_rx = PANIC_KINDS[kind]
    start = PANIC_START.format(kind=kind)

    def check(lines):
        def find(rx, after, literal=False):
            for i in range(after, len(lines)):
                if (rx in lines[i]) if literal else re.search(rx, lines[i]):
                    return i
            return None

        out = []
        i0 = find(start, 0, literal=True)
        if i0 is None:
            return [S.Result("report", S.FAIL, f"no line {start!r}: the ktest did not run")]
        ih = find(head_rx, i0 + 1)
        if ih is None:
            out.append(S.Result("report", S.FAIL, f"no report line matches {head_rx!r}",
                                "\n".join(lines[i0:i0 + 8])))
        elif second_rx and not (ih + 1 < len(lines) and re.search(second_rx, lines[ih + 1])):
            out.append(S.Result("report", S.FAIL, f"the line after the report does not match "
                                f"{second_rx!r}", "\n".join(lines[ih:ih + 3])))
        else:
            out.append(S.Result("report", S.PASS, lines[ih].strip()[:100]))
        ip = find(panic_rx, (ih if ih is not None else i0) + 1)
        if ip is None:
            out.append(S.Result("panic", S.FAIL, f"no PANIC line matches {panic_rx!r} after the report",
                                "\n".join(lines[i0:i0 + 12])))
        else:
            bt = find(rf"#\d+ 0x[0-9a-f]+ <{fn}\+0x", ip + 1)
            out.append(S.Result("panic", S.PASS if bt is not None else S.FAIL,
                                lines[ip].strip()[:100] if bt is not None
                                else f"the backtrace does not pass through {fn}",
                                "" if bt is not None else "\n".join(lines[ip:ip + 16])))
        bad = [x for x in lines[i0:] if PLANNED_NOTE in x or re.search(r"\bTEST debug_panic\S* ", x)]
        out.append(S.Result("no-return", S.FAIL if bad else S.PASS,
                            f"the kernel went on after the bug: {bad[0].strip()[:100]}" if bad
                            else "nothing ran after the report"))
        return out

    check.kind = kind
    return check


def run_expecting_panic(scenario, build_dir, log_dir, qemu_binary, register):
    """custom: an ordinary boot, judged as usual (phases 1-4, the exit
    status, no fault but the one allowed, the post-run check), only one
    whose success is the kernel's failure exit (35). It is a custom run
    because the scenario table's rules (tests/qemu/test_qemu_driver.py) are
    for images that end in success."""
    return S.run_scenario(dataclasses.replace(scenario, custom=None), build_dir, log_dir,
                          qemu_binary, register)


def _panic_run(kind):
    panic_rx = PANIC_KINDS[kind][3]
    return S.Scenario(name=f"debug-panic-{kind}", iso=panic_iso(kind), mem="128M", smp=1,
                      extra_args=("-nic", "none") + S.ICOUNT, timeout=120.0,
                      required_phases=(1, 2, 3, 4), ktests=False,
                      expect_exit=S.qemu_driver.EXIT_KERNEL_FAIL,
                      allowed_faults=(panic_rx,), post_run=make_panic_check(kind),
                      custom=run_expecting_panic)


def _debug_run(name, iso):
    return S.Scenario(name=name, iso=iso, mem="512M", smp=2, extra_args=("-nic", "none") + S.ICOUNT,
                      timeout=300.0, required_phases=(1, 2, 3, 4, 5), utests=True,
                      post_run=debug_checkers_check)


def scenarios():
    return [
        _debug_run("bios-512M-2cpu-debug-test", DEBUG_TEST_ISO),
        _debug_run("bios-512M-2cpu-debug-clang-test", DEBUG_CLANG_TEST_ISO),
    ] + [_panic_run(kind) for kind in PANIC_KINDS]
