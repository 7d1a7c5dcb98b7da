#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""iprofile.py - guest instructions per function, from a QEMU TCG log.

Run QEMU with  -icount shift=0 -d nochain,exec,in_asm -D LOG  and then
  iprofile.py LOG ELF [ELF...] [--per N] [--top K]
Every translation block's instruction count comes from the in_asm part of the
log, every execution of it from the exec part (nochain makes QEMU log each
one); the instructions are charged to the function containing the block's
first address (symbols from the ELF files via nm). --per N divides by N (the
number of operations the run performed) to give instructions per operation.
Standard library only."""
import argparse
import bisect
import collections
import re
import subprocess


def load_symbols(elfs):
    syms = []
    for elf in elfs:
        out = subprocess.run(["nm", "-n", elf], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return syms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("elfs", nargs="+")
    ap.add_argument("--per", type=float, default=1.0)
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()
    syms = load_symbols(a.elfs)
    addrs = [s[0] for s in syms]
    tb_len = {}
    execs = collections.Counter()
    in_block = None
    insn_rx = re.compile(r"^0x([0-9a-f]+):\s")
    trace_rx = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
    with open(a.log, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                in_block = None
                continue
            m = insn_rx.match(line)
            if m:
                pc = int(m.group(1), 16)
                if in_block is None:
                    in_block = pc
                    tb_len[pc] = 0
                tb_len[in_block] += 1
                continue
            if not line.strip():
                in_block = None
                continue
            m = trace_rx.match(line)
            if m:
                execs[int(m.group(1), 16)] += 1
    per_fn = collections.Counter()
    total = 0
    for pc, n in execs.items():
        insns = tb_len.get(pc, 0) * n
        i = bisect.bisect_right(addrs, pc) - 1
        name = syms[i][1] if i >= 0 else hex(pc)
        per_fn[name] += insns
        total += insns
    print(f"{'function':40} {'instructions':>14} {'per op':>10}")
    for name, n in per_fn.most_common(a.top):
        print(f"{name:40} {n:14d} {n / a.per:10.1f}")
    print(f"{'total':40} {total:14d} {total / a.per:10.1f}")


if __name__ == "__main__":
    main()
