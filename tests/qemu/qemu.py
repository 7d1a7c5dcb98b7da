# SPDX-License-Identifier: MIT
"""qemu.py - drive one qemu-system-x86_64 run for the test suite.

A QemuRun starts QEMU with the fixed base arguments (pc machine, no reboot, no
display, isa-debug-exit at port 0xf4) plus the caller's, and never -enable-kvm.
COM1 and the HMP monitor are unix-socket chardevs in QEMU *client* mode: this
class listens on both sockets before QEMU starts, so not one byte of early
serial output can be lost. A background thread reads the serial socket into a
transcript (timestamped lines, also written to <log_dir>/<name>.log as it
arrives); QEMU's own stdout/stderr and the command line go to
<log_dir>/<name>.qemu.txt. A watchdog kills QEMU after `timeout` seconds and
records timed_out. Threads: the reader and watchdog threads touch shared
state only under self._cond; monitor commands are serialised by their own lock.
Exit status: a guest writing v to isa-debug-exit makes QEMU exit with
(v << 1) | 1 (the kernel writes 0x10 -> 33 for success, 0x11 -> 35 for
failure); 1 is QEMU's own error; 0 is a monitor "quit" (or, if we did not ask,
a guest reset/triple fault under -no-reboot).
"""

import codecs
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

