# SPDX-License-Identifier: MIT
"""scenarios_netapps.py - the network applications end to end
(docs/network.md, "Testing the network"): httpd, fetch, echod and the
shell's network programs on the normal image, and the stack's behaviour
towards a hostile link. Two boots, both of the normal image under
`-icount shift=0` (single-threaded TCG, which QEMU 7.2 needs for a stable
PCI device, and time that follows the host while idle), -smp 2:

netapps       QEMU user network, restrict=on (the guest reaches nothing but
              what is forwarded): hostfwd 127.0.0.1:<p>->:80 (httpd) and
              ->:7 (echod), guestfwd 10.0.2.100:80 -> net_relay.py -> an
              HTTP server of this runner on 127.0.0.1 (net_host.py).
  services-up        DHCP (10.0.2.15), httpd and echod listening
  shell-net          ifconfig, lspci and ping 10.0.2.2 from the prompt (the
                     shell passes "pci" and "net" to its children)
  http-index         urllib GET / is /www/index.html, byte for byte
  http-status        urllib GET /status (HTML) and /status.txt: uptime,
                     processes from init, memory, network counters
  http-404           urllib: a missing path is 404
  http-methods       HEAD (head only), POST with a body (405, Allow, the
                     connection still usable), an unknown method (501, closed),
                     a directory without '/' (301)
  http-keepalive     5 requests on one connection, then 3 pipelined in one write
  http-malformed     no version, HTTP/2.0, no Host, NUL, bad/conflicting
                     Content-Length, Content-Length with Transfer-Encoding,
                     a header flood, an overlong line, "..": 400/505/431/414,
                     each connection closed by the server
  http-concurrent    8 keep-alive clients at once (20 requests each), then 40
                     connections at once (more than httpd's 32: 200 or 503,
                     never a hang)
  fetch-*            the guest's fetch through guestfwd: a text page on the
                     console (by name: testhost in /etc/hosts), 2 MiB to /tmp (Content-Length), a chunked body
                     to /tmp, a 404; then the host reads both files back
                     through httpd (/tmp/...: large files streamed), SHA-256
  http-disconnect    clients that vanish mid-request (close, reset), mid-
                     response (a 2 MiB file, closed after 1 KiB) and a slow
                     one: the server counts them and keeps serving
  echo-8x2MiB        8 concurrent TCP connections to echod, 2 MiB each way
  echo-16MiB         one connection, 16 MiB each way (SHA-256 both)
  no-leaks           1000 connections opened and closed: the netstack's
                     sockets, socket pages, lwIP heap, pbufs, pcbs, segments
                     and the kernel's free frames and heap back where they were
  driver-restart     `kill` of virtio-net from the shell: init restarts it, the
                     netstack attaches again, a new TCP connection works
  netstack-restart   `kill` of the netstack while a background fetch waits in
                     a read: fetch ends with an error (no hang), init restarts
                     the netstack, httpd and echod reopen, HTTP works again
netapps-raw   QEMU's -netdev dgram to this runner (net_peer.py), which is
              the whole link: DHCP server, ARP, ICMP, UDP, TCP built by hand.
              A real UDP echo (slirp's restrict=on drops the guest's UDP),
              then malformed frames and floods, checked by the counters.
DHCP and `ping 10.0.2.2` from the guest, UDP into the guest through hostfwd
and TCP surviving a driver restart are scenarios_netstack.py's (not repeated).
Budget: about 2.5 min for both on an idle machine."""

import dataclasses
import hashlib
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

import scenarios as S
from e2e_shell import ShellSession
import net_host as H

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
WWW = os.path.join(REPO, "user", "rootfs", "www")
GUEST_IP = "10.0.2.15"
FWD_IP = "10.0.2.100"
ICOUNT = ("-icount", "shift=0")
TIMEOUT = 420.0
DHCP_RX = r"netstack: en0 10\.0\.2\.15/"


def nic(netdev):
    return ICOUNT + ("-device", "virtio-net-pci,disable-legacy=on,netdev=n0", "-netdev", netdev)


def res(name, ok, reason, detail=""):
    return S.Result(name, S.PASS if ok else S.FAIL, reason, detail)


def guarded(name, fn, *args):
    try:
        return fn(*args)
    except Exception as e:
        import traceback
        return S.Result(name, S.FAIL, f"{type(e).__name__}: {e}", traceback.format_exc())


class Transcript:
    """Waiting for serial lines that appear after a given point."""

    def __init__(self, q):
        self.q = q

    def mark(self):
        return len(self.q.lines())

    def wait(self, patterns, timeout, since=0):
        """Wait until every pattern matches a line at index >= since;
        returns the matches (None for the ones still missing)."""
        rxs = [re.compile(p) for p in patterns]

        def found(lines):
            got = []
            for rx in rxs:
                m = None
                for _, text in lines[since:]:
                    m = rx.search(text)
                    if m:
                        break
                got.append(m)
            return got

        self.q.wait_lines(lambda lines: all(found(lines)), timeout)
        return found(self.q.lines())


def urlopen(url, timeout=30):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(url, timeout=timeout)


