# SPDX-License-Identifier: MIT
"""e2e_shell.py - end-to-end tests of the userspace system through the
shell on the serial console: init, the serial driver, the VFS, the shell
and the programs in /bin, as a person would use them.

shell_e2e(ctx) is a post-boot hook for scenarios.py (see the "shell-e2e"
scenario): it waits for the prompt, then types commands one at a time and
checks what comes back, one Result per behaviour (built-ins, programs with
arguments, background jobs, files in /tmp, error texts, least privilege,
Ctrl-C, history and line editing, restart of the serial driver, and finally
shutdown, which must power QEMU off by itself: the scenario expects exit
status 0, qemu.EXIT_QUIT, without a monitor quit). The table entry:

    Scenario(name="shell-e2e", iso=NORMAL_ISO, mem="512M", smp=2, timeout=240.0,
             required_phases=(1, 2, 3, 4, 5), expect_exit=qemu_driver.EXIT_QUIT,
             ktests=False, post_boot=shell_e2e)

How a command is run (ShellSession.run): type the line and Enter, wait for
the shell's echo of the line, then for the next prompt at the very end of
the transcript; the command's output is the text in between. The serial
driver may put kernel log lines in there (whole lines; it redraws the
prompt after them), so checks look for the lines they need rather than
comparing all of the output.
"""

import os
import re
import time

PROMPT = "mos$ "
PROMPT_AT_END = re.compile(r"^mos\$ \Z", re.M)
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MOTD = os.path.join(REPO, "user", "rootfs", "etc", "motd")
BOOT_PROMPT_TIMEOUT = 90.0
COMMAND_TIMEOUT = 20.0
RESTART_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 30.0
ERROR_TEXTS = ("no such entry", "not a directory", "read-only filesystem", "invalid argument",
               "name too long", "is a directory", "already exists", "directory not empty")


def _result_types():
    """Result, PASS and FAIL from scenarios.py, imported late: scenarios.py
    imports this module for its table."""
    import scenarios
    return scenarios.Result, scenarios.PASS, scenarios.FAIL


class ShellSession:
    """Typing into the shell over a QemuRun (tests/qemu/qemu.py)."""

    def __init__(self, qemu):
        self.q = qemu

    def wait_prompt(self, timeout):
        return self.q.wait_for(PROMPT_AT_END, timeout) is not None

    def keys(self, keys, echo, timeout=COMMAND_TIMEOUT):
        """Type `keys` (ending with Enter); wait for `echo` (the end of the
        line the shell shows, then a newline; a string, or a compiled regex
        when editing keys put '\b's in the echo) and for the next prompt.
        Returns the output between them, or None if either did not come."""
        self.q.send(keys)
        if isinstance(echo, str):
            echo = re.compile(re.escape(echo) + r"\n")
        m_echo = self.q.wait_for(echo, timeout)
        if m_echo is None:
            return None
        m_prompt = self.q.wait_for(PROMPT_AT_END, timeout)
        if m_prompt is None:
            return None
        return self.q.transcript()[m_echo.end():m_prompt.start()]

    def run(self, line, timeout=COMMAND_TIMEOUT):
        return self.keys(line + "\r", line, timeout)

    def tail(self, n=1500):
        return self.q.transcript()[-n:]


def _lines(out):
    return [] if out is None else out.splitlines()


def _has_line(out, pattern):
    rx = re.compile(pattern)
    return any(rx.search(line) for line in _lines(out))


def _motd():
    with open(MOTD, "rb") as f:
        return f.read()


