# SPDX-License-Identifier: MIT
"""scenarios_netdrv.py - the PCI service and the virtio-net driver under QEMU
(docs/network.md "PCI service", "virtio-net driver").

Three boots, all with -icount (deterministic, and single-threaded TCG: QEMU
7.2's multi-threaded TCG can crash in memory_region_dispatch_write when a
BAR is remapped while another vCPU does I/O, see docs/network.md):

  netdrv-pc     the normal image on -machine pc with a modern-only
                virtio-net-pci: the pci service's lines (the NIC, its BARs
                with sizes, its interrupt), init claiming the device for the
                driver and what it passes on, the driver's MAC and "link up".
  netdrv-nonic  the normal image with -nic none: the pci service says there
                is no network controller, init does not start the driver and
                says why, and the boot goes on (the shell prompt).
  netdrv-raw    the driver test image (minimalos-nettest.iso: init.conf
                replaced by /etc/nettest.conf) on -machine q35: nettest-raw
                exchanges ARP with QEMU's slirp through the driver, checks
                what the driver, the pci service and itself hold, kills the
                pci service and the driver and checks both come back; its
                "TEST netdrv/..." lines are results of their own. Here also:
                nettest-raw finished with 0 failures, the driver took
                interrupts, lspci listed the NIC as claimed.
"""

import dataclasses
import re

import scenarios as S
from scenarios import FAIL, PASS, Result, Scenario

NETTEST_ISO = "minimalos-nettest.iso"
NIC = ("-device", "virtio-net-pci,disable-legacy=on,netdev=n0", "-netdev", "user,id=n0,restrict=on")
ICOUNT = ("-icount", "shift=0,sleep=off")
WAIT = 60.0


def _texts(lines):
    return [t if isinstance(t, str) else t[1] for t in lines]


def _first(rx, texts):
    for t in texts:
        m = rx.search(t)
        if m:
            return m
    return None


def _wait_for_all(ctx, patterns, timeout=WAIT):
    """Wait until every pattern matches some line (or a fault line shows
    up); return the lines' texts."""
    rxs = [re.compile(p) for p in patterns]

    def done(lines):
        texts = _texts(lines)
        if any(S.is_fault_line(t) for t in texts):
            return True
        return all(_first(rx, texts) for rx in rxs)

    ctx.qemu.wait_lines(done, timeout)
    return [S.printable(t) for t in _texts(ctx.qemu.lines())]


def _check(results, name, texts, *patterns, why=""):
    """One result: pass if every pattern matches a line; the reason quotes
    the first line of each (or says what is missing)."""
    got = []
    for p in patterns:
        m = _first(re.compile(p), texts)
        if not m:
            results.append(Result(name, FAIL, f"no line matches {p!r}" + (f" ({why})" if why else ""),
                                  "\n".join(texts[-25:])))
            return None
        got.append(m)
    results.append(Result(name, PASS, " | ".join(m.string.strip()[-90:] for m in got[:2])))
    return got


def _no_line(results, name, texts, pattern, why):
    rx = re.compile(pattern)
    bad = [t for t in texts if rx.search(t)]
    if bad:
        results.append(Result(name, FAIL, f"{why}: {bad[0].strip()}"))
    else:
        results.append(Result(name, PASS, why.replace("unexpected ", "no ")))


# ---------------------------------------------------------------- hooks
def pc_boot_check(ctx):
    texts = _wait_for_all(ctx, [r"virtio-net: link (up|down)", r"init: started virtio-net"])
    r = []
    _check(r, "pci-lists-the-nic", texts,
           r"pci: 00:03\.0 1af4:1041 ethernet \(02\.00\.00\) rev [0-9a-f]{2}, irq \d+ \(INTA\)$",
           r"pci:   bar4 mem64 prefetchable 0x[0-9a-f]+ size 16 KiB$",
           r"pci:   bar1 mem32 0x[0-9a-f]+ size 4 KiB$",
           r"pci: 00:00\.0 8086:1237 host bridge",
           r"pci: \d+ functions on 1 bus$")
    _check(r, "init-gives-the-driver-its-device", texts,
           r"init: virtio-net: PCI 1af4:1041 at 00:03\.0: bar1 bar4 irq \d+$",
           r"init: started virtio-net \(pid \d+\) with caps ep bar1 bar4 irq pcidev$")
    _check(r, "driver-link-up", texts,
           r"virtio-net: MAC 52:54:00:12:34:56$",
           r"virtio-net: link up$",
           r"virtio-net: 00:03\.0, features 0x100010020 .*queues rx 256 tx 256, irq \d+$")
    _no_line(r, "driver-stays-up", texts, r"init: service (pci|virtio-net) (died|not started|cannot)",
             "unexpected death of the pci service or the driver")
    return r