def www(name):
    with open(os.path.join(WWW, name), "rb") as f:
        return f.read()


# ---------------------------------------------------------------- HTTP checks
def check_index(port):
    want = www("index.html")
    for attempt in range(20):
        try:
            with urlopen(f"http://127.0.0.1:{port}/") as r:
                body, ctype = r.read(), r.headers.get("Content-Type", "")
            break
        except (OSError, urllib.error.URLError):
            if attempt == 19:
                raise
            time.sleep(0.5)
    if body != want:
        return res("http-index", False, f"GET / gave {len(body)} bytes, /www/index.html has {len(want)}")
    if not ctype.startswith("text/html"):
        return res("http-index", False, f"Content-Type {ctype!r}")
    return res("http-index", True, f"urllib GET / = /www/index.html ({len(want)} bytes, {ctype})")


def check_status(port):
    with urlopen(f"http://127.0.0.1:{port}/status") as r:
        html = r.read().decode(errors="replace")
    for want in ("<h1>MinimalOS status</h1>", ">netstack<", ">httpd<", ">init<", GUEST_IP, "free KiB",
                 "tcp_rx"):
        if want not in html:
            return res("http-status", False, f"/status lacks {want!r}", html[:3000])
    st = H.status_txt(port)
    names = {p[1] for p in st["_processes"]}
    missing = [k for k in ("uptime_ms", "frames_free", "kernel_heap_bytes", "net_sockets", "net_tcp_rx",
                           "httpd_requests") if not isinstance(st.get(k), int)]
    if missing or st.get("net_addr") != GUEST_IP or not {"init", "netstack", "httpd", "vfs"} <= names:
        return res("http-status", False, f"/status.txt: missing {missing}, net_addr {st.get('net_addr')}, "
                   f"processes {sorted(names)}")
    return res("http-status", True, f"/status and /status.txt: up {st['uptime_ms']} ms, {len(names)} "
               f"processes, {st['frames_free']} frames free, {st['net_tcp_rx']} TCP segments in")


def check_404(port):
    try:
        with urlopen(f"http://127.0.0.1:{port}/no/such/page.html") as r:
            return res("http-404", False, f"a missing page answered {r.status}")
    except urllib.error.HTTPError as e:
        body = e.read()
        if e.code != 404 or b"404 Not Found" not in body:
            return res("http-404", False, f"answered {e.code}: {body[:100]!r}")
    return res("http-404", True, "urllib: /no/such/page.html -> 404 Not Found")