class Checks:
    """The checks, in the order they run; each appends one Result."""

    def __init__(self, ctx):
        self.Result, self.PASS, self.FAIL = _result_types()
        self.sh = ShellSession(ctx.qemu)
        self.ctx = ctx
        self.results = []
        self.serial_pid = None

    # -------------------------------------------------------------- helpers
    def ok(self, name, reason=""):
        self.results.append(self.Result(name, self.PASS, reason))

    def fail(self, name, reason, out=None):
        detail = ("output was:\n" + out) if out else ("transcript tail:\n" + self.sh.tail())
        self.results.append(self.Result(name, self.FAIL, reason, detail))

    def check(self, name, line, *patterns, reason=""):
        """Run line; pass if every pattern matches some output line."""
        out = self.sh.run(line)
        if out is None:
            self.fail(name, f"{line!r}: no echo or no prompt after it")
            return None
        missing = [p for p in patterns if not _has_line(out, p)]
        if missing:
            self.fail(name, f"{line!r}: no line matches {missing[0]!r}", out)
            return None
        self.ok(name, reason or line)
        return out

    # -------------------------------------------------------------- built-ins
    def builtins(self):
        names = ("help", "ls", "cat", "echo", "mkdir", "rm", "ps", "caps", "kill", "run", "mem",
                 "uptime", "shutdown")
        self.check("help", "help", *[rf"^\s+{n}\b" for n in names])
        self.check("ls", "ls /", r"^bin/$", r"^etc/$")
        self.check("ls-l", "ls -l /bin", r"^-\S{9}\s+[1-9]\d*\s+hello$", r"^-\S{9}\s+[1-9]\d*\s+wc$",
                   r"^-\S{9}\s+[1-9]\d*\s+shell$")
        first = _motd().decode(errors="replace").strip().splitlines()[0]
        self.check("cat-motd", "cat /etc/motd", "^" + re.escape(first) + "$")
        self.check("echo", "echo hello   'e2e  world'", r"^hello e2e  world$")
        out = self.sh.run("mkdir /tmp/e2edir")
        listed = self.sh.run("ls /tmp")
        removed = self.sh.run("rm /tmp/e2edir")
        after = self.sh.run("ls /tmp")
        if None in (out, listed, removed, after):
            self.fail("mkdir-rm", "no answer to mkdir / ls / rm")
        elif out.strip() or removed.strip():
            self.fail("mkdir-rm", "mkdir or rm printed an error", out + removed)
        elif not _has_line(listed, r"^e2edir/$"):
            self.fail("mkdir-rm", "ls /tmp does not show e2edir/ after mkdir", listed)
        elif _has_line(after, r"^e2edir/$"):
            self.fail("mkdir-rm", "ls /tmp still shows e2edir/ after rm", after)
        else:
            self.ok("mkdir-rm", "mkdir /tmp/e2edir; ls; rm; ls")

    def ps(self):
        out = self.check("ps", "ps", r"^\s*\d+\s+serial\s", r"^\s*\d+\s+vfs\s", r"^\s*\d+\s+shell\s")
        for line in _lines(out):
            m = re.match(r"^\s*(\d+)\s+serial\s+alive\b", line)
            if m:
                self.serial_pid = int(m.group(1))
        return out

    def caps_serial(self):
        name = "caps-serial-least-privilege"
        if self.serial_pid is None:
            self.fail(name, "no pid for serial from ps")
            return
        out = self.sh.run(f"caps {self.serial_pid}")
        if out is None:
            self.fail(name, "no answer")
            return
        rows = []
        for line in _lines(out):
            m = re.match(r"^0x[0-9a-f]+\s+(\w+)\s+([-rwxgR]{5})\s+0x[0-9a-f]+\s*(.*)$", line)
            if m:
                rows.append((m.group(1), m.group(2), m.group(3).strip()))
        ioports = [r for r in rows if r[0] == "ioport"]
        irqs = [r for r in rows if r[0] == "irq"]
        types = sorted({r[0] for r in rows})
        if not rows:
            self.fail(name, "no capability rows", out)
        elif not ioports or any(r[2] != "base 0x3f8 count 8" for r in ioports):
            self.fail(name, f"ioport capabilities are not exactly COM1 (0x3f8, 8): {ioports}", out)
        elif not irqs or any(r[2] != "base 0x4 count 1" for r in irqs):
            self.fail(name, f"irq capabilities are not exactly IRQ 4: {irqs}", out)
        elif "process" in types:
            self.fail(name, "serial holds a PROCESS capability", out)
        else:
            self.ok(name, f"{len(rows)} capabilities ({', '.join(types)}); ioport 0x3f8/8, irq 4")

    def mem_uptime(self):
        out = self.check("mem", "mem", r"^frames: \d+ free of \d+", r"^kernel heap: \d+ bytes")
        if out is not None:
            m = re.search(r"^frames: (\d+) free of (\d+)", out, re.M)
            free, total = int(m.group(1)), int(m.group(2))
            if not 0 < free <= total:
                self.results[-1] = self.Result("mem", self.FAIL, f"implausible: {free} free of {total}",
                                               out)
        a = self.sh.run("uptime")
        time.sleep(1.0)
        b = self.sh.run("uptime")
        rx = re.compile(r"^up (?:\d+d )?\d\d:\d\d:\d\d\.\d{3} \((\d+)\.(\d{3}) s\)", re.M)
        ma, mb = (rx.search(x) if x else None for x in (a, b))
        if not ma or not mb:
            self.fail("uptime", "no 'up hh:mm:ss.mmm (s.mmm s)' line", (a or "") + (b or ""))
        else:
            ta = int(ma.group(1)) * 1000 + int(ma.group(2))
            tb = int(mb.group(1)) * 1000 + int(mb.group(2))
            if not 0 < ta < tb:
                self.fail("uptime", f"uptime does not advance: {ta} ms then {tb} ms", a + b)
            else:
                self.ok("uptime", f"{ta} ms, then {tb} ms")

    # -------------------------------------------------------------- programs
    def programs(self):
        self.check("run-hello-args", "hello a b c", r'argv\[1\] = "a"', r'argv\[2\] = "b"',
                   r'argv\[3\] = "c"', r"hello: heap ok")
        self.check("run-by-path", "/bin/hello x", r'argv\[0\] = "/bin/hello"', r'argv\[1\] = "x"')
        self.check("run-builtin", "run hello 42", r'argv\[1\] = "42"')
        data = _motd()
        lines, words, size = data.count(b"\n"), len(data.split()), len(data)
        self.check("wc", "wc /etc/motd", rf"^\s*{lines}\s+{words}\s+{size} /etc/motd$")
        self.check("wc-two-files", "wc /etc/motd /etc/motd",
                   rf"^\s*{2 * lines}\s+{2 * words}\s+{2 * size} total$")
        self.check("command-not-found", "nosuchprogram", r"^nosuchprogram: command not found$")

    def start_background(self, line, last_line):
        """Type line (ending in '&'); return (job, pid) once the shell said
        "[job] pid" and the job printed last_line, or None. A background
        job writes through a copy of the shell's console capability (one
        line buffer in the driver), so its first line may be glued to the
        prompt: nothing here waits for a prompt at the end of a line."""
        self.sh.q.send(line + "\r")
        m = self.sh.q.wait_for(r"^\[(\d+)\] (\d+)\n", COMMAND_TIMEOUT)   # whole line
        if m is None:
            return None
        job, pid = m.group(1), m.group(2)
        if self.sh.q.wait_for(last_line, COMMAND_TIMEOUT) is None:
            return None
        return job, pid

    def resync(self, tag):
        """After background output: one command whose answer is known, so
        the next check starts at a fresh prompt."""
        self.sh.q.send(f"echo {tag}\r")
        return (self.sh.q.wait_for(rf"^{tag}$", COMMAND_TIMEOUT) is not None and
                self.sh.wait_prompt(COMMAND_TIMEOUT))

    def background(self):
        name = "background-job"
        start = len(self.sh.q.transcript())
        started = self.start_background("run hello bg &", r'argv\[1\] = "bg"')
        if not started:
            self.fail(name, "'run hello bg &' did not print '[job] pid' and run")
            return
        job, pid = started
        # The report comes when the job ends: on its own line while the
        # prompt waits, or before the next prompt.
        report = re.compile(rf"^\[{job}\] hello \(pid {pid}\): exited with code 0$", re.M)
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while not report.search(self.sh.q.transcript(), start) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not self.resync("sync-bg-1"):
            self.fail(name, "no prompt after the background job")
            return
        out = self.sh.run("jobs")
        if not report.search(self.sh.q.transcript(), start):
            self.fail(name, f"no report that job {job} (pid {pid}) ended", out)
        elif out is None or out.strip():
            self.fail(name, "'jobs' still lists something", out)
        else:
            self.ok(name, f"job {job} (pid {pid}) ran in the background and was reported")

    def cwd(self):
        name = "cd-relative-paths"
        steps = [self.sh.run(x) for x in ("cd /tmp", "pwd", "echo rel > relfile", "cat /tmp/relfile",
                                          "rm relfile", "cd ..", "pwd", "cd /etc/motd")]
        if None in steps:
            self.fail(name, "a command did not answer")
            return
        if not _has_line(steps[1], r"^/tmp$"):
            self.fail(name, "pwd after 'cd /tmp' is not /tmp", steps[1])
        elif not _has_line(steps[3], r"^rel$") or steps[4].strip():
            self.fail(name, "echo > relfile / rm relfile did not act on /tmp/relfile",
                      steps[3] + steps[4])
        elif not _has_line(steps[6], r"^/$"):
            self.fail(name, "pwd after 'cd ..' is not /", steps[6])
        elif not _has_line(steps[7], r"^cd: /etc/motd: not a directory$"):
            self.fail(name, "cd to a file does not say 'not a directory'", steps[7])
        else:
            self.ok(name, "cd, pwd, relative echo/cat/rm, cd ..")

    def files(self):
        name = "tmp-create-append-read-remove"
        steps = [self.sh.run(x) for x in ("echo x > /tmp/f", "echo y >> /tmp/f", "cat /tmp/f",
                                          "rm /tmp/f", "cat /tmp/f")]
        if None in steps:
            self.fail(name, "a command did not answer")
            return
        w1, w2, cat, rm, cat2 = steps
        got = [line for line in _lines(cat) if line in ("x", "y")]
        if w1.strip() or w2.strip() or rm.strip():
            self.fail(name, "echo > / echo >> / rm printed something", w1 + w2 + rm)
        elif got != ["x", "y"]:
            self.fail(name, f"cat /tmp/f gave {_lines(cat)!r}, expected x then y", cat)
        elif not _has_line(cat2, r"^cat: /tmp/f: no such entry$"):
            self.fail(name, "cat after rm does not say 'no such entry'", cat2)
        else:
            self.ok(name, "x > f, y >> f, cat = x y, rm, cat -> no such entry")

    def errors(self):
        self.check("error-missing-file", "cat /nope", r"^cat: /nope: no such entry$")
        self.check("error-read-only", "echo x > /etc/x", r"^echo: /etc/x: read-only filesystem$")
        self.check("error-not-a-directory", "ls /etc/motd/x", r"^ls: /etc/motd/x: (not a directory|no such entry)$")
        self.check("error-missing-dir", "mkdir /tmp/no/such/dir", r"^mkdir: /tmp/no/such/dir: no such entry$")
        self.check("error-escape-root", "cat /../etc/motd",
                   r"^cat: /\.\./etc/motd: (" + "|".join(ERROR_TEXTS) + ")$")
        self.check("error-kill-bad-pid", "kill 99999", r"^kill: 99999: \S.*$")

    # -------------------------------------------------------------- privilege
    def least_privilege(self):
        self.check("ioprobe-killed-io", "ioprobe",
                   r"^ioprobe: \d+ capabilities, 0 PROCESS, 0 IOPORT",
                   r"^ioprobe: killed: general protection at ip 0x[0-9a-f]+$")
        self.check("ioprobe-killed-mem", "run ioprobe mem",
                   r"^ioprobe: killed: page fault at address 0xffff800000000000 \(ip 0x[0-9a-f]+\)$")

    def ctrl_c_kills_program(self):
        name = "ctrl-c-kills-program"
        q = self.sh.q
        q.send("ioprobe spin\r")
        if q.wait_for(r"^ioprobe: spinning$", COMMAND_TIMEOUT) is None:
            self.fail(name, "'ioprobe spin' did not start")
            return
        time.sleep(0.5)
        q.send("\x03")
        m = q.wait_for(r"^ioprobe: interrupted$", COMMAND_TIMEOUT)
        if m is None or not self.sh.wait_prompt(COMMAND_TIMEOUT):
            self.fail(name, "Ctrl-C did not kill the spinning program")
            return
        out = self.sh.run("echo after-spin")
        if out is None or not _has_line(out, r"^after-spin$"):
            self.fail(name, "the shell does not answer after Ctrl-C", out)
        else:
            self.ok(name, "a spinning program was killed by Ctrl-C")

    def kill_own_job(self):
        name = "kill-own-job"
        start = len(self.sh.q.transcript())
        started = self.start_background("run ioprobe spin &", r"ioprobe: spinning\n")
        if not started or not self.resync("sync-spin-1"):
            self.fail(name, "'run ioprobe spin &' did not start in the background")
            return
        job, pid = started
        ps = self.sh.run("ps")
        if ps is None or not re.search(rf"^\s*{pid}\s+ioprobe\s+alive\b.*\(job\)$", ps, re.M):
            self.fail(name, f"ps does not list the job (pid {pid})", ps)
            return
        self.sh.q.send(f"kill {pid}\r")
        report = re.compile(rf"^\[{job}\] ioprobe \(pid {pid}\): killed$", re.M)
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while not report.search(self.sh.q.transcript(), start) and time.monotonic() < deadline:
            time.sleep(0.2)
        synced = self.resync("sync-spin-2")
        jobs = self.sh.run("jobs") if synced else None
        if not report.search(self.sh.q.transcript(), start):
            self.fail(name, f"no report that job {job} was killed")
        elif jobs is None or jobs.strip():
            self.fail(name, "no prompt after the kill, or jobs still lists something", jobs)
        else:
            self.ok(name, f"ps lists job {job} (pid {pid}); kill destroyed it; it was reported")

    # -------------------------------------------------------------- editing
    def editing(self):
        self.check("history-setup", "echo hist-7781", r"^hist-7781$")
        out = self.sh.keys("\x1b[A\r", "echo hist-7781")
        if out is None or not _has_line(out, r"^hist-7781$"):
            self.fail("history-up-arrow", "ESC[A + Enter did not run 'echo hist-7781' again", out)
        else:
            self.ok("history-up-arrow", "ESC[A + Enter repeated the last command")
        # Ctrl-U drops what was typed; Backspace deletes one character.
        # (The echo is "echo wrong", '\b's and blanks, "echo rigx\b \bht".)
        out = self.sh.keys("echo wrong\x15echo rigx\x7fht\r", re.compile(r"echo rigx\x08 \x08ht\n"))
        if out is None or not _has_line(out, r"^right$") or _has_line(out, r"wrong"):
            self.fail("ctrl-u-backspace", "Ctrl-U / Backspace editing did not give 'echo right'", out)
        else:
            self.ok("ctrl-u-backspace", "Ctrl-U and Backspace")
        # Ctrl-C cancels the line: nothing runs, a new prompt comes.
        self.sh.q.send("echo cancelled-9\x03")
        m = self.sh.q.wait_for(re.compile(r"\^C\n" + re.escape(PROMPT) + r"\Z", re.M),
                               COMMAND_TIMEOUT)
        out = self.sh.run("echo after-cancel")
        if m is None or out is None or "cancelled-9\n" in self.sh.tail(400):
            self.fail("ctrl-c-cancels-line", "Ctrl-C did not cancel the line", out)
        else:
            self.ok("ctrl-c-cancels-line", "^C and a fresh prompt")

    # -------------------------------------------------------------- restart
    def restart(self):
        name = "serial-restart"
        old = self.serial_pid
        if old is None:
            self.fail(name, "no pid for serial from ps")
            return
        self.sh.q.send(f"kill {old}\r")
        # The driver dies and init starts it again; the prompt comes back.
        if not self.sh.wait_prompt(RESTART_TIMEOUT):
            self.fail(name, f"no prompt within {RESTART_TIMEOUT:g} s after 'kill {old}'")
            return
        time.sleep(1.0)
        out = self.sh.run("ps", RESTART_TIMEOUT)
        new = None
        restarts = None
        for line in _lines(out):
            m = re.match(r"^\s*(\d+)\s+serial\s+alive\s+.*\s(\d+)$", line)
            if m:
                new, restarts = int(m.group(1)), int(m.group(2))
        if new is None:
            self.fail(name, "after the kill, ps shows no live serial", out)
            return
        if new == old:
            self.fail(name, f"serial still has pid {old} after 'kill {old}'", out)
            return
        answer = self.sh.run("echo still-here-5150")
        if answer is None or not _has_line(answer, r"^still-here-5150$"):
            self.fail(name, "the shell does not answer after the serial driver restarted", answer)
            return
        self.serial_pid = new
        self.ok(name, f"serial pid {old} killed, restarted as {new} (restarts {restarts}); "
                      "the shell still answers")

    # -------------------------------------------------------------- shutdown
    def shutdown(self):
        q = self.sh.q
        q.send("shutdown\r")
        status = q.wait(SHUTDOWN_TIMEOUT)
        if status is None:
            self.fail("shutdown", f"QEMU still runs {SHUTDOWN_TIMEOUT:g} s after 'shutdown'")
            q.quit()
        elif status != 0:
            self.fail("shutdown", f"QEMU ended with status {status}: {q.describe_exit()}")
        else:
            self.ok("shutdown", "QEMU powered off (status 0)")


def shell_e2e(ctx):
    """Post-boot hook: the whole session. Returns the Results in order."""
    c = Checks(ctx)
    if not c.sh.wait_prompt(BOOT_PROMPT_TIMEOUT):
        c.fail("prompt", f"no '{PROMPT}' prompt within {BOOT_PROMPT_TIMEOUT:g} s")
        return c.results
    c.ok("prompt")
    for step in (c.builtins, c.ps, c.caps_serial, c.mem_uptime, c.programs, c.background,
                 c.files, c.cwd, c.errors, c.least_privilege, c.ctrl_c_kills_program, c.kill_own_job, c.editing,
                 c.restart, c.shutdown):
        if not ctx.qemu.running:
            c.fail(step.__name__, "not run: QEMU has exited")
            continue
        step()
    return c.results


shell_e2e.test_name = "shell-e2e"
