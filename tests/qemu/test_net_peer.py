#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_net_peer.py - unit tests for the pure parts of the raw-frame peer
(tests/qemu/net_peer.py) and of the host helpers (net_host.py): the
Internet checksum against known values, every header builder producing
headers whose checksums verify (and the "bad" variants not), the parser
refusing what it must, a DHCP reply's layout, and the relay and HTTP
client against a local server. No QEMU.
Run: python3 -m unittest tests/qemu/test_net_peer.py"""

import os
import socket
import struct
import subprocess
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import net_host as H  # noqa: E402
import net_peer as P  # noqa: E402

A, B = P.ip4("10.0.2.2"), P.ip4("10.0.2.15")


class Checksums(unittest.TestCase):
    def test_known_values(self):
        # RFC 1071's example words, and an IPv4 header from the literature.
        self.assertEqual(P.csum(bytes.fromhex("0001f203f4f5f6f7")), 0x220D)
        hdr = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
        self.assertEqual(P.csum(hdr), 0xB861)
        self.assertEqual(P.csum(b""), 0xFFFF)
        self.assertEqual(P.csum(b"\x01"), 0xFEFF)          # odd length: padded

    def test_ipv4_header_verifies(self):
        pkt = P.ipv4(A, B, P.PROTO_UDP, b"x" * 9)
        self.assertEqual(P.csum(pkt[:20]), 0)
        self.assertEqual(struct.unpack("!H", pkt[2:4])[0], 29)
        bad = P.ipv4(A, B, P.PROTO_UDP, b"x", bad_csum=True)
        self.assertNotEqual(P.csum(bad[:20]), 0)
        lie = P.ipv4(A, B, P.PROTO_ICMP, b"x", total_len=1000)
        self.assertEqual(struct.unpack("!H", lie[2:4])[0], 1000)
        self.assertEqual(P.csum(lie[:20]), 0)             # lying, but consistently

    def test_transport_checksums(self):
        u = P.udp(A, B, 1000, 7, b"hello")
        self.assertEqual(P.csum(P.pseudo(A, B, P.PROTO_UDP, len(u)) + u), 0)
        self.assertNotEqual(P.csum(P.pseudo(A, B, P.PROTO_UDP, len(u)) + P.udp(A, B, 1000, 7, b"hello",
                                                                               bad_csum=True)), 0)
        t = P.tcp(A, B, 1234, 80, 1, 2, P.SYN, options=struct.pack("!BBH", 2, 4, 1400))
        self.assertEqual(P.csum(P.pseudo(A, B, P.PROTO_TCP, len(t)) + t), 0)
        self.assertEqual(t[12] >> 4, 6)                   # 24-byte header
        i = P.icmp_echo(1, 2, b"abc")
        self.assertEqual(P.csum(i), 0)
        self.assertNotEqual(P.csum(P.icmp_echo(1, 2, b"abc", bad_csum=True)), 0)


class Parsing(unittest.TestCase):
    def test_roundtrip(self):
        f = P.parse(P.eth(b"\x01" * 6, P.PEER_MAC, P.ETH_IP, P.ipv4(A, B, P.PROTO_UDP, P.udp(A, B, 5, 7, b"d"))))
        self.assertEqual(f.etype, P.ETH_IP)
        self.assertEqual(f.ip["src"], A)
        self.assertEqual(f.ip["proto"], P.PROTO_UDP)
        self.assertEqual(f.ip["payload"][8:], b"d")

    def test_refuses_bad_ip(self):
        self.assertIsNone(P.parse(b"\x00" * 13))
        for pkt in (P.ipv4(A, B, 1, b"x", bad_csum=True), P.ipv4(A, B, 1, b"x", total_len=500),
                    P.ipv4(A, B, 1, b"x", version=6), P.ipv4(A, B, 1, b"x")[:12]):
            self.assertIsNone(P.parse(P.eth(b"\x01" * 6, P.PEER_MAC, P.ETH_IP, pkt)).ip)

    def test_padding_is_ignored(self):
        pkt = P.ipv4(A, B, P.PROTO_ICMP, P.icmp_echo(1, 1, b""))
        f = P.parse(P.eth(b"\x01" * 6, P.PEER_MAC, P.ETH_IP, pkt + b"\0" * 18))
        self.assertEqual(len(f.ip["payload"]), 8)

    def test_tcp_fields(self):
        seg = P.tcp(A, B, 1, 2, 0xFFFFFFFF, 7, P.ACK | P.FIN, b"data", window=1234)
        t = P.tcp_fields(seg)
        self.assertEqual((t["sport"], t["dport"], t["seq"], t["ack"], t["win"], t["data"]),
                         (1, 2, 0xFFFFFFFF, 7, 1234, b"data"))
        self.assertEqual(t["flags"], P.ACK | P.FIN)

    def test_dhcp_reply(self):
        b = P.dhcp_reply(5, 0x12345678, b"\x52\x54\x00\x12\x34\x56", B, A)
        self.assertEqual(b[0], 2)
        self.assertEqual(struct.unpack("!I", b[4:8])[0], 0x12345678)
        self.assertEqual(b[16:20], B)
        self.assertEqual(b[236:240], b"\x63\x82\x53\x63")
        self.assertEqual(b[240:243], bytes([53, 1, 5]))
        self.assertEqual(b[-1], 255)


class HostSide(unittest.TestCase):
    def test_relay_and_client(self):
        """net_relay.py between a socketpair (as QEMU's cmd: form) and the
        host server; then HttpConn against the same server."""
        site = H.HostSite()
        srv = H.make_server(site)
        try:
            port = srv.server_address[1]
            mine, theirs = socket.socketpair()
            relay = subprocess.Popen([sys.executable, os.path.join(HERE, "net_relay.py"), str(port)],
                                     stdin=theirs.fileno(), stdout=theirs.fileno())
            theirs.close()
            mine.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            mine.settimeout(10)
            while True:
                chunk = mine.recv(4096)
                if not chunk:
                    break
                data += chunk
            relay.wait(10)
            mine.close()
            self.assertTrue(data.startswith(b"HTTP/1.1 200"))
            self.assertTrue(data.endswith(site.files["/hello.txt"]))
            c = H.HttpConn(port, 10)
            c.request(b"GET /chunked.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            st, h, body = c.response()
            c.close()
            self.assertEqual((st, h.get("transfer-encoding")), (200, "chunked"))
            self.assertIn(b"0\r\nTrailer-Field: t\r\n\r\n", body)
            self.assertEqual(H.get(port, "/missing")[0], 404)
        finally:
            site.stop_event.set()
            srv.shutdown()
            srv.server_close()

    def test_echo_against_local_server(self):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)

        def serve():
            c, _ = ls.accept()
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
            c.close()
        threading.Thread(target=serve, daemon=True).start()
        ok, detail = H.echo(ls.getsockname()[1], 300000, "unit")
        ls.close()
        self.assertTrue(ok, detail)


if __name__ == "__main__":
    unittest.main()
