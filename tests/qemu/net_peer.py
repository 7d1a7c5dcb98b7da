# SPDX-License-Identifier: MIT
"""net_peer.py - the far end of the guest's Ethernet link, in Python, for
the netapps-raw scenario (scenarios_netapps.py, docs/network.md "Testing
the network").

QEMU runs with `-netdev dgram,...,local=127.0.0.1:A,remote=127.0.0.1:B`:
every frame the guest's NIC sends arrives here as one UDP datagram on
127.0.0.1:B, and every datagram sent from here to 127.0.0.1:A is a frame the
NIC receives. So this runner is the whole network: it answers the guest's
DHCP (10.0.2.15, server and peer 10.0.2.2, no router), ARP for its own
addresses, and speaks ICMP, UDP and a small TCP (in-order receive,
go-back-N send) built by hand - and it can send what no real host would:
truncated headers, bad checksums, lying lengths, oversized frames, ARP and
SYN floods. The checks (run_scenario's hook) then ask whether valid traffic
is still answered and whether httpd's /status.txt (fetched over this same
link) shows the drops and no leaked resources.

Pure parts (checksums, frame building and parsing) are unit-tested by
tests/qemu/test_net_peer.py. Standard library only; loopback only."""

import dataclasses
import hashlib
import os
import queue
import random
import re
import socket
import struct
import threading
import time

ETH_IP, ETH_ARP = 0x0800, 0x0806
PROTO_ICMP, PROTO_TCP, PROTO_UDP = 1, 6, 17
BROADCAST = b"\xff" * 6
PEER_MAC = bytes.fromhex("525400aabbcc")
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ip4(s):
    return socket.inet_aton(s)


PEER_IP, GUEST_IP, MASK = ip4("10.0.2.2"), ip4("10.0.2.15"), ip4("255.255.255.0")


# ---------------------------------------------------------------- pure: build
def csum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, ETH_IP, 6, 4, op) + sha + spa + tha + tpa


def ipv4(src, dst, proto, payload, ident=0, ttl=64, bad_csum=False, total_len=None, ihl=5, version=4,
         frag=0x4000):
    """An IPv4 packet; the lying variants set total_len / ihl / version as
    given and still fill the header checksum right (unless bad_csum)."""
    hl = ihl * 4
    total = (20 + len(payload)) if total_len is None else total_len
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total & 0xFFFF, ident & 0xFFFF, frag, ttl,
                    proto, 0, src, dst)
    if hl > 20:
        h += b"\0" * (hl - 20)
    c = csum(h[:max(hl, 20)])
    if bad_csum:
        c ^= 0x5A5A
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return (h if hl >= 20 else h[:20]) + payload


def pseudo(src, dst, proto, length):
    return src + dst + struct.pack("!BBH", 0, proto, length)


def udp(src, dst, sport, dport, data, bad_csum=False, length=None):
    ln = 8 + len(data) if length is None else length
    h = struct.pack("!HHHH", sport, dport, ln, 0)
    c = csum(pseudo(src, dst, PROTO_UDP, 8 + len(data)) + h + data) or 0xFFFF
    if bad_csum:
        c ^= 0x1234
    return h[:6] + struct.pack("!H", c) + data


def tcp(src, dst, sport, dport, seq, ack, flags, data=b"", window=65535, options=b"", bad_csum=False):
    off = (20 + len(options)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4, flags, window,
                    0, 0) + options
    c = csum(pseudo(src, dst, PROTO_TCP, len(h) + len(data)) + h + data)
    if bad_csum:
        c ^= 0x0F0F
    return h[:16] + struct.pack("!H", c) + h[18:] + data


def icmp_echo(ident, seq, data, reply=False, bad_csum=False):
    h = struct.pack("!BBHHH", 0 if reply else 8, 0, 0, ident, seq)
    c = csum(h + data)
    if bad_csum:
        c ^= 0x7777
    return h[:2] + struct.pack("!H", c) + h[4:] + data


def dhcp_reply(msg_type, xid, chaddr, yiaddr, server):
    """A BOOTP/DHCP reply (OFFER = 2, ACK = 5) with the options lwIP needs."""
    b = struct.pack("!BBBBIHH4s4s4s4s", 2, 1, 6, 0, xid, 0, 0, b"\0" * 4, yiaddr, server, b"\0" * 4)
    b += chaddr + b"\0" * 10 + b"\0" * 64 + b"\0" * 128 + b"\x63\x82\x53\x63"
    b += bytes([53, 1, msg_type, 54, 4]) + server + bytes([51, 4]) + struct.pack("!I", 86400)
    b += bytes([1, 4]) + MASK + b"\xff"
    return b


