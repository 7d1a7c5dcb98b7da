# SPDX-License-Identifier: MIT
"""scenarios_limshim.py - the kernel's Limine entry, run in `make test`
without Limine: tools/limshim (a test loader GRUB boots by Multiboot2) loads
kernel.elf at physical 0x1055000, builds Limine-style page tables (HHDM, the
image at its link address, no lower half) and responses, and jumps to the
ELF entry (docs/limine.md, "Testing without Limine"). Images from
mk/limshim.mk, in variants/limshim/:

  limshim-bios-2cpu-test  limshim-test.iso, "test=vmm utest=mem realtime" (no
                          -icount; the image's kernel and initrd are the
                          main build's), -smp 2: phases
                          1-5, the vmm ktests and the mem user group pass; the
                          phase 2 line says "limine via limshim"; the kernel
                          found no fault in the responses (no "limine:"
                          warning) and took the command line, RSDP and
                          framebuffer from them; the initrd, found by its path
                          alone behind another module, is module 0
  limshim-refuse          limshim-refuse.iso (base revision left unaccepted,
                          no kernel address response, an absurd memory map
                          entry count, 5-level paging claimed): the kernel
                          names each problem, stops in phase 2 with its plain-
                          words refusal and leaves QEMU with status 35
  limshim-nohhdm          limshim-nohhdm.iso (no HHDM response): the refusal,
                          then the kernel halts (without an HHDM it cannot
                          read the command line, so it cannot know it is a
                          test run); we stop QEMU once the refusal is out
"""

import os
import re
import time

import qemu as qemu_driver
import scenarios as S

LIMSHIM_DIR = "variants/limshim"
TEST_ISO = f"{LIMSHIM_DIR}/limshim-test.iso"
REFUSE_ISO = f"{LIMSHIM_DIR}/limshim-refuse.iso"
NOHHDM_ISO = f"{LIMSHIM_DIR}/limshim-nohhdm.iso"

S.VARIANT_TEST_ISOS = tuple(S.VARIANT_TEST_ISOS) + tuple(
    iso for iso in (TEST_ISO,) if iso not in S.VARIANT_TEST_ISOS)

REFUSAL_LINE = "MinimalOS: cannot boot from this Limine: "
STOPPED_LINE = "phase 2 (Can See): FAILED \u2014 the Limine boot information is unusable"
# What the kernel must say for each thing limshim withholds or breaks.
REFUSE_EXPECTED = (
    ("refused.revision", "limine: cannot boot: the loader did not accept base revision 2"),
    ("refused.memmap", "limine: cannot boot: the memory map claims 100000 entries"),
    ("refused.kernel-address", "limine: cannot boot: no answer to the kernel address request"),
    ("refused.paging-mode", "limine: cannot boot: the loader enabled paging mode 1 (5-level)"),
)
NOHHDM_EXPECTED = (
    ("refused.hhdm", "limine: cannot boot: no answer to the HHDM request"),
)
MODULE_RX = re.compile(r'^\s*module "([^"]*)" at (0x[0-9a-f]+), (\d+) bytes')


def positive_check(lines):
    """post_run of limshim-bios-2cpu-test: the loader is named, the kernel
    saw nothing malformed, limshim put the image where it said, and the
    initrd (by path only) became module 0 with the decoy module after it."""
    out = []
    t = S.parse_transcript(lines)
    ph = t.phases.get(2, (None,))[0]
    if ph is not None and ph.status == "ok" and ph.summary.startswith("limine via limshim"):
        out.append(S.Result("loader-named", S.PASS, ph.summary))
    else:
        out.append(S.Result("loader-named", S.FAIL, "phase 2 does not say 'limine via limshim': "
                            + (f"{ph.status} \u2014 {ph.summary}" if ph else "no phase 2 line")))
    warned = [x for x in lines if "boot: warning: limine:" in x]
    out.append(S.Result("no-warnings", S.FAIL if warned else S.PASS,
                        f"{len(warned)} warnings about the responses" if warned else "",
                        "\n".join(warned[:10])))
    placed = [x for x in lines if "limshim: kernel " in x and "at physical 0x1055000" in x]
    out.append(S.Result("placed-at-0x1055000", S.PASS if placed else S.FAIL,
                        "" if placed else "limshim did not report the image at 0x1055000"))
    want = (("command line", 'boot: loader "limshim 1.0" (limine), command line "test=vmm'),
            ("RSDP", "  ACPI RSDP revision "), ("framebuffer", "  framebuffer 1024x768x32 at "))
    missing = [what for what, text in want if not any(text in x for x in lines)]
    out.append(S.Result("optional-responses", S.FAIL if missing else S.PASS,
                        f"not taken from the responses: {', '.join(missing)}" if missing
                        else "command line, RSDP and framebuffer taken"))
    mods = [m.group(1) for m in (MODULE_RX.match(x.split("] ", 1)[-1]) for x in lines) if m]
    if mods[:1] == ["initrd"] and "notes" in mods:
        out.append(S.Result("initrd-by-path", S.PASS, ", ".join(mods)))
    else:
        out.append(S.Result("initrd-by-path", S.FAIL,
                            f"modules {mods}: expected the initrd first, then 'notes'"))
    return out


