#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""net_relay.py PORT - one guest TCP connection <-> 127.0.0.1:PORT.

QEMU's user network runs this for each connection the guest opens to a
guestfwd address (guestfwd=tcp:10.0.2.100:80-cmd:python3 net_relay.py PORT):
the connection is this process's stdin and stdout. It connects to the test
runner's server on the host's loopback (nothing else is ever a target) and
copies bytes both ways until both directions have ended. (The other guestfwd
form, a chardev, is one connection for QEMU's whole life, so a second fetch
would find it closed.) Standard library only."""
import os
import select
import socket
import sys


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: net_relay.py PORT")
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    except OSError:
        return 1
    s.settimeout(None)
    guest_open = True
    while True:
        watch = ([0] if guest_open else []) + [s]
        ready, _, _ = select.select(watch, [], [], 120)
        if not ready:
            break                               # two idle minutes: give up
        if 0 in ready:
            data = os.read(0, 65536)
            if data:
                s.sendall(data)
            else:
                guest_open = False
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        if s in ready:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                view = memoryview(data)
                while view:
                    n = os.write(1, view)
                    view = view[n:]
            else:
                break                           # the host is done: exiting closes the guest's end
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
