#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fuzz_run.py - the host side of the system-call fuzzer (docs/testing.md,
"Fuzzing"): make a fuzzing image, boot it, watch it, judge it.

    fuzz_run.py --build DIR --seed S --calls N [--failnth K] [--replay FILE]
                [--trace P] [--cover REPORT] [--smp 2] [--mem 512M]
                [--minimize-budget SECONDS]
    fuzz_run.py --build DIR --make-iso OUT.iso --args 'seed=1 calls=1000'

DIR is the fuzzing variant's build directory (kernel.elf, initrd.tar). The
kernel command line of the image is "fuzz <args>"; init runs bin/fuzz with
it. The guest runs under -icount shift=0,sleep=off, so the same seed and
image give the same run.

A kernel crash (a PANIC, KERNEL FAULT or ASSERTION FAILED line) or hang (no
"fuzz:" line while QEMU burns --hang-cpu seconds of host CPU time: CPU time,
not wall time, so a loaded machine does not look like a hung guest) is
decided here, never by the guest. Then the guest's memory is dumped through
the QEMU monitor and the fuzzer's black box found in it (user/fuzz/fuzz.h,
struct fz_bbox): the programs the current executor ran, up to the one that
was running, from this very run. A leak is reported by the guest with the
programs of the executor that leaked ("fuzz: leak-prog" lines). Either way
the programs are written to a replay file, and (within --minimize-budget)
reduced by booting replays of fewer programs and calls.
The run ends with the line
    fuzz: <calls> calls, <crashes> kernel crashes, <hangs> hangs, <leaked> leaked frames, <blocks> kernel blocks covered
built from the guest's "fuzz: done:" line (checked against its progress)
and what the host saw. Exit status 0 when there was no crash, hang or leak
and the guest did all the calls asked for.