def _refusal_run(scenario, build_dir, log_dir, qemu_binary, register, expected, exits):
    """Boot an image whose loader misbehaves; judge the refusal. exits: the
    kernel ends the run itself (status 35), else it halts and we quit QEMU
    once the refusal is out (plus a second to see it stays quiet)."""
    prefix = f"qemu/{scenario.name}/"
    iso = os.path.join(build_dir, scenario.iso)
    if not os.path.exists(iso):
        return S.RunOutcome(scenario, [S.Result(prefix + "boot", S.FAIL, f"ISO not found: {iso}")],
                            {}, 0.0, "not started")
    run = qemu_driver.QemuRun(scenario.name, S.qemu_args(scenario, iso), log_dir,
                              timeout=scenario.timeout, firmware=scenario.firmware, qemu=qemu_binary)
    try:
        if register:
            register(run)
        run.start()
        if exits:
            status = run.wait(scenario.timeout + 30)
        else:
            run.wait_for(re.escape(STOPPED_LINE), scenario.timeout)
            time.sleep(1.0)
            still = run.running
            status = run.quit() if still else run.wait(5)
    finally:
        run.stop()
    lines = [S.printable(x[1] if isinstance(x, tuple) else x) for x in run.lines()]
    t = S.parse_transcript(lines)
    problems = []
    if run.timed_out:
        problems.append(qemu_driver.describe_exit(status, run.quit_requested, True, scenario.timeout))
    elif exits and status != qemu_driver.EXIT_KERNEL_FAIL:
        problems.append(f"expected exit status {qemu_driver.EXIT_KERNEL_FAIL}, got {status}: "
                        + qemu_driver.describe_exit(status, run.quit_requested))
    elif not exits and not still:
        problems.append("QEMU exited instead of halting: "
                        + qemu_driver.describe_exit(status, run.quit_requested))
    if t.faults:
        problems.append(f"fault: {t.faults[0][1].strip()}")
    if 1 not in t.phases or t.phases[1][0].status != "ok":
        problems.append("phase 1 did not report ok")
    if any(n in t.phases for n in (3, 4, 5)):
        problems.append("the kernel went past phase 2")
    if not any(STOPPED_LINE in x for x in lines):
        problems.append("no 'phase 2 ... FAILED' line")
    tail = "\n".join(lines[-20:])
    results = [S.Result(prefix + "boot", S.FAIL if problems else S.PASS,
                        "; ".join(problems) or f"refused and stopped (status {status})",
                        tail if problems else "")]
    refusal = [x for x in lines if REFUSAL_LINE in x]
    first = expected[0][1].split("cannot boot: ", 1)[1]
    ok = bool(refusal) and first in refusal[0]
    results.append(S.Result(prefix + "refusal-line", S.PASS if ok else S.FAIL,
                            refusal[0].strip() if ok else f"no '{REFUSAL_LINE}{first}...' line", tail))
    for name, text in expected:
        hit = [x for x in lines if text in x]
        results.append(S.Result(prefix + name, S.PASS if hit else S.FAIL,
                                hit[0].strip() if hit else f"no line saying '{text}'",
                                "" if hit else tail))
    return S.RunOutcome(scenario, results, {}, run.elapsed(), run.short_exit())


def refuse_run(scenario, build_dir, log_dir, qemu_binary, register):
    return _refusal_run(scenario, build_dir, log_dir, qemu_binary, register, REFUSE_EXPECTED, True)


def nohhdm_run(scenario, build_dir, log_dir, qemu_binary, register):
    return _refusal_run(scenario, build_dir, log_dir, qemu_binary, register, NOHHDM_EXPECTED, False)


def scenarios():
    # Plain TCG, no -icount: these runs check no timing, and SeaBIOS and GRUB
    # loading three modules take several times longer under -icount.
    args = ("-nic", "none")
    return [
        S.Scenario(name="limshim-bios-2cpu-test", iso=TEST_ISO, mem="512M", smp=2, extra_args=args,
                   timeout=180.0, required_phases=(1, 2, 3, 4, 5), utests=True,
                   post_run=positive_check),
        S.Scenario(name="limshim-refuse", iso=REFUSE_ISO, mem="256M", extra_args=args,
                   timeout=120.0, required_phases=(1,), ktests=False, custom=refuse_run),
        S.Scenario(name="limshim-nohhdm", iso=NOHHDM_ISO, mem="256M", extra_args=args,
                   timeout=120.0, required_phases=(1,), ktests=False, custom=nohhdm_run),
    ]
