# SPDX-License-Identifier: MIT
"""scenarios_netstack.py - the netstack (lwIP) under QEMU, with a modern
virtio-net device on QEMU's user network (restrict=on: the guest reaches
nothing outside; the host reaches the guest only through hostfwd ports bound
to 127.0.0.1). Image: minimalos-netstack.iso (mk/lwip.mk: the normal
services plus nstest, booted with initconf=/etc/netstack-test.conf).

From the guest (nstest's TEST lines, each a result): loopback ping, TCP and
UDP echo over 127.0.0.1, protocol errors, no leaks after 1000 sockets and
100 connections, the DHCP address (10.0.2.15), ping of 10.0.2.2.
From the host (the post-boot hook):
  dhcp-line            the netstack logged 10.0.2.15 (DHCP)
  tcp-echo             3 connections through hostfwd to echod (port 7), data
                       checked by SHA-256 (64 KiB, 256 KiB, 1 MiB)
  udp-in               20 datagrams of 1..1472 bytes through hostfwd to nstest's
                       UDP sink (5004): count, bytes and hash must match
  udp-echo             10 datagrams to echod (7): echod must receive and send
                       them (restrict=on makes QEMU drop every UDP datagram
                       from the guest, so the echoes are counted, not seen)
  throughput-in/out    host->guest (nstest's sink, port 5001) and guest->host
                       (its source, 5002), Mbit/s in the result text
  driver-restart       a TCP connection from the host survives a restart of
                       the NIC driver (killed through nstest, restarted by init)
  restart              nstest kills the netstack (INIT_KILL) with a recv
                       blocked in it: the recv ends with an error, init
                       restarts the netstack, DHCP again; then TCP echo from
                       the host works again (echod reopened its sockets)
Budget: about 90 s."""

import dataclasses
import hashlib
import os
import socket
import sys
import time

import scenarios as S
from net_host import connect, echo, echo_over, free_ports

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))
from netbench import drain_source, feed_sink  # noqa: E402

NETSTACK_ISO = "minimalos-netstack.iso"
TCP_PORTS = {"echo": 7, "sink": 5001, "source": 5002, "control": 5003}
UDP_PORTS = {"echo": 7, "udpsink": 5004}
TIMEOUT = 100.0


def net_args(ports):
    fwd = ",".join([f"hostfwd=tcp:127.0.0.1:{ports[k]}-:{v}" for k, v in TCP_PORTS.items()] +
                   [f"hostfwd=udp:127.0.0.1:{ports[k]}-:{v}" for k, v in UDP_PORTS.items()])
    return S.ICOUNT + ("-device", "virtio-net-pci,disable-legacy=on,netdev=n0",
            "-netdev", f"user,id=n0,restrict=on,{fwd}")


def check_tcp_echo(port, sizes=(64 * 1024, 256 * 1024, 1024 * 1024)):
    details = []
    for i, size in enumerate(sizes):
        ok, d = echo(port, size, f"netstack-{i}", 30.0)
        details.append(d)
        if not ok:
            return S.Result("tcp-echo", S.FAIL, d)
    return S.Result("tcp-echo", S.PASS, f"{len(sizes)} connections: " + "; ".join(details))


def control(port, command):
    """One command line to nstest's control port; its one-line answer."""
    with connect(port) as c:
        c.settimeout(10)
        c.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = c.recv(256)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").split()


