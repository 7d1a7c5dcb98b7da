# SPDX-License-Identifier: MIT
"""net_host.py - the host side of the network application tests
(scenarios_netapps.py): a small HTTP server on 127.0.0.1 for the guest's
`fetch` to reach through guestfwd (net_relay.py), an HTTP/1.1 client that
reads exactly one response at a time from a raw socket (so keep-alive,
pipelining and malformed requests can be checked byte by byte), TCP echo
with SHA-256, and helpers to read httpd's /status.txt. Only loopback
addresses are ever used. Standard library only."""

import hashlib
import http.server
import socket
import socketserver
import threading
import time


def payload(name, size):
    """Deterministic bytes for a name (the same on every run)."""
    return hashlib.shake_256(name.encode()).digest(size)


def free_ports(n):
    """n distinct ports free on 127.0.0.1 for both TCP and UDP now."""
    ports, socks = [], []
    while len(ports) < n:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            u.close()
            continue
        socks += [t, u]
        ports.append(port)
    for s in socks:
        s.close()
    return ports


# ---------------------------------------------------------------- the server
CHUNKS = (1, 15, 16, 255, 4096, 10000, 3, 65536)   # chunk sizes of /chunked.bin


class HostSite:
    """What the host server serves. /slow sends a head promising 10 MB and
    4 KiB of it, then stalls until stop() (for the netstack-restart check:
    the guest's fetch is stuck in a read when the netstack dies)."""

    def __init__(self):
        self.files = {
            "/hello.txt": b"hello from the host, through guestfwd\n",
            "/big.bin": payload("netapps-big", 2 * 1024 * 1024 + 12345),
        }
        self.chunked = payload("netapps-chunked", sum(CHUNKS))
        self.stop_event = threading.Event()
        self.slow_started = threading.Event()
        self.requests = []


def make_server(site):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            site.requests.append(self.path)
            if self.path in site.files:
                body = site.files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/chunked.bin":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                at = 0
                for n in CHUNKS:
                    self.wfile.write(b"%x;note=x\r\n" % n + site.chunked[at:at + n] + b"\r\n")
                    self.wfile.flush()
                    at += n
                self.wfile.write(b"0\r\nTrailer-Field: t\r\n\r\n")
            elif self.path == "/slow":
                self.send_response(200)
                self.send_header("Content-Length", str(10 * 1000 * 1000))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"s" * 4096)
                self.wfile.flush()
                site.slow_started.set()
                site.stop_event.wait(180)
            else:
                self.send_error(404)
            self.close_connection = True

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True, name="netapps-host-http").start()
    return srv


# ---------------------------------------------------------------- raw HTTP
class HttpConn:
    """One TCP connection; request() sends bytes, response() reads exactly
    one response (head, then Content-Length bytes, or to the close)."""

    def __init__(self, port, timeout=30.0):
        self.s = connect(port, timeout)
        self.s.settimeout(timeout)
        self.buf = b""

    def close(self):
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def request(self, data):
        self.s.sendall(data)

    def _more(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def response(self, head_only=False):
        """(status, headers {lowercase: value}, body). Raises EOFError if the
        connection closes before a whole response."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ValueError(f"bad status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if head_only:
            return int(parts[1]), headers, b""
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._more()
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            while True:
                try:
                    self._more()
                except EOFError:
                    break
            body, self.buf = self.buf, b""
        return int(parts[1]), headers, body

    def closed_by_peer(self, timeout=10.0):
        """True if the server closes (EOF or reset) within timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except ConnectionError:
            return True
        except socket.timeout:
            return False


def connect(port, timeout=10.0, tries=40):
    """A connection through hostfwd. QEMU's slirp accepts before the guest
    does; a guest that is not listening (yet) shows as a reset or EOF, so
    retry a while."""
    last = None
    for _ in range(tries):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except OSError as e:
            last = e
            time.sleep(0.25)
    raise OSError(f"cannot connect to 127.0.0.1:{port}: {last}")


def get(port, path, timeout=30.0, tries=40):
    """One GET on a fresh connection (Connection: close): (status, headers,
    body). Retries while the guest resets the connection before answering
    (it may still be starting, or restarting its netstack)."""
    last = None
    for _ in range(tries):
        try:
            with HttpConn(port, timeout) as c:
                c.request(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
                return c.response()
        except (OSError, EOFError, ValueError) as e:
            last = e
            time.sleep(0.25)
    raise OSError(f"GET {path} failed: {last}")


def status_txt(port):
    """httpd's /status.txt as {key: value} (numbers as int where they are),
    plus "process" lines as a list under "_processes"."""
    status, _, body = get(port, "/status.txt")
    if status != 200:
        raise OSError(f"/status.txt answered {status}")
    out = {"_processes": []}
    for line in body.decode(errors="replace").splitlines():
        k, _, v = line.partition(" ")
        if k == "process":
            out["_processes"].append(v.split())
            continue
        out[k] = int(v) if v.isdigit() else v
    return out


# ---------------------------------------------------------------- echo
def echo_over(s, data, timeout=120.0, shut=True):
    """Send data over the open connection s from a writer thread (then
    SHUT_WR, unless shut is false: the connection stays in use) while
    reading as many bytes back; (bytes back, their SHA-256 hex, the first
    error or None)."""
    err = []

    def writer():
        try:
            view = memoryview(data)
            while view:
                n = s.send(view[:65536])
                view = view[n:]
            if shut:
                s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    h = hashlib.sha256()
    got = 0
    try:
        while got < len(data):
            chunk = s.recv(262144)
            if not chunk:
                break
            h.update(chunk)
            got += len(chunk)
    except OSError as e:
        err.append(e)
    t.join(timeout)
    return got, h.hexdigest(), err[0] if err else None


def echo(port, size, seed, timeout=120.0):
    """size bytes through a TCP echo service and back, writer and reader at
    once; (ok, detail) with SHA-256 of both sides."""
    data = payload(f"echo-{seed}", size)
    with connect(port, timeout) as s:
        s.settimeout(timeout)
        got, have, err = echo_over(s, data, timeout)
    want = hashlib.sha256(data).hexdigest()
    if err:
        return False, f"{size} bytes: {err} after {got} bytes back"
    if got != size or want != have:
        return False, f"{size} bytes: got {got}, sha256 {have[:16]} != {want[:16]}"
    return True, f"{size} bytes, sha256 {want[:16]}"