QEMU_BINARY = "qemu-system-x86_64"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
BASE_ARGS = ("-machine", "pc", "-no-reboot", "-display", "none",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")

EXIT_QUIT = 0            # monitor "quit" (or a reset under -no-reboot)
EXIT_QEMU_ERROR = 1      # QEMU's own failure (bad arguments, missing file, ...)
EXIT_KERNEL_OK = 33      # guest wrote 0x10 to isa-debug-exit
EXIT_KERNEL_FAIL = 35    # guest wrote 0x11

MONITOR_PROMPT = "(qemu) "
CONNECT_TIMEOUT = 15.0   # seconds for QEMU to connect its two chardevs


class QemuError(Exception):
    """The driver could not do what was asked (start, monitor command, ...)."""


def describe_exit(status, quit_requested=False, timed_out=False, timeout=None):
    """Return a one-line human explanation of how a QEMU run ended.

    status is Popen.returncode (None while running, negative for a signal).
    Pure function: no side effects."""
    if timed_out:
        limit = f" after {timeout:g} s" if timeout is not None else ""
        return f"timeout{limit}: QEMU was killed (guest hung or too slow)"
    if status is None:
        return "QEMU is still running"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"QEMU was killed by {name}"
    if status == EXIT_QUIT:
        if quit_requested:
            return "QEMU quit through the monitor (status 0)"
        return ("QEMU stopped with status 0 without being asked to quit "
                "(guest reset, triple fault or shutdown under -no-reboot)")
    if status == EXIT_QEMU_ERROR:
        return "QEMU failed (status 1: QEMU's own error, or the guest wrote 0 to isa-debug-exit)"
    if status == EXIT_KERNEL_OK:
        return "kernel reported success through isa-debug-exit (0x10, status 33)"
    if status == EXIT_KERNEL_FAIL:
        return "kernel reported failure through isa-debug-exit (0x11, status 35)"
    if status & 1:
        return f"guest wrote {(status - 1) >> 1:#x} to isa-debug-exit (status {status})"
    return f"QEMU exited with status {status}"


def short_exit(status, quit_requested=False, timed_out=False):
    """A few words for tables: "exit 33", "quit", "timeout", "reset", ..."""
    if timed_out:
        return "timeout"
    if status is None:
        return "running"
    if status < 0:
        return f"signal {-status}"
    if status == EXIT_QUIT:
        return "quit" if quit_requested else "reset/shutdown (status 0)"
    return f"exit {status}"


def firmware_args(firmware, vars_copy=None, ovmf_code=OVMF_CODE):
    """Return the QEMU arguments selecting the firmware ("bios" or "uefi").

    For "uefi", vars_copy is the path of this run's private copy of the OVMF
    variable store (OVMF writes to it). Raises ValueError on anything else."""
    if firmware == "bios":
        return []
    if firmware == "uefi":
        if not vars_copy:
            raise ValueError("uefi needs a per-run copy of the OVMF variable store")
        return ["-drive", f"if=pflash,format=raw,readonly=on,file={ovmf_code}",
                "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    raise ValueError(f"unknown firmware {firmware!r} (expected 'bios' or 'uefi')")


class QemuRun:
    """One QEMU process with its serial transcript and monitor.

    Typical use:
        run = QemuRun("demo", ["-cdrom", iso], "build/test-logs", timeout=60)
        run.start()
        try:
            if run.wait_for(r"phase 3 \\(Can Remember\\): ok", 30): ...
            status = run.wait()
        finally:
            run.stop()
    All methods may be called from one controlling thread; the transcript
    accessors are also safe from other threads."""

    def __init__(self, name, args, log_dir, timeout=120.0, firmware="bios",
                 qemu=QEMU_BINARY, ovmf_code=OVMF_CODE, ovmf_vars=OVMF_VARS):
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise ValueError(f"run name {name!r} must be usable as a file name")
        self.name = name
        self.args = list(args)
        self.log_dir = log_dir
        self.timeout = float(timeout)
        self.firmware = firmware
        self.qemu = qemu
        self.ovmf_code = ovmf_code
        self.ovmf_vars = ovmf_vars
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.qemu_log_path = os.path.join(log_dir, f"{name}.qemu.txt")
        self.command = None
        self.timed_out = False
        self.quit_requested = False
        self.start_time = None
        self.end_time = None
        self._proc = None
        self._tmp = None
        self._serial = None
        self._monitor = None
        self._monitor_buf = ""
        self._monitor_lock = threading.Lock()
        self._cond = threading.Condition()
        self._text = ""          # whole transcript, "\r" removed
        self._lines = []         # completed lines: (seconds since start, text)
        self._partial = ""       # text after the last newline
        self._cursor = 0         # wait_for() searches self._text from here
        self._eof = False
        self._threads = []
        self._log = None
        self._qemu_log = None
        self._stopped = False    # stop() was called: never start again

    # ------------------------------------------------------------ lifecycle
    def start(self):
        """Start QEMU and wait until it has connected serial and monitor.

        Raises QemuError (with QEMU's own output) if QEMU exits or does not
        connect within CONNECT_TIMEOUT; everything started is cleaned up."""
        if self._proc is not None or self._stopped:
            raise QemuError("already started or stopped")
        os.makedirs(self.log_dir, exist_ok=True)
        # Socket paths must stay short (108 bytes), so they live in /tmp.
        self._tmp = tempfile.mkdtemp(prefix=f"mos-{self.name[:20]}-")
        serial_path = os.path.join(self._tmp, "serial.sock")
        monitor_path = os.path.join(self._tmp, "monitor.sock")
        listeners = []
        try:
            fw = []
            if self.firmware == "uefi":
                vars_copy = os.path.join(self._tmp, "OVMF_VARS.fd")
                shutil.copyfile(self.ovmf_vars, vars_copy)
                fw = firmware_args("uefi", vars_copy, self.ovmf_code)
            else:
                fw = firmware_args(self.firmware)
            for path in (serial_path, monitor_path):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(path)
                s.listen(1)
                s.settimeout(0.1)
                listeners.append(s)
            self.command = ([self.qemu] + list(BASE_ARGS) + fw +
                            ["-chardev", f"socket,id=mos_serial,path={serial_path}",
                             "-serial", "chardev:mos_serial",
                             "-chardev", f"socket,id=mos_monitor,path={monitor_path}",
                             "-mon", "chardev=mos_monitor,mode=readline"] +
                            self.args)
            self._log = open(self.log_path, "w", encoding="utf-8", newline="\n")
            self._qemu_log = open(self.qemu_log_path, "w", encoding="utf-8", errors="replace")
            self._qemu_log.write("$ " + shlex.join(self.command) + "\n")
            self._qemu_log.flush()
            self.start_time = time.monotonic()
            self._proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                          stdout=self._qemu_log, stderr=subprocess.STDOUT)
            if self._stopped:           # stop() raced with us (Ctrl-C)
                raise QemuError("stopped while starting")
            self._serial = self._accept(listeners[0], "serial")
            self._monitor = self._accept(listeners[1], "monitor")
        except BaseException:
            for s in listeners:
                s.close()
            self.stop()
            raise
        for s in listeners:
            s.close()
        self._monitor.settimeout(None)
        self._spawn(self._read_serial, "serial")
        self._spawn(self._watchdog, "watchdog")
        try:
            self._monitor_read_prompt(CONNECT_TIMEOUT)
        except QemuError:
            pass        # QEMU already gone; the exit status will tell why
        return self

    def _accept(self, listener, what):
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            try:
                conn, _ = listener.accept()
                return conn
            except socket.timeout:
                pass
            if self._proc.poll() is not None:
                raise QemuError(f"QEMU exited (status {self._proc.returncode}) before "
                                f"connecting its {what} socket: {self.qemu_output_tail()}")
            if time.monotonic() > deadline:
                raise QemuError(f"QEMU did not connect its {what} socket within "
                                f"{CONNECT_TIMEOUT:g} s")

    def _spawn(self, fn, what):
        t = threading.Thread(target=fn, name=f"qemu-{self.name}-{what}", daemon=True)
        t.start()
        self._threads.append(t)

    def _read_serial(self):
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        sock = self._serial
        while True:
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            text = decoder.decode(data, final=not data).replace("\r", "")
            if text:
                self._log.write(text)
                self._log.flush()
            with self._cond:
                self._append(text, time.monotonic() - self.start_time)
                if not data:
                    if self._partial:
                        self._lines.append((time.monotonic() - self.start_time, self._partial))
                        self._partial = ""
                    self._eof = True
                self._cond.notify_all()
            if not data:
                return

    def _append(self, text, stamp):
        """Add decoded text to the transcript. Caller holds self._cond."""
        if not text:
            return
        self._text += text
        pieces = (self._partial + text).split("\n")
        self._partial = pieces.pop()
        for line in pieces:
            self._lines.append((stamp, line))

    def _watchdog(self):
        try:
            self._proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with self._cond:
                self.timed_out = True
            self._kill()
            self._proc.wait()
        with self._cond:
            self.end_time = time.monotonic()
            self._cond.notify_all()

    def _kill(self):
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.kill()
            except ProcessLookupError:
                pass

    def wait(self, timeout=None):
        """Wait for QEMU to exit; return its exit status, or None if it is
        still running after `timeout` seconds. The watchdog bounds the wait
        to the run's overall timeout in any case."""
        if self._proc is None:
            raise QemuError("not started")
        try:
            status = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        # Let the reader drain what QEMU wrote before it died.
        with self._cond:
            self._cond.wait_for(lambda: self._eof, timeout=5)
        return status

    def stop(self):
        """Make sure QEMU is gone (killing it if needed), join the threads,
        close sockets and logs, and delete the temporary directory. Safe to
        call more than once and after a failed start()."""
        self._stopped = True
        if self._proc is not None:
            self._kill()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for s in (self._serial, self._monitor):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for t in self._threads:
            t.join(timeout=10)
        for s in (self._serial, self._monitor):
            if s is not None:
                s.close()
        self._serial = self._monitor = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._qemu_log is not None:
            if self._proc is not None:
                self._qemu_log.write(f"--- {self.describe_exit()}\n")
            self._qemu_log.close()
            self._qemu_log = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ------------------------------------------------------------ state
    @property
    def exit_status(self):
        """Popen return code: None while running, negative if killed."""
        return None if self._proc is None else self._proc.poll()

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def short_exit(self):
        return short_exit(self.exit_status, self.quit_requested, self.timed_out)

    def describe_exit(self):
        return describe_exit(self.exit_status, self.quit_requested, self.timed_out, self.timeout)

    def elapsed(self):
        """Seconds from start to exit (or to now while running)."""
        if self.start_time is None:
            return 0.0
        end = self.end_time if self.end_time is not None else time.monotonic()
        return end - self.start_time

    def lines(self):
        """Snapshot of the completed transcript lines as (seconds, text)."""
        with self._cond:
            return list(self._lines)

    def transcript(self):
        with self._cond:
            return self._text

    def qemu_output_tail(self, n=20):
        """Last n lines of QEMU's own stdout/stderr (not the guest's)."""
        try:
            with open(self.qemu_log_path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return ""
        return "\n".join(lines[1:][-n:])      # line 0 is the command

    # ------------------------------------------------------------ serial
    def wait_for(self, pattern, timeout):
        """Wait until the serial transcript matches `pattern` (a regex string
        or compiled pattern; MULTILINE for strings) at or after the cursor.
        On a match, move the cursor past it and return the match object.
        Return None on timeout or when QEMU's serial output has ended."""
        rx = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._text, self._cursor)
                if m:
                    self._cursor = m.end()
                    return m
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def wait_lines(self, predicate, timeout):
        """Wait until predicate(lines) is true, re-evaluated whenever serial
        output arrives (lines as returned by lines()). Return the predicate's
        last value (false on timeout or end of output)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(list(self._lines))
                remaining = deadline - time.monotonic()
                if value or self._eof or remaining <= 0:
                    return value
                self._cond.wait(remaining)

    def send(self, text):
        """Type text into COM1 (the guest's serial input). Raises QemuError
        if the serial connection is gone."""
        if self._serial is None:
            raise QemuError("serial is not connected")
        try:
            self._serial.sendall(text.encode("utf-8"))
        except OSError as e:
            raise QemuError(f"cannot send to serial: {e}") from e

    # ------------------------------------------------------------ monitor
    def _monitor_read_prompt(self, timeout):
        """Read monitor output up to the next prompt; return it (prompt
        excluded). Caller serialises. Raises QemuError on EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            idx = self._monitor_buf.find(MONITOR_PROMPT)
            if idx >= 0:
                out = self._monitor_buf[:idx]
                self._monitor_buf = self._monitor_buf[idx + len(MONITOR_PROMPT):]
                return out
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QemuError("monitor did not answer in time")
            self._monitor.settimeout(remaining)
            try:
                data = self._monitor.recv(4096)
            except socket.timeout:
                raise QemuError("monitor did not answer in time") from None
            except OSError as e:
                raise QemuError(f"monitor connection failed: {e}") from e
            if not data:
                raise QemuError("monitor connection closed (QEMU has exited)")
            self._monitor_buf += data.decode("utf-8", errors="replace").replace("\r", "")

    def monitor(self, command, timeout=20.0):
        """Run one HMP command and return its output (echo removed).
        Raises QemuError if QEMU is gone or does not answer in time."""
        if self._monitor is None:
            raise QemuError("monitor is not connected")
        if "\n" in command:
            raise ValueError("one monitor command at a time")
        with self._monitor_lock:
            try:
                self._monitor.sendall(command.encode("utf-8") + b"\n")
            except OSError as e:
                raise QemuError(f"cannot send to monitor: {e}") from e
            out = self._monitor_read_prompt(timeout)
        # readline mode echoes the command (with terminal escapes) first.
        lines = out.split("\n")
        if lines and command in lines[0]:
            lines = lines[1:]
        return "\n".join(lines).strip()

    def screendump(self, path, timeout=20.0):
        """Save the display as a PPM file through the monitor. Raises
        QemuError if QEMU reports an error or no file appears."""
        path = os.path.abspath(path)
        if re.search(r"\s", path):
            raise ValueError(f"screendump path must not contain spaces: {path}")
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        out = self.monitor(f"screendump {path}", timeout)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            raise QemuError(f"screendump wrote no file ({out or 'no monitor output'})")
        return out

    def quit(self, timeout=20.0):
        """Ask QEMU to quit through the monitor and wait for it to exit.
        Return the exit status (None if it did not exit in time)."""
        with self._cond:
            # Serial EOF means QEMU is already on its way out by itself (a
            # guest reset or isa-debug-exit): that must not look like our quit.
            if not self._eof:
                self.quit_requested = True
        if self.running and self.quit_requested:
            try:
                self.monitor("quit", timeout)
            except QemuError:
                pass        # QEMU closes the monitor as it quits
        return self.wait(timeout)