def check_methods(port):
    index = www("index.html")
    with H.HttpConn(port) as c:
        c.request(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n")
        st, h, _ = c.response(head_only=True)
        if st != 200 or int(h.get("content-length", -1)) != len(index):
            return res("http-methods", False, f"HEAD: {st} {h}")
        # If HEAD had sent a body, the next response would not parse.
        c.request(b"POST /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + b"x" * 100)
        st, h, _ = c.response()
        if st != 405 or h.get("allow") != "GET, HEAD":
            return res("http-methods", False, f"POST: {st} {h}")
        c.request(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
        st, h, body = c.response()
        if st != 200 or body != www("style.css"):
            return res("http-methods", False, f"GET after the 405 on the same connection: {st}")
        c.request(b"GET /tmp HTTP/1.1\r\nHost: t\r\n\r\n")
        st, h, _ = c.response()
        if st != 301 or h.get("location") != "/tmp/":
            return res("http-methods", False, f"/tmp: {st} {h}")
        c.request(b"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n")
        st, h, _ = c.response()
        if st != 501 or h.get("connection") != "close" or not c.closed_by_peer():
            return res("http-methods", False, f"BREW: {st} {h} (or not closed)")
    return res("http-methods", True, "HEAD 200 (no body), POST 405 + Allow (body discarded, connection kept), "
               "/tmp 301 -> /tmp/, BREW 501 + close")


def check_keepalive(port):
    files = ["index.html", "about.txt", "style.css"]
    with H.HttpConn(port) as c:
        for i in range(5):
            name = files[i % 3]
            c.request(f"GET /{name} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            st, h, body = c.response()
            if st != 200 or body != www(name) or h.get("connection") != "keep-alive":
                return res("http-keepalive", False, f"request {i + 1} ({name}): {st} {h}")
        c.request(b"".join(f"GET /{n} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for n in files))
        for n in files:
            st, _, body = c.response()
            if st != 200 or body != www(n):
                return res("http-keepalive", False, f"pipelined {n}: {st}, {len(body)} bytes")
        c.request(b"GET /about.txt HTTP/1.0\r\n\r\n")     # 1.0: close after
        st, h, body = c.response()
        if st != 200 or h.get("connection") != "close" or not c.closed_by_peer():
            return res("http-keepalive", False, f"HTTP/1.0 request: {st} {h} (or not closed)")
    return res("http-keepalive", True, "5 requests on one connection, 3 pipelined in one write, "
               "then HTTP/1.0 closed")


MALFORMED = [
    ("no-version", b"GET /\r\n\r\n", 400),
    ("http2", b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    ("no-host", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("bad-method", b"G\x01T / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("nul", b"GET /a\x00b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("bare-cr", b"GET / HTTP/1.1\rHost: t\r\n\r\n", 400),
    ("space-before-colon", b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
    ("folding", b"GET / HTTP/1.1\r\nHost: t\r\n x\r\n\r\n", 400),
    ("bad-length", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n", 400),
    ("two-lengths", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
    ("length-and-chunked", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\nhello", 400),
    ("header-flood", b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X: y\r\n" * 100 + b"\r\n", 431),
    ("long-line", b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    ("long-header", b"GET / HTTP/1.1\r\nHost: t\r\nX: " + b"v" * 3000 + b"\r\n\r\n", 431),
    ("dot-dot", b"GET /../etc/init.conf HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("escaped-dot-dot", b"GET /%2e%2e/etc/init.conf HTTP/1.1\r\nHost: t\r\n\r\n", 400),
]


def check_malformed(port):
    bad = []
    for name, data, want in MALFORMED:
        try:
            with H.HttpConn(port, 20) as c:
                c.request(data)
                st, h, _ = c.response()
                closed = c.closed_by_peer(10)
        except (OSError, EOFError, ValueError) as e:
            bad.append(f"{name}: {type(e).__name__} {e}")
            continue
        if st != want or not closed:
            bad.append(f"{name}: {st} (want {want}){'' if closed else ', not closed'}")
    st, _, _ = H.get(port, "/about.txt")
    if st != 200:
        bad.append(f"a good request afterwards: {st}")
    if bad:
        return res("http-malformed", False, "; ".join(bad[:4]))
    return res("http-malformed", True, f"{len(MALFORMED)} malformed requests answered 400/414/431/505 "
               "and closed; then a good one is served")


def check_concurrent(port):
    files = ["index.html", "about.txt", "style.css"]
    errors = []

    def client(k):
        try:
            with H.HttpConn(port, 60) as c:
                for i in range(20):
                    n = files[(k + i) % 3]
                    c.request(f"GET /{n} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
                    st, _, body = c.response()
                    if st != 200 or body != www(n):
                        errors.append(f"client {k} request {i}: {st}")
                        return
        except Exception as e:
            errors.append(f"client {k}: {type(e).__name__} {e}")
    t0 = time.monotonic()
    ts = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    t_keep = time.monotonic() - t0
    if errors:
        return res("http-concurrent", False, "; ".join(errors[:3]))
    # 40 at once: more than the server's 32 connections.
    socks, codes = [], {}
    try:
        for _ in range(40):
            socks.append(H.connect(port, 60))
        for s in socks:
            s.sendall(b"GET /about.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        for s in socks:
            s.settimeout(60)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            code = data[9:12].decode(errors="replace") if data.startswith(b"HTTP/1.1 ") else "none"
            codes[code] = codes.get(code, 0) + 1
    finally:
        for s in socks:
            s.close()
    if set(codes) - {"200", "503"} or codes.get("200", 0) < 32:
        return res("http-concurrent", False, f"40 connections at once: {codes}")
    return res("http-concurrent", True, f"8 keep-alive clients x 20 requests in {t_keep:.1f} s; 40 at once: "
               f"{codes.get('200', 0)} x 200, {codes.get('503', 0)} x 503")


def check_disconnect(port):
    before = H.status_txt(port)["httpd_client_gone"]
    # Half a request, then close.
    with H.connect(port) as s:
        s.sendall(b"GET /index.html HTT")
        time.sleep(0.2)
    # Half a request, then a reset (SO_LINGER 0).
    s = H.connect(port)
    s.sendall(b"GET /about.txt HTTP/1.1\r\nHo")
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    # A large response, abandoned after 1 KiB (reset).
    s = H.connect(port)
    s.sendall(b"GET /tmp/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    s.settimeout(30)
    got = b""
    while len(got) < 1024:
        chunk = s.recv(1024)
        if not chunk:
            break
        got += chunk
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    # A slow one: a byte at a time, then gone.
    with H.connect(port) as s:
        for b in b"GET /style.css":
            s.sendall(bytes([b]))
            time.sleep(0.02)
    deadline = time.monotonic() + 20
    after = before
    while time.monotonic() < deadline:
        st = H.status_txt(port)
        after = st["httpd_client_gone"]
        if after >= before + 3:
            break
        time.sleep(0.3)
    st_code, _, body = H.get(port, "/")
    if st_code != 200 or body != www("index.html"):
        return res("http-disconnect", False, f"GET / afterwards: {st_code}")
    if after < before + 3:
        return res("http-disconnect", False, f"client_gone counter {before} -> {after}, expected +3 or more")
    return res("http-disconnect", True, f"4 clients vanished mid-request or mid-response (client_gone "
               f"{before} -> {after}); the server kept serving")


# ---------------------------------------------------------------- fetch
def check_fetch(sh, port, site):
    out = []
    # By name: "testhost" is 10.0.2.100 in the initrd's /etc/hosts.
    o = sh.run("fetch http://testhost/hello.txt", 60)
    want = site.files["/hello.txt"].decode().strip()
    out.append(res("fetch-console", o is not None and want in o, "fetch http://testhost/ (/etc/hosts: "
               f"{FWD_IP}) printed the page" if o and want in o else "no page", o or sh.tail()))
    big = site.files["/big.bin"]
    o = sh.run(f"fetch -o big.bin http://{FWD_IP}/big.bin", 120)
    ok = o is not None and re.search(rf"fetch: 200 OK: {len(big)} bytes to /tmp/big.bin", o)
    out.append(res("fetch-file", bool(ok), (ok.group(0) + o[ok.end():].split("\n")[0]) if ok else "no summary",
               o or sh.tail()))
    o = sh.run(f"fetch -o chunked.bin http://{FWD_IP}/chunked.bin", 60)
    ok = o is not None and re.search(rf"fetch: 200 OK: {len(site.chunked)} bytes to /tmp/chunked.bin", o)
    out.append(res("fetch-chunked", bool(ok), ok.group(0) if ok else "no summary", o or sh.tail()))
    o = sh.run(f"fetch http://{FWD_IP}/no-such-file", 60)
    ok = o is not None and re.search(r"^fetch: 404 ", o, re.M)
    out.append(res("fetch-404", bool(ok), "fetch: 404 reported" if ok else "no 404 line", o or sh.tail()))
    # The files, back through httpd (streamed from /tmp).
    bad = []
    for path, data in (("/tmp/big.bin", big), ("/tmp/chunked.bin", site.chunked)):
        t0 = time.monotonic()
        st, _, body = H.get(port, path, 120)
        dt = time.monotonic() - t0
        if st != 200 or hashlib.sha256(body).digest() != hashlib.sha256(data).digest():
            bad.append(f"{path}: {st}, {len(body)} bytes")
        elif path == "/tmp/big.bin":
            speed = f"{len(body) * 8 / dt / 1e6:.1f} Mbit/s"
    out.append(res("http-large-file", not bad, "; ".join(bad) if bad else
                   f"/tmp/big.bin ({len(big)} bytes, {speed}) and /tmp/chunked.bin: SHA-256 as sent"))
    return out


# ---------------------------------------------------------------- echo
def check_echo_parallel(port, n=8, size=2 * 1024 * 1024):
    results = [None] * n
    t0 = time.monotonic()

    def one(i):
        try:
            results[i] = H.echo(port, size, f"par-{i}")
        except Exception as e:
            results[i] = (False, f"{type(e).__name__}: {e}")
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(240)
    dt = time.monotonic() - t0
    bad = [f"#{i}: {r[1]}" for i, r in enumerate(results) if not r or not r[0]]
    if bad:
        return res("echo-8x2MiB", False, "; ".join(bad[:3]))
    return res("echo-8x2MiB", True, f"{n} connections x {size >> 20} MiB each way in {dt:.1f} s, "
               f"SHA-256 equal ({n * size * 8 / dt / 1e6:.0f} Mbit/s each way)")


def check_echo_big(port, size=16 * 1024 * 1024):
    t0 = time.monotonic()
    ok, detail = H.echo(port, size, "big", 300)
    dt = time.monotonic() - t0
    return res("echo-16MiB", ok, f"{detail} in {dt:.1f} s ({size * 8 / dt / 1e6:.0f} Mbit/s each way)"
               if ok else detail)


# ---------------------------------------------------------------- leaks
LEAK_KEYS = ("net_sessions", "net_sockets", "net_closing", "net_shm_pages", "net_waits",
             "net_lwip_mem_used", "net_pbufs", "net_tcp_pcbs", "net_udp_pcbs", "net_tcp_segs",
             "frames_free", "kernel_heap_bytes", "kernel_heap_objects", "kernel_memory_objects",
             "kernel_threads", "kernel_mappings", "httpd_connections")


def many_connections(port, n, threads=4):
    errors = []
    lock = threading.Lock()
    left = [n]

    def worker():
        while True:
            with lock:
                if left[0] == 0 or errors:
                    return
                left[0] -= 1
            try:
                st, _, body = H.get(port, "/style.css", 30, tries=8)
                if st != 200 or len(body) != len(www("style.css")):
                    errors.append(f"status {st}")
            except Exception as e:
                errors.append(f"{type(e).__name__}: {e}")
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(600)
    return errors


def check_leaks(port):
    # Warm-up: the first use of each socket slot maps its window and makes
    # page tables in the netstack and in httpd, which stay (not a leak).
    errors = many_connections(port, 600)
    if errors:
        return res("no-leaks", False, f"warm-up: {errors[0]}")
    time.sleep(1.0)
    base = settle(port, None)
    t0 = time.monotonic()
    errors = many_connections(port, 1000)
    dt = time.monotonic() - t0
    if errors:
        return res("no-leaks", False, f"1000 connections: {errors[0]} ({len(errors)} errors)")
    after = settle(port, base)
    diff = {k: (base.get(k), after.get(k)) for k in LEAK_KEYS if base.get(k) != after.get(k)}
    if diff:
        return res("no-leaks", False, "not back after 1000 connections: " +
                   ", ".join(f"{k} {a} -> {b}" for k, (a, b) in diff.items()))
    return res("no-leaks", True, f"1000 connections in {dt:.1f} s ({1000 / dt:.0f}/s): sockets "
               f"{after['net_sockets']}, socket pages {after['net_shm_pages']}, lwIP heap "
               f"{after['net_lwip_mem_used']}, pbufs {after['net_pbufs']}, pcbs {after['net_tcp_pcbs']} "
               f"(+{after['net_tcp_tw_pcbs']} TIME_WAIT), free frames {after['frames_free']}, kernel heap "
               f"{after['kernel_heap_bytes']} bytes: all as before")


def settle(port, base, timeout=30.0):
    """/status.txt once the netstack has no closing sockets left (and, with
    base, once every leak key is back to it, or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        st = H.status_txt(port)
        calm = st.get("net_closing") == 0
        if base is not None:
            calm = calm and all(st.get(k) == base.get(k) for k in LEAK_KEYS)
        if calm or time.monotonic() > deadline:
            return st
        time.sleep(0.5)


# ---------------------------------------------------------------- restarts
def ps_pids(sh):
    out = sh.run("ps", 30) or ""
    pids = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+)\s+(\S+)\s+alive\b", line)
        if m:
            pids[m.group(2)] = m.group(1)
    return pids


def check_driver_restart(sh, tr, port):
    pid = ps_pids(sh).get("virtio-net")
    if not pid:
        return res("driver-restart", False, "ps does not list virtio-net")
    mark = tr.mark()
    o = sh.run(f"kill {pid}", 30)
    got = tr.wait([r"init: started virtio-net", r"netstack: attached to the NIC"], 60, mark)
    if not all(got):
        return res("driver-restart", False, f"after kill {pid}: restarted {bool(got[0])}, netstack attached "
                   f"{bool(got[1])}", o or "")
    st, _, body = H.get(port, "/", 30)
    if st != 200 or body != www("index.html"):
        return res("driver-restart", False, f"GET / on a new connection afterwards: {st}")
    return res("driver-restart", True, f"kill {pid} from the shell; init restarted virtio-net, the netstack "
               "attached again, a new TCP connection got /")


def check_netstack_restart(sh, tr, port, echo_port, site):
    name = "netstack-restart"
    site.slow_started.clear()
    q = sh.q
    q.send(f"fetch -o slow.bin http://{FWD_IP}/slow &\r")
    if q.wait_for(r"^\[(\d+)\] (\d+)\n", 30) is None or not site.slow_started.wait(60):
        return res(name, False, "the background fetch of /slow did not start")
    time.sleep(0.5)
    sh.q.send("echo sync-ns\r")
    if q.wait_for(r"^sync-ns$", 30) is None or not sh.wait_prompt(30):
        return res(name, False, "no prompt after starting the background fetch")
    pid = ps_pids(sh).get("netstack")
    if not pid:
        return res(name, False, "ps does not list the netstack")
    mark = tr.mark()
    t0 = time.monotonic()
    sh.run(f"kill {pid}", 30)
    got = tr.wait([rf"fetch: {re.escape(FWD_IP)} \({re.escape(FWD_IP)}\) port 80: .* after \d+ bytes"], 30, mark)
    t_err = time.monotonic() - t0
    if not got[0]:
        return res(name, False, "the fetch waiting in the killed netstack did not end with an error in 30 s")
    got = tr.wait([r"init: started netstack", DHCP_RX, r"httpd: serving", r"echod: echo service"], 90, mark)
    if not all(got):
        return res(name, False, "after the kill: restarted %s, DHCP %s, httpd reopened %s, echod reopened %s"
                   % tuple(bool(g) for g in got))
    st, _, body = H.get(port, "/", 30)
    ok, detail = H.echo(echo_port, 65536, "after-restart")
    if st != 200 or body != www("index.html") or not ok:
        return res(name, False, f"afterwards: GET / {st}, echo {detail}")
    return res(name, True, f"kill {pid}: the fetch blocked in a read failed {t_err:.1f} s later "
               f"({tr_line(tr, mark, 'fetch: ')}); init restarted the netstack, DHCP, httpd and echod "
               "reopened, GET / and a 64 KiB echo work")


def tr_line(tr, since, text):
    for _, line in tr.q.lines()[since:]:
        if text in line:
            return S.printable(line).strip()[-80:]
    return ""


# ---------------------------------------------------------------- the run
def make_hook(ports, site):
    def hook(ctx):
        q = ctx.qemu
        tr = Transcript(q)
        sh = ShellSession(q)
        out = []
        got = tr.wait([DHCP_RX, r"httpd: serving /www", r"echod: echo service"], 120)
        out.append(res("services-up", all(got), "DHCP 10.0.2.15, httpd and echod listening" if all(got) else
                       f"DHCP {bool(got[0])}, httpd {bool(got[1])}, echod {bool(got[2])}"))
        if not all(got) or not sh.wait_prompt(60):
            return out
        out.append(guarded("shell-net", check_shell_net, sh, tr))
        http, echo = ports["http"], ports["echo"]
        for name, fn in (("http-index", check_index), ("http-status", check_status), ("http-404", check_404),
                         ("http-methods", check_methods), ("http-keepalive", check_keepalive),
                         ("http-malformed", check_malformed), ("http-concurrent", check_concurrent)):
            out.append(guarded(name, fn, http))
        try:
            out.extend(check_fetch(sh, http, site))
        except Exception as e:
            out.append(res("fetch", False, f"{type(e).__name__}: {e}"))
        out.append(guarded("http-disconnect", check_disconnect, http))
        out.append(guarded("echo-8x2MiB", check_echo_parallel, echo))
        out.append(guarded("echo-16MiB", check_echo_big, echo))
        out.append(guarded("no-leaks", check_leaks, http))
        out.append(guarded("driver-restart", check_driver_restart, sh, tr, http))
        out.append(guarded("netstack-restart", check_netstack_restart, sh, tr, http, echo, site))
        return out
    hook.test_name = "netapps-host"
    return hook


def check_shell_net(sh, tr):
    o1 = sh.run("ifconfig", 30) or ""
    mark = tr.mark()
    o2 = sh.run("lspci -q", 30) or ""
    lspci = tr.wait([r"1af4:1041\s+ethernet"], 10, mark)[0]
    o3 = sh.run("ping -c 2 -i 100 10.0.2.2", 60) or ""
    bad = []
    if not re.search(rf"inet {re.escape(GUEST_IP)} ", o1):
        bad.append("ifconfig shows no inet 10.0.2.15")
    if not lspci:
        bad.append("lspci does not list the NIC")
    if not re.search(r"2 packets transmitted, [12] received", o3):
        bad.append("ping 10.0.2.2 got no answer")
    if bad:
        return res("shell-net", False, "; ".join(bad), o1 + o2 + o3)
    return res("shell-net", True, "ifconfig, lspci and ping 10.0.2.2 work from the prompt")


def run_netapps(scenario, build_dir, log_dir, qemu_binary, register):
    site = H.HostSite()
    srv = H.make_server(site)
    try:
        http, echo = H.free_ports(2)
        relay = os.path.join(HERE, "net_relay.py")
        netdev = (f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{http}-:80,hostfwd=tcp:127.0.0.1:{echo}-:7,"
                  f"guestfwd=tcp:{FWD_IP}:80-cmd:{sys.executable} {relay} {srv.server_address[1]}")
        sc = dataclasses.replace(scenario, extra_args=nic(netdev), custom=None,
                                 post_boot=make_hook({"http": http, "echo": echo}, site))
        return S.run_scenario(sc, build_dir, log_dir, qemu_binary, register)
    finally:
        site.stop_event.set()
        srv.shutdown()
        srv.server_close()


# ---------------------------------------------------------------- raw frames
def malformed_frames(P, gmac):
    """(name, frame, counter it must move or None) for each kind of bad
    frame. Every IP packet here is addressed to the guest from 10.0.2.2."""
    src, dst = P.PEER_IP, P.GUEST_IP
    ping = P.icmp_echo(0x4D4F, 9999, b"bad")

    def e(pkt):
        return P.eth(gmac, P.PEER_MAC, P.ETH_IP, pkt)
    syn = P.tcp(src, dst, 41000, 80, 1, 0, P.SYN)
    return [
        # Shorter than an Ethernet header: the driver refuses it (and the
        # netstack counts the refused descriptor in rx_dropped).
        ("runt-frame", b"\x52\x54\x00" * 3, "net_drv_rx_errors"),
        # lwIP counts this in link.proterr, which NET_IFINFO does not carry.
        ("unknown-ethertype", P.eth(gmac, P.PEER_MAC, 0x88B5, b"x" * 46), None),
        ("ip-version-6", e(P.ipv4(src, dst, P.PROTO_ICMP, ping, version=6)), "net_ip_drop"),
        ("ip-ihl-3", e(P.ipv4(src, dst, P.PROTO_ICMP, ping, ihl=3)), "net_ip_drop"),
        ("ip-truncated-header", e(P.ipv4(src, dst, P.PROTO_ICMP, ping)[:12]), "net_ip_drop"),
        ("ip-bad-checksum", e(P.ipv4(src, dst, P.PROTO_ICMP, ping, bad_csum=True)), "net_ip_drop"),
        ("ip-length-beyond-frame", e(P.ipv4(src, dst, P.PROTO_ICMP, ping, total_len=1000)), "net_ip_drop"),
        ("ip-length-below-header", e(P.ipv4(src, dst, P.PROTO_ICMP, ping, total_len=10)), "net_ip_drop"),
        ("udp-bad-checksum", e(P.ipv4(src, dst, P.PROTO_UDP, P.udp(src, dst, 40009, 7, b"nope", bad_csum=True))),
         "net_udp_drop"),
        ("udp-truncated-header", e(P.ipv4(src, dst, P.PROTO_UDP, b"\x9c\x49\x00")), "net_udp_drop"),
        ("tcp-bad-checksum", e(P.ipv4(src, dst, P.PROTO_TCP, P.tcp(src, dst, 41001, 80, 1, 0, P.SYN,
                                                                    bad_csum=True))), "net_tcp_drop"),
        ("tcp-truncated-header", e(P.ipv4(src, dst, P.PROTO_TCP, syn[:10])), "net_tcp_drop"),
        ("tcp-offset-beyond-segment", e(P.ipv4(src, dst, P.PROTO_TCP, syn[:12] + b"\xf0" + syn[13:])),
         "net_tcp_drop"),
        # lwIP counts these in icmp.chkerr / icmp.lenerr, which NET_IFINFO
        # does not carry: they must arrive (icmp_rx) and go unanswered.
        ("icmp-bad-checksum", e(P.ipv4(src, dst, P.PROTO_ICMP, P.icmp_echo(0x4D4F, 9998, b"x", bad_csum=True))),
         "net_icmp_rx"),
        ("icmp-truncated", e(P.ipv4(src, dst, P.PROTO_ICMP, b"\x08\x00\xf7")), "net_icmp_rx"),
        # Fits a receive buffer but exceeds 1514 bytes: the netstack refuses
        # the descriptor (rx_bad_desc).
        ("oversized-1600", e(P.ipv4(src, dst, P.PROTO_ICMP, P.icmp_echo(0x4D4F, 9997, b"o" * 1558))),
         "net_rx_bad_desc"),
        # Larger than any receive buffer: QEMU's virtio-net drops it (uncounted).
        ("jumbo-9000", e(P.ipv4(src, dst, P.PROTO_ICMP, P.icmp_echo(0x4D4F, 9996, b"j" * 8958))), None),
    ]


def raw_alive(P, peer, tag):
    """ICMP, UDP echo and TCP to httpd from 10.0.2.2: what must keep working."""
    bad = []
    if not all(peer.ping(1000 + i, os.urandom(56)) for i in range(3)):
        bad.append("ping")
    if not peer.udp_echo(f"alive-{tag}".encode()):
        bad.append("udp echo")
    st, _ = P.http_get(peer, "/about.txt")
    if st != 200:
        bad.append(f"http {st}")
    return bad


def raw_checks(P, peer, tr):
    out = []
    got = tr.wait([DHCP_RX, r"httpd: serving /www", r"echod: echo service"], 120)
    ok = all(got) and peer.dhcp_acked.is_set()
    out.append(res("dhcp", ok, "the peer's DHCP server gave 10.0.2.15; httpd and echod up" if ok else
                   f"DHCP acked {peer.dhcp_acked.is_set()}, line {bool(got[0])}, httpd {bool(got[1])}, "
                   f"echod {bool(got[2])}"))
    if not ok:
        return out
    mac = peer.arp_resolve()
    out.append(res("arp", mac == peer.guest_mac, f"10.0.2.15 is at {mac.hex(':') if mac else None}"))
    sizes = (0, 56, 1000, 1472)
    pings = [peer.ping(i, os.urandom(n)) for i, n in enumerate(sizes)]
    out.append(res("ping", all(pings), f"echo requests of {sizes} bytes answered with the same data"
                   if all(pings) else f"answers {pings}"))
    sizes = (1, 100, 512, 1400, 1472)
    echoes = [peer.udp_echo(os.urandom(n), 40100 + i) for i, n in enumerate(sizes)]
    out.append(res("udp-echo", all(echoes), f"UDP datagrams of {sizes} bytes echoed by echod, byte for byte"
                   if all(echoes) else f"echoes {echoes}"))
    ok, detail = P.tcp_echo(peer, 64 * 1024, 1)
    out.append(res("tcp-echo", ok, "hand-made TCP: " + detail))
    base = P.status(peer)

    # Malformed frames, 20 of each, paced so none is lost on the way.
    kinds = malformed_frames(P, peer.guest_mac)
    peer.drain(peer.icmp)
    peer.drain(peer.udp)
    with peer.lock:
        peer.syn_acks.clear()
    for _ in range(20):
        for _, frame, _ in kinds:
            peer.send(frame)
            time.sleep(0.0005)
    time.sleep(1.0)
    answered = []
    while not peer.icmp.empty():
        ident, seq, _ = peer.icmp.get()
        if seq in (9996, 9997, 9998, 9999):
            answered.append(f"icmp seq {seq}")
    while not peer.udp.empty():
        if peer.udp.get()[2] == 40009:
            answered.append("bad-checksum udp")
    with peer.lock:
        if any(port in (41000, 41001) for _, _, port, _ in peer.syn_acks):
            answered.append("bad tcp")
    after = P.status(peer)
    need = {}
    for _, _, counter in kinds:
        if counter:
            need[counter] = need.get(counter, 0) + 20
    short = [f"{k} +{after.get(k, 0) - base.get(k, 0)} (want >= {n})" for k, n in need.items()
             if after.get(k, 0) - base.get(k, 0) < n]
    moved = ", ".join(f"{k} +{after[k] - base[k]}" for k in sorted(after) if k.startswith("net_") and
                      k[4:].split("_")[0] in ("rx", "drv", "ip", "tcp", "udp", "icmp") and after[k] != base[k])
    alive = raw_alive(P, peer, "malformed")
    ok = not answered and not short and not alive
    out.append(res("malformed-frames", ok,
                   f"{len(kinds)} kinds x 20 dropped, none answered, counters moved: {moved}; then ping, UDP "
                   "and HTTP still answered" if ok else
                   f"answered {answered[:4]}; too few counted {short}; not answered after: {alive}; moved: {moved}"))

    # ARP flood: requests for 10.0.2.15 from 3000 random neighbours, and
    # 1000 unsolicited replies.
    t0 = time.monotonic()
    rnd = random.Random(7)
    for i in range(4000):
        ip = bytes([10, 0, 2, rnd.choice([x for x in range(3, 255) if x != 15])])
        mac = bytes([0x02]) + rnd.randbytes(5)
        op, tpa = (1, P.GUEST_IP) if i < 3000 else (2, P.GUEST_IP)
        peer.send(P.eth(P.BROADCAST if op == 1 else peer.guest_mac, mac, P.ETH_ARP,
                        P.arp(op, mac, ip, b"\0" * 6 if op == 1 else peer.guest_mac, tpa)))
        if i % 50 == 49:
            time.sleep(0.005)
    time.sleep(0.5)
    alive = raw_alive(P, peer, "arp")
    out.append(res("arp-flood", not alive, f"4000 ARP frames from random neighbours in {time.monotonic() - t0:.1f} s;"
                   " ping, UDP and HTTP still answered" if not alive else f"not answered after: {alive}"))

    # SYN flood on echod's port from 100 forged neighbours (we answer their
    # ARP but hold their RSTs): the listener's backlog fills, other ports
    # and protocols keep working; then the forged hosts reset their half-
    # open connections and port 7 accepts again.
    flood_ips = [bytes([10, 0, 2, 100 + i]) for i in range(100)]
    peer.owned.update(flood_ips)
    with peer.lock:
        peer.syn_acks.clear()
    t0 = time.monotonic()
    for i in range(2000):
        ip = flood_ips[i % 100]
        peer.send_ip(P.ipv4(ip, P.GUEST_IP, P.PROTO_TCP,
                            P.tcp(ip, P.GUEST_IP, 10000 + i, 7, rnd.getrandbits(32), 0, P.SYN)))
        if i % 50 == 49:
            time.sleep(0.005)
    t_flood = time.monotonic() - t0
    time.sleep(1.0)
    alive = raw_alive(P, peer, "syn")
    with peer.lock:
        half_open = list(peer.syn_acks)
    for ip, sport, dport, ack in half_open:
        peer.send_ip(P.ipv4(ip, P.GUEST_IP, P.PROTO_TCP, P.tcp(ip, P.GUEST_IP, sport, dport, ack, 0, P.RST)))
    time.sleep(0.5)
    ok7, detail7 = P.tcp_echo(peer, 8192, 2)
    ok = not alive and ok7
    out.append(res("syn-flood", ok, f"2000 SYNs to port 7 in {t_flood:.1f} s ({len(half_open)} SYN-ACKs to "
                   "forged hosts); ping, UDP and HTTP answered during it; after the forged hosts' resets, "
                   "port 7 echoes again" if ok else f"not answered during it: {alive}; port 7 after: {detail7}"))

    # Nothing kept: the netstack's buffers are where they were.
    final = base
    deadline = time.monotonic() + 20
    keys = ("net_pbufs", "net_lwip_mem_used", "net_sockets", "net_shm_pages", "net_tcp_pcbs", "net_tcp_segs",
            "net_udp_pcbs")
    while time.monotonic() < deadline:
        final = P.status(peer)
        if all(final[k] == base[k] for k in keys):
            break
        time.sleep(0.5)
    diff = [f"{k} {base[k]} -> {final[k]}" for k in keys if final[k] != base[k]]
    out.append(res("raw-no-leaks", not diff, "pbufs, lwIP heap, sockets, pcbs, segments as before the bad traffic"
                   if not diff else "; ".join(diff)))
    return out


def run_raw(scenario, build_dir, log_dir, qemu_binary, register):
    import net_peer as P
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    qemu_port = H.free_ports(1)[0]
    peer = P.Peer(sock, qemu_port)
    netdev = (f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={qemu_port},"
              f"remote.type=inet,remote.host=127.0.0.1,remote.port={sock.getsockname()[1]}")

    def hook(ctx):
        return raw_checks(P, peer, Transcript(ctx.qemu))
    hook.test_name = "netapps-raw"
    try:
        sc = dataclasses.replace(scenario, extra_args=nic(netdev), custom=None, post_boot=hook)
        return S.run_scenario(sc, build_dir, log_dir, qemu_binary, register)
    finally:
        peer.close()


def scenarios():
    return [
        S.Scenario(name="netapps", iso=S.NORMAL_ISO, mem="512M", smp=2, timeout=TIMEOUT,
                   required_phases=(1, 2, 3, 4, 5), expect_exit=None, ktests=False, custom=run_netapps),
        S.Scenario(name="netapps-raw", iso=S.NORMAL_ISO, mem="512M", smp=2, timeout=240.0,
                   required_phases=(1, 2, 3, 4, 5), expect_exit=None, ktests=False, custom=run_raw),
    ]