# ---------------------------------------------------------------- pure: parse
@dataclasses.dataclass
class Frame:
    dst: bytes
    src: bytes
    etype: int
    payload: bytes
    ip: dict = None     # src, dst, proto, payload (IPv4 only, header checked)


def parse(frame):
    """A Frame, or None if it is shorter than an Ethernet header. For IPv4
    the header is checked (version, length, checksum) before ip is set."""
    if len(frame) < 14:
        return None
    f = Frame(frame[0:6], frame[6:12], struct.unpack("!H", frame[12:14])[0], frame[14:])
    p = f.payload
    if f.etype == ETH_IP and len(p) >= 20 and p[0] >> 4 == 4:
        hl = (p[0] & 15) * 4
        total = struct.unpack("!H", p[2:4])[0]
        if hl >= 20 and len(p) >= total >= hl and csum(p[:hl]) == 0:
            f.ip = {"src": p[12:16], "dst": p[16:20], "proto": p[9], "payload": p[hl:total]}
    return f


def tcp_fields(seg):
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", seg[:16])
    return {"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags, "win": win,
            "data": seg[(off >> 4) * 4:]}


# ---------------------------------------------------------------- the peer
class Peer:
    """The link: a receive thread answers DHCP and ARP and hands everything
    else to waiting checks (queues) or TCP connections."""

    def __init__(self, sock, qemu_port):
        self.sock = sock
        self.dest = ("127.0.0.1", qemu_port)
        self.guest_mac = None
        self.owned = {PEER_IP}              # addresses we answer ARP for
        self.lock = threading.Lock()
        self.icmp = queue.Queue()
        self.udp = queue.Queue()
        self.arp_replies = queue.Queue()
        self.conns = {}                     # (our ip, our port, guest port) -> TcpConn
        self.syn_acks = []                  # SYN-ACKs nobody asked for (flood victims)
        self.dhcp_acked = threading.Event()
        self.frames_in = 0
        self.stop = False
        self.thread = threading.Thread(target=self._rx, daemon=True, name="net-peer")
        self.thread.start()

    def send(self, frame):
        self.sock.sendto(frame, self.dest)

    def send_ip(self, ip_packet, dst_mac=None):
        self.send(eth(dst_mac or self.guest_mac, PEER_MAC, ETH_IP, ip_packet))

    def close(self):
        self.stop = True
        self.sock.close()

    # -------------------------------------------------------- receive
    def _rx(self):
        while not self.stop:
            try:
                data, _ = self.sock.recvfrom(65536)
            except OSError:
                return
            self.frames_in += 1
            f = parse(data)
            if f is None:
                continue
            try:
                self._dispatch(f)
            except Exception:
                pass                        # a frame we cannot read: ignore it, as a host would

    def _dispatch(self, f):
        if f.etype == ETH_ARP and len(f.payload) >= 28:
            op = struct.unpack("!H", f.payload[6:8])[0]
            sha, spa, tpa = f.payload[8:14], f.payload[14:18], f.payload[24:28]
            if op == 1 and tpa in self.owned:
                self.send(eth(sha, PEER_MAC, ETH_ARP, arp(2, PEER_MAC, tpa, sha, spa)))
            elif op == 2:
                self.arp_replies.put((spa, sha))
            return
        if not f.ip:
            return
        ip = f.ip
        if ip["proto"] == PROTO_UDP and len(ip["payload"]) >= 8:
            sport, dport = struct.unpack("!HH", ip["payload"][:4])
            if sport == 68 and dport == 67:
                self._dhcp(f, ip["payload"][8:])
            else:
                self.udp.put((ip["src"], sport, dport, ip["payload"][8:]))
        elif ip["proto"] == PROTO_ICMP and len(ip["payload"]) >= 8:
            t, _, _, ident, seq = struct.unpack("!BBHHH", ip["payload"][:8])
            if t == 0:
                self.icmp.put((ident, seq, ip["payload"][8:]))
        elif ip["proto"] == PROTO_TCP and len(ip["payload"]) >= 20:
            seg = tcp_fields(ip["payload"])
            with self.lock:
                c = self.conns.get((ip["dst"], seg["dport"], seg["sport"]))
            if c:
                c.on_segment(seg)
            elif seg["flags"] & SYN and seg["flags"] & ACK:
                with self.lock:
                    self.syn_acks.append((ip["dst"], seg["dport"], seg["sport"], seg["ack"]))

    def _dhcp(self, f, b):
        if len(b) < 240 or b[236:240] != b"\x63\x82\x53\x63":
            return
        xid = struct.unpack("!I", b[4:8])[0]
        chaddr = b[28:34]
        opts, i, kind = b[240:], 0, None
        while i + 1 < len(opts) and opts[i] != 255:
            if opts[i] == 0:
                i += 1
                continue
            if opts[i] == 53 and opts[i + 1] >= 1:
                kind = opts[i + 2]
            i += 2 + opts[i + 1]
        self.guest_mac = chaddr
        reply = {1: 2, 3: 5}.get(kind)     # DISCOVER -> OFFER, REQUEST -> ACK
        if reply is None:
            return
        body = dhcp_reply(reply, xid, chaddr, GUEST_IP, PEER_IP)
        pkt = ipv4(PEER_IP, b"\xff\xff\xff\xff", PROTO_UDP, udp(PEER_IP, b"\xff\xff\xff\xff", 67, 68, body))
        self.send(eth(BROADCAST, PEER_MAC, ETH_IP, pkt))
        if reply == 5:
            self.dhcp_acked.set()

    # -------------------------------------------------------- requests
    def drain(self, q):
        while True:
            try:
                q.get_nowait()
            except queue.Empty:
                return

    def ping(self, seq, data, timeout=5.0, ident=0x4D4F):
        """One echo request from 10.0.2.2; True if the same data came back."""
        self.send_ip(ipv4(PEER_IP, GUEST_IP, PROTO_ICMP, icmp_echo(ident, seq, data), ident=seq))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                i, s, d = self.icmp.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if (i, s) == (ident, seq):
                return d == data
        return False

    def udp_echo(self, data, sport=40007, timeout=5.0):
        self.send_ip(ipv4(PEER_IP, GUEST_IP, PROTO_UDP, udp(PEER_IP, GUEST_IP, sport, 7, data)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                src, sp, dp, d = self.udp.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if sp == 7 and dp == sport:
                return d == data
        return False

    def arp_resolve(self, timeout=5.0):
        self.drain(self.arp_replies)
        self.send(eth(BROADCAST, PEER_MAC, ETH_ARP, arp(1, PEER_MAC, PEER_IP, b"\0" * 6, GUEST_IP)))
        try:
            spa, sha = self.arp_replies.get(timeout=timeout)
        except queue.Empty:
            return None
        return sha if spa == GUEST_IP else None


class TcpConn:
    """A TCP client connection from one of the peer's addresses: enough TCP
    for small transfers (MSS 1400, in-order receive, go-back-N resend)."""

    MSS = 1400

    def __init__(self, peer, dport, src=PEER_IP, sport=None):
        self.p = peer
        self.src = src
        self.sport = sport or random.randint(20000, 60000)
        self.dport = dport
        self.cv = threading.Condition()
        self.iss = random.getrandbits(32)
        self.snd_una = self.snd_nxt = self.iss
        self.snd_wnd = 0
        self.rcv_nxt = None
        self.rx = bytearray()
        self.fin = False
        self.reset = False
        with peer.lock:
            peer.conns[(src, self.sport, dport)] = self

    def _send(self, flags, data=b"", seq=None):
        s = self.snd_nxt if seq is None else seq
        self.p.send_ip(ipv4(self.src, GUEST_IP, PROTO_TCP,
                            tcp(self.src, GUEST_IP, self.sport, self.dport, s, self.rcv_nxt or 0, flags, data,
                                options=struct.pack("!BBH", 2, 4, self.MSS) if flags & SYN else b"")))

    def on_segment(self, seg):
        with self.cv:
            if seg["flags"] & RST:
                self.reset = True
                self.cv.notify_all()
                return
            if seg["flags"] & SYN and seg["flags"] & ACK and self.rcv_nxt is None:
                self.rcv_nxt = (seg["seq"] + 1) & 0xFFFFFFFF
            if seg["flags"] & ACK:
                if 0 < (seg["ack"] - self.snd_una) & 0xFFFFFFFF <= (self.snd_nxt - self.snd_una) & 0xFFFFFFFF:
                    self.snd_una = seg["ack"]
                self.snd_wnd = seg["win"]
            data = seg["data"]
            need_ack = False
            if self.rcv_nxt is not None and (data or seg["flags"] & FIN):
                if seg["seq"] == self.rcv_nxt:
                    self.rx += data
                    self.rcv_nxt = (self.rcv_nxt + len(data)) & 0xFFFFFFFF
                    if seg["flags"] & FIN:
                        self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF
                        self.fin = True
                need_ack = True                 # in order or not: say where we are
            self.cv.notify_all()
        if need_ack:
            self._send(ACK)

    def connect(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cv:
            while self.rcv_nxt is None and not self.reset:
                self.snd_nxt = self.iss
                self._send(SYN)
                self.cv.wait(min(1.0, max(0.01, deadline - time.monotonic())))
                if time.monotonic() > deadline:
                    return False
            if self.reset:
                return False
            self.snd_una = self.snd_nxt = (self.iss + 1) & 0xFFFFFFFF
        self._send(ACK)
        return True

    def send(self, data, timeout=30.0):
        """All of data acknowledged (True) or not in time / reset (False)."""
        base = self.snd_una
        deadline = time.monotonic() + timeout
        with self.cv:
            while (self.snd_una - base) & 0xFFFFFFFF < len(data):
                if self.reset or time.monotonic() > deadline:
                    return False
                off = (self.snd_nxt - base) & 0xFFFFFFFF
                in_flight = (self.snd_nxt - self.snd_una) & 0xFFFFFFFF
                wnd = min(self.snd_wnd or self.MSS, 16 * self.MSS)
                while off < len(data) and in_flight < wnd:
                    chunk = data[off:off + min(self.MSS, wnd - in_flight)]
                    self._send(ACK | PSH, chunk)
                    self.snd_nxt = (self.snd_nxt + len(chunk)) & 0xFFFFFFFF
                    off += len(chunk)
                    in_flight += len(chunk)
                before = self.snd_una
                self.cv.wait(0.3)
                if self.snd_una == before:
                    self.snd_nxt = self.snd_una     # nothing acknowledged: go back
        return True

    def recv_until(self, pred, timeout=30.0):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not pred(self.rx) and not self.reset and not self.fin:
                if not self.cv.wait(max(0.01, deadline - time.monotonic())):
                    break
            return bytes(self.rx)

    def close(self, timeout=5.0):
        """FIN, and wait (resending it) until it is acknowledged and the
        guest's FIN came (and was acknowledged by on_segment), so no
        connection is left half-closed in the guest."""
        deadline = time.monotonic() + timeout
        with self.cv:
            if not self.reset:
                fin_seq = self.snd_nxt
                self.snd_nxt = (self.snd_nxt + 1) & 0xFFFFFFFF
                while not self.reset and time.monotonic() < deadline:
                    if self.snd_una != self.snd_nxt:
                        self._send(FIN | ACK, seq=fin_seq)
                    elif self.fin:
                        break
                    self.cv.wait(0.3)
        with self.p.lock:
            self.p.conns.pop((self.src, self.sport, self.dport), None)


def http_get(peer, path, timeout=20.0):
    """GET over the peer's own TCP; (status, body) or (None, why)."""
    c = TcpConn(peer, 80)
    if not c.connect():
        return None, "no connection to port 80"
    try:
        req = f"GET {path} HTTP/1.1\r\nHost: 10.0.2.15\r\nConnection: close\r\n\r\n".encode()
        if not c.send(req):
            return None, "request not acknowledged"

        def complete(rx):
            head, sep, body = bytes(rx).partition(b"\r\n\r\n")
            m = re.search(rb"content-length:\s*(\d+)", head, re.I)
            return bool(sep) and m is not None and len(body) >= int(m.group(1))
        rx = c.recv_until(complete, timeout)
        head, _, body = rx.partition(b"\r\n\r\n")
        m = re.match(rb"HTTP/1\.1 (\d+)", head)
        return (int(m.group(1)), body) if m else (None, f"no response ({len(rx)} bytes)")
    finally:
        c.close()


def status(peer):
    st, body = http_get(peer, "/status.txt")
    if st != 200:
        raise OSError(f"/status.txt over the raw link: {st} {body}")
    out = {}
    for line in body.decode(errors="replace").splitlines():
        k, _, v = line.partition(" ")
        if v.isdigit():
            out[k] = int(v)
    return out


def tcp_echo(peer, size, seed):
    data = hashlib.shake_256(f"raw-{seed}".encode()).digest(size)
    c = TcpConn(peer, 7)
    if not c.connect():
        return False, "no connection to port 7"
    try:
        if not c.send(data):
            return False, f"sending {size} bytes failed (reset {c.reset})"
        got = c.recv_until(lambda rx: len(rx) >= size)
        if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
            return False, f"{len(got)} of {size} bytes came back, or different"
        return True, f"{size} bytes echoed, SHA-256 equal"
    finally:
        c.close()