def fnv1a64(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def check_udp_in(ports, sizes=(1, 64, 512, 1400, 1472) * 4):
    """Host -> guest UDP through hostfwd: nstest's sink must report exactly
    the datagrams sent (count, bytes, FNV-1a of the bytes in order)."""
    before = control(ports["control"], "udp")
    if len(before) != 4 or before[0] != "udp":
        return S.Result("udp-in", S.FAIL, f"control said {before}")
    h = int(before[3], 16)
    total = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for i, size in enumerate(sizes):
            data = hashlib.shake_256(f"udp-{i}".encode()).digest(size)
            u.sendto(data, ("127.0.0.1", ports["udpsink"]))
            h = fnv1a64(data, h)
            total += size
            time.sleep(0.01)
    want = [int(before[1]) + len(sizes), int(before[2]) + total, h]
    for _ in range(20):
        after = control(ports["control"], "udp")
        got = [int(after[1]), int(after[2]), int(after[3], 16)] if len(after) == 4 else None
        if got == want:
            return S.Result("udp-in", S.PASS, f"{len(sizes)} datagrams, {total} bytes, hash {h:016x}")
        time.sleep(0.25)
    return S.Result("udp-in", S.FAIL, f"sink reports {after}, want {want[0]} {want[1]} {want[2]:016x}")


def check_udp_echo(ports, n=10):
    """Datagrams to echod through hostfwd. QEMU's user network with
    restrict=on drops every UDP datagram the guest sends (only its DHCP and
    TFTP are served), so the echoes cannot reach the host: check that echod
    received and sent them (lwIP's UDP counters) and that the frames left
    through the driver."""
    def counters():
        a = control(ports["control"], "ifinfo")
        if len(a) != 13 or a[0] != "ifinfo":
            raise OSError(f"control said {a}")
        return {a[i]: int(a[i + 1]) for i in range(1, 13, 2)}
    c0 = counters()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for i in range(n):
            u.sendto(b"echo %d" % i, ("127.0.0.1", ports["echo"]))
            time.sleep(0.01)
    for _ in range(20):
        c1 = counters()
        d = {k: c1[k] - c0[k] for k in c0}
        if d["udprx"] >= n and d["udptx"] >= n and d["drvtx"] >= n:
            return S.Result("udp-echo", S.PASS, f"{n} datagrams echoed by echod and sent by the driver "
                            f"(udp rx +{d['udprx']}, udp tx +{d['udptx']}, driver tx +{d['drvtx']}); "
                            "QEMU's restrict=on drops guest UDP, so the host cannot see them")
        time.sleep(0.25)
    return S.Result("udp-echo", S.FAIL, f"counters moved by {d} for {n} datagrams")


def throughput_in(port, size=16 * 1024 * 1024):
    """Host -> guest: send size bytes to the sink; it answers (bytes, ns)."""
    with connect(port, 60.0) as s:
        t0 = time.monotonic()
        got = feed_sink(s, size)
        dt = time.monotonic() - t0
    if got < 0:
        return S.Result("throughput-in", S.FAIL, "the sink did not report")
    if got != size:
        return S.Result("throughput-in", S.FAIL, f"the sink got {got} of {size} bytes")
    return S.Result("throughput-in", S.PASS,
                    f"host->guest {size >> 20} MiB in {dt:.2f} s = {size * 8 / dt / 1e6:.1f} Mbit/s")


def throughput_out(port, size=16 * 1024 * 1024):
    """Guest -> host: ask the source for size bytes."""
    with connect(port, 60.0) as s:
        t0 = time.monotonic()
        got = drain_source(s, size)
        dt = time.monotonic() - t0
    if got != size:
        return S.Result("throughput-out", S.FAIL, f"got {got} of {size} bytes")
    return S.Result("throughput-out", S.PASS,
                    f"guest->host {size >> 20} MiB in {dt:.2f} s = {size * 8 / dt / 1e6:.1f} Mbit/s")


def echo_on(s, size, seed):
    """Echo size bytes over an open connection that stays in use."""
    data = hashlib.shake_256(f"survive-{seed}".encode()).digest(size)
    got, have, err = echo_over(s, data, 30, shut=False)
    return err is None and got == size and have == hashlib.sha256(data).hexdigest()


def check_driver_restart(ports):
    """A TCP connection survives a restart of the NIC driver: echo on it,
    kill virtio-net (nstest asks init), wait until the netstack attached to
    the new driver, echo on the same connection again."""
    with connect(ports["echo"], 30.0) as s:
        s.settimeout(30.0)
        if not echo_on(s, 65536, 1):
            return S.Result("driver-restart", S.FAIL, "echo before the restart failed")
        said = control(ports["control"], "drvrestart")
        if said[:2] != ["drvrestart", "ok"]:
            return S.Result("driver-restart", S.FAIL, "nstest: " + " ".join(said))
        if not echo_on(s, 65536, 2):
            return S.Result("driver-restart", S.FAIL, "the connection did not survive: " + " ".join(said))
    return S.Result("driver-restart", S.PASS, "one TCP connection echoed 64 KiB before and after; " +
                    " ".join(said[2:]))


def guarded(name, fn, *args):
    try:
        return fn(*args)
    except Exception as e:
        return S.Result(name, S.FAIL, f"{type(e).__name__}: {e}")


def make_hook(ports):
    def hook(ctx):
        run = ctx.qemu
        out = []
        if not run.wait_for(r"netstack: en0 10\.0\.2\.15/", 40):
            out.append(S.Result("dhcp-line", S.FAIL, "no 'netstack: en0 10.0.2.15/...' line in 40 s"))
        else:
            out.append(S.Result("dhcp-line", S.PASS, "10.0.2.15 by DHCP"))
        if not run.wait_for(r"NSTEST READY", 40):
            out.append(S.Result("nstest-ready", S.FAIL, "nstest never served (see its TEST lines)"))
            return out
        out.append(guarded("tcp-echo", check_tcp_echo, ports["echo"]))
        out.append(guarded("udp-in", check_udp_in, ports))
        out.append(guarded("udp-echo", check_udp_echo, ports))
        out.append(guarded("throughput-in", throughput_in, ports["sink"]))
        out.append(guarded("throughput-out", throughput_out, ports["source"]))
        out.append(guarded("driver-restart", check_driver_restart, ports))
        try:
            with connect(ports["control"]) as c:
                c.sendall(b"restart\n")
        except OSError as e:
            out.append(S.Result("restart", S.FAIL, f"control connection: {e}"))
            return out
        if not run.wait_for(r"NSTEST RESTARTED", 45):
            out.append(S.Result("restart", S.FAIL, "nstest did not finish the restart check in 45 s"))
            return out
        # echod notices the dead netstack and opens its sockets again.
        deadline = time.monotonic() + 20
        res = None
        while time.monotonic() < deadline:
            res = guarded("restart", check_tcp_echo, ports["echo"], (64 * 1024,))
            if res.status == S.PASS:
                break
            time.sleep(0.5)
        out.append(res._replace(name="restart",
                                reason="TCP echo from the host after the restart: " + res.reason))
        return out
    hook.test_name = "netstack-host"
    return hook


def own_image(scenario, build_dir, log_dir, qemu_binary, register):
    """`custom` runner: the scenario table admits only the standard images
    for plain rows, so this row runs as an ordinary run_scenario() here."""
    return S.run_scenario(dataclasses.replace(scenario, custom=None), build_dir, log_dir, qemu_binary,
                          register)


def scenarios():
    names = sorted(set(TCP_PORTS) | set(UDP_PORTS))
    ports = dict(zip(names, free_ports(len(names))))
    return [S.Scenario(name="netstack", iso=NETSTACK_ISO, mem="256M", smp=2,
                       extra_args=net_args(ports), timeout=TIMEOUT, expect_exit=None,
                       ktests=False, post_boot=make_hook(ports), custom=own_image)]