Python standard library only; the QEMU driver is tests/qemu/qemu.py.
"""

import argparse
import bisect
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qemu as qemu_driver  # noqa: E402

GRUB_CFG = os.path.join(ROOT, "boot", "grub.cfg")
ICOUNT = ("-icount", "shift=0,sleep=off")
FAULT_RX = re.compile(r"PANIC|KERNEL FAULT|ASSERTION FAILED")
PROGRESS_RX = re.compile(r"fuzz: progress (\d+) calls, prog (\d+), (\d+) blocks")
DONE_RX = re.compile(r"fuzz: done: (\d+) calls, (\d+) leaked frames, (\d+) kernel blocks covered, "
                     r"(\d+) leak reports")
FINAL_RX = re.compile(r"fuzz: (\d+) calls, (\d+) kernel crashes, (\d+) hangs, (-?\d+) leaked frames, "
                      r"(\d+) kernel blocks covered")
LEAK_RX = re.compile(r"fuzz: (LEAK after .*|leak check .*)$")
LEAK_PROG_RX = re.compile(r"fuzz: leak-prog: (.*)$")
LEAK_PROG_END_RX = re.compile(r"fuzz: leak-prog end")
TRACE_RX = re.compile(r"fuzz: prog (\d+): (.*)$")
COVER_RX = re.compile(r"fuzz: cover (\d+)((?: [0-9a-f]+)*)\s*$")
COVER_END_RX = re.compile(r"fuzz: cover end (\d+) blocks")
FUZZ_LINE_RX = re.compile(r"\bfuzz: ")
REPLAY_NAME = "etc/fuzz.replay"
KCOV_PC_BASE = 0xFFFFFFFF80000000          # mos/kcov.h MOS_KCOV_PC_BASE
BBOX_MAGIC = b"MOSFUZZ-BLACKBOX"
BBOX_HEADER = struct.Struct("<16sQQQQIIII")  # struct fz_bbox (fuzz.h), 64 bytes


# ---------------------------------------------------------------- images
def parse_args_string(text):
    """'seed=1 calls=10 replay' -> {'seed': '1', 'calls': '10', 'replay': ''}."""
    out = {}
    for word in text.split():
        key, _, value = word.partition("=")
        out[key] = value
    return out


def args_string(args):
    return " ".join(k if v == "" else f"{k}={v}" for k, v in args.items())


def make_iso(build_dir, out_iso, args, replay_text=None):
    """Build a bootable image of build_dir's kernel and initrd whose kernel
    command line is "fuzz <args>"; with replay_text, the initrd also holds
    etc/fuzz.replay. Writes out_iso and out_iso.json (the arguments)."""
    for name in ("kernel.elf", "initrd.tar"):
        if not os.path.exists(os.path.join(build_dir, name)):
            raise FileNotFoundError(f"{os.path.join(build_dir, name)} is missing (make fuzz-variant)")
    cmdline = "fuzz " + args_string(args)
    if len(cmdline) > 250:
        raise ValueError(f"kernel command line too long: {cmdline!r}")
    stage = tempfile.mkdtemp(prefix="fuzz-iso-")
    try:
        os.makedirs(os.path.join(stage, "boot", "grub"))
        shutil.copyfile(os.path.join(build_dir, "kernel.elf"), os.path.join(stage, "boot", "minimalos.elf"))
        initrd = os.path.join(stage, "boot", "initrd.tar")
        shutil.copyfile(os.path.join(build_dir, "initrd.tar"), initrd)
        if replay_text is not None:
            data = replay_text.encode()
            with tarfile.open(initrd, "a", format=tarfile.USTAR_FORMAT) as tf:
                info = tarfile.TarInfo(REPLAY_NAME)
                info.size = len(data)
                info.mode = 0o644
                info.mtime = 0
                tf.addfile(info, io.BytesIO(data))
        with open(GRUB_CFG) as f:
            cfg = f.read().replace("@CMDLINE@", cmdline)
        with open(os.path.join(stage, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(cfg)
        env = dict(os.environ, SOURCE_DATE_EPOCH="0")
        tmp = out_iso + ".tmp"
        r = subprocess.run(["grub-mkrescue", "-o", tmp, stage], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"grub-mkrescue failed:\n{r.stdout}{r.stderr}")
        os.replace(tmp, out_iso)
        with open(out_iso + ".json", "w") as f:
            json.dump({"args": args, "cmdline": cmdline, "replay": replay_text}, f, indent=1)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def read_iso_args(iso):
    with open(iso + ".json") as f:
        return json.load(f)["args"]


def expected_calls(iso):
    """The calls an image's session must make: calls=, or for a replay
    image every call of its programs, repeat= times."""
    with open(iso + ".json") as f:
        meta = json.load(f)
    args = meta["args"]
    if "replay" in args:
        return count_calls(split_programs(meta.get("replay") or "")) * int(args.get("repeat", "1"))
    return int(args.get("calls", "0"))


# ---------------------------------------------------------------- black box
def find_black_box(data):
    """The fuzzer's black box in a guest memory dump: (header dict, text) of
    the valid box with the highest executor number, or None."""
    best = None
    pos = data.find(BBOX_MAGIC)
    while pos >= 0:
        if pos + BBOX_HEADER.size <= len(data):
            (_, seed, executor, first, last, nprogs, length, check,
             _pad) = BBOX_HEADER.unpack_from(data, pos)
            want = ((executor * 31 + first * 7 + last + nprogs * 3 + length) & 0xFFFFFFFF) ^ 0x5A5AA5A5
            start = pos + BBOX_HEADER.size
            if check == want and start + length <= len(data):
                text = data[start:start + length].decode("utf-8", errors="replace")
                hdr = {"seed": seed, "executor": executor, "first_prog": first, "last_prog": last,
                       "nprogs": nprogs}
                if best is None or executor > best[0]["executor"]:
                    best = (hdr, text)
        pos = data.find(BBOX_MAGIC, pos + 1)
    return best


def dump_black_box(run, work, name, mem_bytes):
    """Save guest RAM through the monitor and take the black box out of it.
    Returns (header, text) or None; the dump itself is deleted."""
    path = os.path.join(work, f"{name}.mem")
    try:
        out = run.monitor(f'pmemsave 0 {mem_bytes} "{path}"', timeout=120)
        if out:
            raise OSError(f"pmemsave: {out}")
        for _ in range(100):            # the file is written before the prompt returns,
            if os.path.exists(path) and os.path.getsize(path) >= mem_bytes:
                break                   # but be patient with a slow disk
            time.sleep(0.1)
        with open(path, "rb") as f:
            data = f.read()
        return find_black_box(data)
    except (qemu_driver.QemuError, OSError):
        return None
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def split_programs(text):
    """Replay text -> list of program texts (each starts with a "prog" line)."""
    out, cur = [], []
    for line in text.splitlines():
        if line.strip() == "---":
            if any(x.startswith("prog") for x in cur):
                out.append("\n".join(cur))
            cur = []
        else:
            cur.append(line)
    if any(x.startswith("prog") for x in cur):
        out.append("\n".join(cur))
    return out


def replay_text(programs):
    return "\n---\n".join(programs) + "\n"


def count_calls(programs):
    return sum(1 for p in programs for line in p.splitlines() if re.match(r"\s*r\d+ =", line))


# ---------------------------------------------------------------- sessions
def mem_size_bytes(mem):
    m = re.fullmatch(r"(\d+)([KMG]?)", mem.upper())
    if not m:
        raise ValueError(f"bad memory size {mem!r}")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def qemu_cpu_seconds(run):
    """Host CPU time QEMU has used (user + system), or None."""
    proc = getattr(run, "_proc", None)
    if proc is None:
        return None
    try:
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class Session:
    """What one boot of a fuzzing image showed."""

    def __init__(self, args):
        self.args = dict(args)
        self.lines = []             # serial lines (text)
        self.crash = None           # first fault line
        self.hang = None            # why we think it hung
        self.status = None          # QEMU exit status
        self.timed_out = False
        self.done = None            # DONE_RX groups as ints: calls, leaked, blocks, leak reports
        self.leak_lines = []        # LEAK_RX texts
        self.leak_programs = None   # replay text of the first leak report
        self.progress = []          # (calls, prog, blocks)
        self.elapsed = 0.0
        self.cpu_seconds = 0.0
        self.log_path = None
        self.cpu_state = ""         # monitor output after a hang
        self.black_box = None       # (header, text) after a crash or hang
        self.guest_fail = []        # the guest's own "fuzz: FAIL:" lines

    @property
    def calls(self):
        if self.done:
            return self.done[0]
        return self.progress[-1][0] if self.progress else 0

    @property
    def blocks(self):
        if self.done:
            return self.done[2]
        return self.progress[-1][2] if self.progress else 0

    @property
    def leaked(self):
        return self.done[1] if self.done else 0

    @property
    def leak_reports(self):
        return self.done[3] if self.done else 0

    def final_line(self):
        return (f"fuzz: {self.calls} calls, {1 if self.crash else 0} kernel crashes, "
                f"{1 if self.hang else 0} hangs, {self.leaked} leaked frames, "
                f"{self.blocks} kernel blocks covered")

    def kind(self):
        """crash, hang, leak or None."""
        if self.crash:
            return "crash"
        if self.hang:
            return "hang"
        if self.leak_reports or self.leaked:
            return "leak"
        return None

    def reproducer(self):
        """The programs that failed (list of texts), or None."""
        if self.crash or self.hang:
            return split_programs(self.black_box[1]) if self.black_box else None
        if self.leak_programs:
            return split_programs(self.leak_programs)
        return None

    def problems(self, want_calls=None):
        """Why this session failed (empty: it passed)."""
        out = []
        if self.crash:
            out.append(f"kernel crash: {self.crash.strip()}")
        if self.hang:
            out.append(f"kernel hang: {self.hang}")
        if not self.crash and not self.hang:
            if self.timed_out:
                out.append("the session ran out of time (raise the timeout or lower calls=)")
            if self.done is None:
                out.append("no 'fuzz: done:' line from the guest: "
                           + qemu_driver.describe_exit(self.status))
            else:
                calls, leaked, blocks, reports = self.done
                if reports or leaked:
                    out.append(f"{reports} leak reports, {leaked} leaked frames: "
                               + "; ".join(self.leak_lines[:3]))
                if self.progress and (calls < self.progress[-1][0] or blocks < self.progress[-1][2]):
                    out.append("the final line reports less than the last progress line")
                for f in self.guest_fail:
                    out.append(f"the fuzzer says: {f}")
                if want_calls is not None and calls < want_calls:
                    out.append(f"only {calls} calls of the {want_calls} asked for")
                if self.status != qemu_driver.EXIT_KERNEL_OK and not reports and not leaked:
                    out.append("the fuzzer reported a failure: " + qemu_driver.describe_exit(self.status))
        return out


def _symbolizer(elf):
    """addr -> 'function+0xoff' from the kernel ELF's symbols (nm)."""
    syms = function_symbols(elf)
    addrs = [a for a, _ in syms]

    def sym(addr):
        i = bisect.bisect_right(addrs, addr) - 1
        return f"{syms[i][1]}+{addr - syms[i][0]:#x}" if i >= 0 else hex(addr)
    return sym