pc_boot_check.test_name = "pci-lists-the-nic"


def nonic_boot_check(ctx):
    texts = _wait_for_all(ctx, [r"init: service virtio-net not started", r"pci: \d+ functions? on"])
    r = []
    _check(r, "pci-says-no-nic", texts, r"pci: \d+ functions? on 1 bus; no network controller$")
    _check(r, "init-explains-no-driver", texts,
           r"init: service virtio-net not started: no PCI device 1af4:1041 on this machine$")
    _no_line(r, "no-driver-without-device", texts, r"init: started virtio-net|virtio-net: ",
             "unexpected driver start without a device")
    # The rest of the system came up all the same.
    _check(r, "boot-goes-on", _wait_for_all(ctx, [r"init: started shell"]), r"init: started shell \(pid \d+\)")
    return r


nonic_boot_check.test_name = "pci-says-no-nic"


def raw_check(ctx):
    texts = _wait_for_all(ctx, [r"NETTEST DONE \d+ passed, \d+ failed"], timeout=90.0)
    r = []
    done = _first(re.compile(r"NETTEST DONE (\d+) passed, (\d+) failed"), texts)
    if not done:
        r.append(Result("nettest-finished", FAIL, "no 'NETTEST DONE' line", "\n".join(texts[-30:])))
    elif int(done.group(2)) or int(done.group(1)) < 15:
        r.append(Result("nettest-finished", FAIL, done.group(0)))
    else:
        r.append(Result("nettest-finished", PASS, done.group(0)))
    irq = _first(re.compile(r"virtio-net: netstack detached \((\d+) interrupts so far; rx (\d+), tx (\d+)"), texts)
    if not irq:
        r.append(Result("driver-took-interrupts", FAIL, "no 'netstack detached' line"))
    elif int(irq.group(1)) < 1 or int(irq.group(2)) < 1:
        r.append(Result("driver-took-interrupts", FAIL, irq.group(0)))
    else:
        r.append(Result("driver-took-interrupts", PASS, irq.group(0)))
    _check(r, "lspci-lists-the-claimed-nic", texts,
           r"00:02\.0  1af4:1041  ethernet\s+02\.00\.00  irq \d+A\s+\[driver\]$", r"lspci: \d+ functions$")
    _check(r, "driver-restarted-clean", texts, r"virtio-net: 00:02\.0, .*\(restarted\)$")
    return r


raw_check.test_name = "nettest-finished"


def _own_image(scenario, build_dir, log_dir, qemu_binary, register):
    """`custom` runner for a scenario on an image of this plug-in's own
    (the scenario table admits only the standard images for plain rows):
    an ordinary run_scenario() of the same row."""
    return S.run_scenario(dataclasses.replace(scenario, custom=None), build_dir, log_dir, qemu_binary, register)


def scenarios():
    common = dict(mem="256M", required_phases=(1, 2, 3, 4, 5), expect_exit=None, ktests=False, timeout=120.0)
    return [
        Scenario(name="netdrv-pc", iso=S.NORMAL_ISO, smp=2,
                 extra_args=("-machine", "pc") + NIC + ICOUNT, post_boot=pc_boot_check, **common),
        Scenario(name="netdrv-nonic", iso=S.NORMAL_ISO,
                 extra_args=("-machine", "pc", "-nic", "none") + ICOUNT, post_boot=nonic_boot_check, **common),
        Scenario(name="netdrv-raw", iso=NETTEST_ISO, smp=2,
                 extra_args=("-machine", "q35") + NIC + ICOUNT, post_boot=raw_check, custom=_own_image,
                 **common),
    ]
