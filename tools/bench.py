#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench.py - boot the benchmark image under QEMU's -icount shift=0 (guest
rdtsc = instructions executed), collect the "bench <name> <n>" lines of
user/bench, print a table with the peer figures, and write JSON.

  bench.py --iso build/minimalos-bench.iso --json build/bench.json
  bench.py --iso ... --budget tests/bench-budget.txt [--margin 0.02]
           (the regression gate: fails when an operation exceeds its budget)
Standard library only."""
import argparse
import json
import re
import subprocess
import sys

# (target, seL4 in the same QEMU, L4Re published) - docs/performance.md
PEERS = {
    "null_syscall": ("<= 60", "100", "148"),
    "ipc_oneway": ("<= 190", "194 / 221", "~590"),
    "ipc_call_reply_rtt": ("<= 380", "415", "~1200"),
    "ipc_call_reply_rtt_same_as": ("", "", ""),
    "ipc_4k_payload_rtt": ("report", "", ""),
    "ipc_cap_transfer": ("report", "", ""),
    "notify_wake": ("report", "", ""),
    "yield_switch": ("report", "", ""),
    "mem_alloc_map_unmap": ("report", "", ""),
    "mem_grant_map": ("report", "", ""),
    "mem_grant_revoke": ("report", "", ""),
    "proc_create_destroy": ("report", "", ""),
    "ipc_cross_core_rtt": ("report", "", ""),
}
LINE_RX = re.compile(r"\bbench (\w+) ([0-9.]+)\s*$")


def run(iso, smp, timeout):
    cmd = ["qemu-system-x86_64", "-machine", "pc", "-cpu", "max", "-m", "512M", "-smp", str(smp),
           "-icount", "shift=0", "-no-reboot", "-display", "none", "-serial", "stdio", "-nic", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-cdrom", iso]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    results = {}
    for line in p.stdout.splitlines():
        m = LINE_RX.search(line)
        if m:
            results[m.group(1)] = float(m.group(2))
    return p.returncode, results, p.stdout


def load_budget(path):
    budget = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, value = line.split()
            budget[name] = float(value)
    return budget


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", required=True)
    ap.add_argument("--json")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--budget")
    ap.add_argument("--margin", type=float, default=0.02)
    a = ap.parse_args()
    status, res, out = run(a.iso, a.smp, a.timeout)
    if status != 33 or not res:
        sys.stderr.write(out[-3000:])
        sys.stderr.write(f"\nbench: the benchmark run failed (QEMU status {status})\n")
        return 1
    for name, value in res.items():
        print(f"bench {name} {value:.2f}")
    print()
    print(f"{'operation':30} {'MinimalOS':>12} {'target':>10} {'seL4 (QEMU)':>12} {'L4Re':>8}")
    for name, value in res.items():
        t, s, l4 = PEERS.get(name, ("", "", ""))
        print(f"{name:30} {value:12.1f} {t:>10} {s:>12} {l4:>8}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"unit": "guest instructions per operation (QEMU -icount shift=0)",
                       "results": res}, f, indent=2, sort_keys=True)
            f.write("\n")
    if a.budget:
        budget = load_budget(a.budget)
        bad = 0
        for name, limit in sorted(budget.items()):
            got = res.get(name)
            if got is None:
                print(f"FAIL bench/{name}: not measured")
                bad += 1
            elif got > limit * (1 + a.margin):
                print(f"FAIL bench/{name}: {got:.1f} instructions, budget {limit:.1f} (+{a.margin:.0%})")
                bad += 1
            else:
                print(f"PASS bench/{name}: {got:.1f} <= {limit:.1f}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