def _cpu_state(run, ncpus, elf):
    """RIP of every CPU through the monitor (after a hang), symbolized;
    three samples, to tell a loop from a stop."""
    sym = _symbolizer(elf) if elf else (lambda a: hex(a))
    out = []
    for sample in range(3):
        for cpu in range(ncpus):
            try:
                run.monitor(f"cpu {cpu}", timeout=5)
                regs = run.monitor("info registers", timeout=5)
            except qemu_driver.QemuError as e:
                out.append(f"cpu {cpu}: monitor: {e}")
                continue
            m = re.search(r"RIP=([0-9a-f]+)", regs)
            rip = int(m.group(1), 16) if m else None
            out.append(f"sample {sample} cpu {cpu}: " + (f"RIP={rip:#x} {sym(rip)}" if rip is not None else "?"))
        time.sleep(0.5)
    return "\n".join(out)


def run_session(iso, name, log_dir, args=None, smp=2, mem="512M", timeout=3600.0,
                hang_cpu=90.0, qemu_binary=qemu_driver.QEMU_BINARY, elf=None, register=None,
                echo=None):
    """Boot iso and watch it until the guest's final line and QEMU's exit, a
    crash, a hang or the timeout. echo(line) is called for every "fuzz:"
    line as it arrives. Returns a Session."""
    s = Session(args if args is not None else read_iso_args(iso))
    qargs = ["-m", mem, "-smp", str(smp), "-cpu", "max", "-cdrom", iso, "-boot", "d",
             "-nic", "none"] + list(ICOUNT)
    run = qemu_driver.QemuRun(name, qargs, log_dir, timeout=timeout, qemu=qemu_binary)
    s.log_path = run.log_path
    seen = 0
    last_fuzz_cpu = 0.0
    in_leak = False
    leak_buf = []

    def take(text):
        nonlocal in_leak
        text = printable(text)
        s.lines.append(text)
        if FUZZ_LINE_RX.search(text):
            if echo and "fuzz: cover" not in text and "fuzz: prog" not in text \
                    and "fuzz: leak-prog" not in text:
                echo(text[text.find("fuzz: "):])
        m = PROGRESS_RX.search(text)
        if m:
            s.progress.append(tuple(int(x) for x in m.groups()))
        m = DONE_RX.search(text)
        if m and s.done is None:
            s.done = tuple(int(x) for x in m.groups())
        m = LEAK_RX.search(text)
        if m:
            s.leak_lines.append(m.group(1))
        m = LEAK_PROG_RX.search(text)
        if m and s.leak_programs is None:
            in_leak = True
            leak_buf.append(m.group(1))
        elif LEAK_PROG_END_RX.search(text) and in_leak:
            in_leak = False
            s.leak_programs = "\n".join(leak_buf) + "\n"
        if FAULT_RX.search(text) and s.crash is None:
            s.crash = text
        if "fuzz: FAIL:" in text:
            s.guest_fail.append(text[text.find("fuzz: FAIL:") + 12:])
        return text

    try:
        if register:
            register(run)
        run.start()
        while True:
            lines = run.lines()
            for _, text in lines[seen:]:
                if FUZZ_LINE_RX.search(take(text)):
                    last_fuzz_cpu = qemu_cpu_seconds(run) or last_fuzz_cpu
            seen = len(lines)
            if s.crash:
                time.sleep(2.0)          # let the crash report finish
                for _, text in run.lines()[seen:]:
                    take(text)
                seen = len(run.lines())
                if run.running:
                    s.black_box = dump_black_box(run, log_dir, name, mem_size_bytes(mem))
                break
            if not run.running:
                time.sleep(0.2)
                for _, text in run.lines()[seen:]:
                    take(text)
                break
            cpu = qemu_cpu_seconds(run)
            if cpu is not None:
                s.cpu_seconds = cpu
            if cpu is not None and cpu - last_fuzz_cpu > hang_cpu:
                s.hang = (f"no fuzz: line while QEMU used {hang_cpu:g} s of CPU time, "
                          f"after {s.calls} calls" if s.progress or s.lines else "no output")
                s.cpu_state = _cpu_state(run, smp, elf)
                s.black_box = dump_black_box(run, log_dir, name, mem_size_bytes(mem))
                break
            with run._cond:
                run._cond.wait(1.0)
        if run.running and not s.crash and not s.hang:
            run.wait(30)
    finally:
        s.timed_out = run.timed_out
        s.status = run.exit_status
        s.elapsed = run.elapsed()
        s.cpu_seconds = qemu_cpu_seconds(run) or s.cpu_seconds
        run.stop()
    return s


