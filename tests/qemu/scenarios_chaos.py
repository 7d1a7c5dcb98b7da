# SPDX-License-Identifier: MIT
"""scenarios_chaos.py - fault injection into services (docs/testing.md,
"Fault injection"). Two images of mk/chaos.mk, each with a modern
virtio-net device on QEMU's user network (restrict=on: nothing outside is
reachable), under -icount shift=0,sleep=off and 2 CPUs:

  chaos    minimalos-chaos.iso (/etc/chaos.conf): bin/chaos kills serial,
           vfs and netstack 1,000 times in all (a seeded random choice of
           target and moment) through init and prints "TEST chaos/..."
           lines (each a result: restarted and load per service; all-kills,
           others-unharmed; the kernel's objects-back, frames-accounted,
           stacks-bounded) and "CHAOS DONE p passed, f failed". The hook
           then checks the summary (no failure, at least 11 passes) and
           that the shell still works: three commands typed over the serial
           console must give their output.
  badmsg   minimalos-badmsg.iso (/etc/chaos-badmsg.conf): bin/badmsg sends
           every service malformed requests ("TEST badmsg/<service>/..."
           lines), then goodmsg, a second client, checks each still serves
           well-formed requests. The hook checks both summaries.
"""

import dataclasses
import re
import time

import scenarios as S
from scenarios import FAIL, PASS, Result, Scenario

CHAOS_ISO = "minimalos-chaos.iso"
BADMSG_ISO = "minimalos-badmsg.iso"
NET_ARGS = S.ICOUNT + ("-device", "virtio-net-pci,disable-legacy=on,netdev=n0",
                       "-netdev", "user,id=n0,restrict=on")
CHAOS_DONE = re.compile(r"CHAOS DONE (\d+) passed, (\d+) failed")
BADMSG_DONE = re.compile(r"BADMSG DONE (\d+) passed, (\d+) failed")
GOODMSG_DONE = re.compile(r"GOODMSG DONE (\d+) passed, (\d+) failed")
CHAOS_MIN_PASSES = 11          # 2 x serial, vfs, netstack + 2 services + 3 kernel
BADMSG_MIN_PASSES = 18         # 3 checks x 5 services + init's 2 + no-service-died
GOODMSG_MIN_PASSES = 7         # attacker-ended + 6 services
CHAOS_WAIT = 600.0             # about 70 s on an idle host (docs/testing.md)
SHELL_TIMEOUT = 60.0


def _texts(ctx):
    return [S.printable(t if isinstance(t, str) else t[1]) for t in ctx.qemu.lines()]


def _wait_done(ctx, rxs, timeout):
    def done(lines):
        texts = [t if isinstance(t, str) else t[1] for t in lines]
        return all(any(rx.search(t) for t in texts) for rx in rxs) or any(S.is_fault_line(t) for t in texts)
    ctx.qemu.wait_lines(done, timeout)


def _summary(name, rx, texts, minimum):
    m = next((rx.search(t) for t in texts if rx.search(t)), None)
    if not m:
        return Result(name, FAIL, f"no {rx.pattern!r} line", "\n".join(texts[-30:]))
    if int(m.group(2)) or int(m.group(1)) < minimum:
        return Result(name, FAIL, f"{m.group(0)} (at least {minimum} passes needed)")
    return Result(name, PASS, m.group(0))


def _shell(ctx):
    """Type three commands at the shell; each must show its output."""
    results = []
    checks = [("shell-echo", "echo chaos-shell-alive", r"^chaos-shell-alive\s*$"),
              ("shell-ls", "ls /etc", r"\bmotd\b"),
              ("shell-cat", "cat /etc/motd", r"Welcome to MinimalOS")]
    ctx.qemu.send("\r")
    time.sleep(0.5)
    for name, cmd, want in checks:
        start = len(ctx.qemu.transcript())
        ctx.qemu.send(cmd + "\r")
        rx = re.compile(want, re.M)
        deadline = time.monotonic() + SHELL_TIMEOUT
        found = False
        while time.monotonic() < deadline:
            tail = ctx.qemu.transcript()[start:]
            # The echo of the command line itself does not count.
            body = tail.split(cmd, 1)[1] if cmd in tail else ""
            if rx.search(body):
                found = True
                break
            if not ctx.qemu.running:
                break
            time.sleep(0.2)
        tail = ctx.qemu.transcript()[start:]
        results.append(Result(name, PASS if found else FAIL,
                              f"'{cmd}' answered" if found else f"'{cmd}': no output matching {want!r}",
                              None if found else tail[-600:]))
    return results


def chaos_check(ctx):
    _wait_done(ctx, [CHAOS_DONE], CHAOS_WAIT)
    texts = _texts(ctx)
    results = [_summary("chaos-finished", CHAOS_DONE, texts, CHAOS_MIN_PASSES)]
    if any(CHAOS_DONE.search(t) for t in texts):
        results += _shell(ctx)
    return results


chaos_check.test_name = "chaos-finished"


def badmsg_check(ctx):
    _wait_done(ctx, [BADMSG_DONE, GOODMSG_DONE], 120.0)
    texts = _texts(ctx)
    return [_summary("badmsg-finished", BADMSG_DONE, texts, BADMSG_MIN_PASSES),
            _summary("goodmsg-finished", GOODMSG_DONE, texts, GOODMSG_MIN_PASSES)]


badmsg_check.test_name = "badmsg-finished"


def _own_image(scenario, build_dir, log_dir, qemu_binary, register):
    """The scenario table admits only the standard images for plain rows."""
    return S.run_scenario(dataclasses.replace(scenario, custom=None), build_dir, log_dir, qemu_binary, register)


def scenarios():
    return [
        Scenario(name="chaos", iso=CHAOS_ISO, mem="512M", smp=2, extra_args=NET_ARGS,
                 required_phases=(1, 2, 3, 4, 5), expect_exit=None, ktests=False, timeout=CHAOS_WAIT + 120.0,
                 post_boot=chaos_check, custom=_own_image),
        Scenario(name="badmsg", iso=BADMSG_ISO, mem="512M", smp=2, extra_args=NET_ARGS,
                 required_phases=(1, 2, 3, 4, 5), expect_exit=None, ktests=False, timeout=180.0,
                 post_boot=badmsg_check, custom=_own_image),
    ]