def printable(text):
    return re.sub(r"\x1b(?:\[[0-9;=?]*[ -/]*[@-~]|[@-Z\\-_])", "", text).replace("\r", "")


# ---------------------------------------------------------------- reduction
def try_replay(build_dir, work, programs, smp, mem, failnth, qemu_binary, tag):
    iso = os.path.join(work, f"replay-{tag}.iso")
    args = {"replay": "", "seed": "0"}
    if failnth:
        args["failnth"] = str(failnth)
    make_iso(build_dir, iso, args, replay_text(programs))
    s = run_session(iso, f"replay-{tag}", work, args, smp=smp, mem=mem, timeout=600.0,
                    hang_cpu=60.0, qemu_binary=qemu_binary)
    return s.kind(), s


def minimize(build_dir, work, programs, kind, smp, mem, failnth, budget, qemu_binary, log=print):
    """Reduce a list of program texts that makes the kernel fail (kind:
    crash, hang or leak) by replaying: the last program alone, then fewer
    programs, then fewer calls of the last one. Stops at the time budget.
    Returns (smallest failing list found, whether the input reproduced)."""
    deadline = time.monotonic() + budget
    tries = [0]

    def fails(cand):
        if time.monotonic() > deadline:
            return False
        tries[0] += 1
        got, _ = try_replay(build_dir, work, cand, smp, mem, failnth, qemu_binary, str(tries[0]))
        log(f"fuzz_run: replay {tries[0]} ({len(cand)} programs, {count_calls(cand)} calls): "
            f"{got or 'no failure'}")
        return got == kind

    best = list(programs)
    if not fails(best):
        log("fuzz_run: the replay of those programs does not fail (the state or timing of the "
            "session matters); keeping them as they are")
        return best, False
    if len(best) > 1 and fails(best[-1:]):
        best = best[-1:]
    i = 0
    while len(best) > 1 and i < len(best) - 1 and time.monotonic() < deadline:
        cand = best[:i] + best[i + 1:]
        if fails(cand):
            best = cand
        else:
            i += 1
    for k in range(len(best)):
        lines = best[k].split("\n")
        j = 0
        while j < len(lines) and time.monotonic() < deadline:
            if not re.match(r"\s*r\d+ =", lines[j]):
                j += 1
                continue
            cand = best[:k] + ["\n".join(lines[:j] + lines[j + 1:])] + best[k + 1:]
            if fails(cand):
                lines = lines[:j] + lines[j + 1:]
                best = cand
            else:
                j += 1
    return best, True


# ---------------------------------------------------------------- coverage
def function_symbols(elf):
    """Sorted [(address, name)] of the kernel's text symbols."""
    try:
        out = subprocess.run(["nm", "-n", elf], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def instrumented_sites(elf):
    """Return addresses (call + 5) of every __sanitizer_cov_trace_pc call:
    the blocks a fuzzer could cover."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", elf], capture_output=True,
                         text=True, check=True).stdout
    rx = re.compile(r"^\s*([0-9a-f]+):\s+call\s+[0-9a-f]+ <__sanitizer_cov_trace_pc>")
    return sorted(int(m.group(1), 16) + 5 for m in map(rx.match, out.splitlines()) if m)


def covered_blocks(lines):
    """The guest's "fuzz: cover" lines -> sorted kernel addresses."""
    pcs, prev = [], 0
    for text in lines:
        m = COVER_RX.search(text)
        if not m:
            continue
        for d in m.group(2).split():
            prev += int(d, 16)
            pcs.append(prev + KCOV_PC_BASE)
    return pcs


def coverage_report(elf, lines):
    """Text: blocks and functions reached, per source file, and the
    instrumented functions never reached."""
    sites = instrumented_sites(elf)
    covered = set(covered_blocks(lines))
    syms = function_symbols(elf)
    addrs = [a for a, _ in syms]

    def func_of(pc):
        i = bisect.bisect_right(addrs, pc - 1) - 1
        return syms[i] if i >= 0 else (0, "?")
    funcs = {}
    for pc in sites:
        f = func_of(pc)
        total, hit = funcs.get(f, (0, 0))
        funcs[f] = (total + 1, hit + (pc in covered))
    files = {}
    try:
        r = subprocess.run(["addr2line", "-e", elf], input="\n".join(hex(a) for a, _ in funcs),
                           capture_output=True, text=True, check=True)
        for (a, n), loc in zip(funcs, r.stdout.splitlines()):
            files[(a, n)] = loc.split(":")[0] or "?"
    except (OSError, subprocess.CalledProcessError):
        pass
    per_file = {}
    for f, (total, hit) in funcs.items():
        name = files.get(f, "?")
        t = per_file.setdefault(name, [0, 0, 0, 0])
        t[0] += total
        t[1] += hit
        t[2] += 1
        t[3] += hit > 0
    nf = len(funcs)
    touched = sum(1 for t, h in funcs.values() if h)
    nhit = sum(h for _, h in funcs.values())
    out = [f"kernel blocks covered: {nhit} of {len(sites)} instrumented "
           f"({100.0 * nhit / max(1, len(sites)):.1f}%)",
           f"kernel functions touched: {touched} of {nf} instrumented "
           f"({100.0 * touched / max(1, nf):.1f}%)", "",
           "per source file: blocks covered/instrumented, functions touched/instrumented"]
    for name in sorted(per_file):
        t = per_file[name]
        out.append(f"  {name:44} {t[1]:5}/{t[0]:<5} {t[3]:4}/{t[2]:<4}")
    out += ["", "instrumented functions never reached:"]
    for f in sorted(funcs, key=lambda f: (files.get(f, "?"), f[1])):
        if funcs[f][1] == 0:
            out.append(f"  {files.get(f, '?')}: {f[1]} ({funcs[f][0]} blocks)")
    return "\n".join(out) + "\n", nhit, len(sites), touched, nf


# ---------------------------------------------------------------- main
def reproduce_hint(args):
    parts = [f"SEED={args.get('seed', '1')}", f"CALLS={args.get('calls', '100000')}"]
    if args.get("failnth", "0") not in ("", "0"):
        parts.append(f"FAILNTH={args['failnth']}")
    return "make fuzz " + " ".join(parts)


def report_failure(s, args, work, tag, log=print):
    """Print what failed and write the reproducer file; returns its path or
    None."""
    kind = s.kind()
    log(f"fuzz_run: kernel {kind} after {s.calls} calls (seed {args.get('seed')}, "
        f"failnth {args.get('failnth', '0')}): {s.crash or s.hang or '; '.join(s.leak_lines[:2])}")
    if s.cpu_state:
        log(s.cpu_state)
    if kind in ("crash", "hang"):
        log("fuzz_run: the log ends with:\n  " + "\n  ".join(s.lines[-30:]))
    progs = s.reproducer()
    if not progs:
        log("fuzz_run: no programs recovered (black box not found)" if kind != "leak"
            else "fuzz_run: the leak report carried no programs")
        return None
    if s.black_box:
        h = s.black_box[0]
        log(f"fuzz_run: black box: executor {h['executor']}, programs {h['first_prog']}.."
            f"{h['last_prog']} (the last one was running)")
    path = os.path.join(work, f"repro-{tag}.txt")
    with open(path, "w") as f:
        f.write(replay_text(progs))
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run one MinimalOS fuzzing session.")
    ap.add_argument("--build", required=True, help="the fuzzing variant's build directory")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--calls", type=int, default=100000)
    ap.add_argument("--failnth", type=int, default=0)
    ap.add_argument("--replay", help="a program file to replay instead of fuzzing")
    ap.add_argument("--repeat", type=int, default=1, help="replay the programs this many times")
    ap.add_argument("--trace", type=int, help="print every program from this number on")
    ap.add_argument("--cover", help="write the coverage report to this file")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--timeout", type=float, default=7200.0, help="wall seconds for the session")
    ap.add_argument("--hang-cpu", type=float, default=90.0,
                    help="QEMU CPU seconds without a fuzz: line that make a hang")
    ap.add_argument("--minimize-budget", type=float, default=900.0,
                    help="seconds for reducing a failing program (0: do not)")
    ap.add_argument("--make-iso", metavar="OUT", help="only build an image")
    ap.add_argument("--args", help="with --make-iso: the fuzzer's arguments (with --replay: its programs too)")
    ap.add_argument("--qemu", default=qemu_driver.QEMU_BINARY)
    o = ap.parse_args(argv)

    if o.make_iso:
        text = None
        if o.replay:
            with open(o.replay) as f:
                text = f.read()
        make_iso(o.build, o.make_iso, parse_args_string(o.args or ""), text)
        return 0

    args = {"seed": str(o.seed), "calls": str(o.calls)}
    text = None
    if o.replay:
        with open(o.replay) as f:
            text = f.read()
        args = {"seed": str(o.seed), "replay": "", "repeat": str(o.repeat)}
    if o.failnth:
        args["failnth"] = str(o.failnth)
    if o.trace is not None:
        args["trace"] = str(o.trace)
    if o.cover:
        args["cover"] = ""
    work = os.path.join(o.build, "fuzz-runs")
    os.makedirs(work, exist_ok=True)
    iso = os.path.join(work, "session.iso")
    make_iso(o.build, iso, args, text)
    elf = os.path.join(o.build, "kernel.elf")
    print(f"fuzz_run: booting {iso} (kernel command line \"fuzz {args_string(args)}\", "
          f"-smp {o.smp} -m {o.mem}, log {os.path.join(work, 'session.log')})", flush=True)
    s = run_session(iso, "session", work, args, o.smp, o.mem, o.timeout, o.hang_cpu,
                    qemu_binary=o.qemu, elf=elf, echo=lambda t: print(t, flush=True))
    print(f"fuzz_run: {s.elapsed:.0f} s wall, {s.cpu_seconds:.0f} s QEMU CPU time")
    if o.cover and s.done:
        report, nhit, nsites, touched, nf = coverage_report(elf, s.lines)
        with open(o.cover, "w") as f:
            f.write(report)
        print(f"fuzz_run: coverage: {nhit} of {nsites} blocks, {touched} of {nf} functions; "
              f"report in {o.cover}")
    kind = s.kind()
    if kind:
        tag = f"seed{args['seed']}" if not o.replay else "replay"
        path = report_failure(s, args, work, tag)
        if path:
            programs = split_programs(open(path).read())
            if o.minimize_budget > 0:
                small, ok = minimize(o.build, work, programs, kind, o.smp, o.mem, o.failnth,
                                     o.minimize_budget, o.qemu)
                if ok:
                    programs = small
                    path = os.path.join(work, f"repro-seed{args['seed']}-min.txt")
                    with open(path, "w") as f:
                        f.write(replay_text(programs))
            print(f"fuzz_run: reproducer ({count_calls(programs)} calls"
                  + (", reduced" if o.minimize_budget > 0 else "") + f"): {path}")
            print("    " + "\n    ".join(replay_text(programs).splitlines()))
            print(f"fuzz_run: replay it with: make fuzz REPLAY={path}"
                  + (f" FAILNTH={o.failnth}" if o.failnth else ""))
        print(f"fuzz_run: reproduce the session with: {reproduce_hint(args)}")
    print(s.final_line())
    problems = s.problems(None if o.replay else o.calls)
    for p in problems:
        print(f"fuzz_run: FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
