#!/usr/bin/env python3
"""paced.py - the anchor's load at a fixed pace (bench/README.md, "the floor at our pace").

radload.py (the anchor's load generator) keeps --parallel requests in flight,
so a server answers as fast as it can: the floor, FreeRADIUS with no
database, then runs with its CPU saturated, where a request costs least
(the listener reads many packets per wake-up; the workers never sleep). A
server that waits for its database answers at the database's pace. This
sends the same request file at --rate requests per second instead (at
most --parallel in flight), so the floor's CPU per request can also be
read at the pace rlm_hotspot ran.

Uses radload.py's packet parsing, encoding and CPU readings (--radload,
the anchor's copy). Prints radload's summary line plus rate=<achieved
requests/s>. Exit status 0 when nothing was lost, else 1.
"""
import argparse
import hashlib
import importlib.util
import os
import resource
import socket
import struct
import sys
import time
from collections import deque


def load_radload(path):
    spec = importlib.util.spec_from_file_location("radload", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def encode_all(rl, reqs, kind, secret, loops):
    """As radload: each pass differs on the wire (no duplicate-cache answers)."""
    pkts = []
    for loop in range(loops):
        for pairs in reqs:
            if kind == "auth":
                ra = os.urandom(16)
                pkts.append((1, rl.encode_attrs(pairs, secret, ra), ra))
            else:
                if loop:
                    pairs = [(k, v) for k, v in pairs if k != "Acct-Delay-Time"] + [("Acct-Delay-Time", str(loop))]
                pkts.append((4, rl.encode_attrs(pairs, secret, b""), None))
    return pkts


class Sender:
    """Requests in flight by RADIUS ID, resent after the timeout, lost after the retries."""

    def __init__(self, sock, secret, window, timeout, retries):
        self.sock, self.secret = sock, secret
        self.window, self.timeout, self.retries = window, timeout, retries
        self.free = deque(range(256))
        self.inflight = {}  # id -> [wire, request authenticator, sent at, tries]
        self.answered = self.lost = self.bad = 0

    def can_send(self):
        return len(self.inflight) < self.window and self.free

    def send(self, pkt):
        code, attrs, ra = pkt
        pid = self.free.popleft()
        hdr = struct.pack("!BBH", code, pid, 20 + len(attrs))
        if ra is None:
            ra = hashlib.md5(hdr + b"\0" * 16 + attrs + self.secret).digest()
        wire = hdr + ra + attrs
        self.sock.send(wire)
        self.inflight[pid] = [wire, ra, time.perf_counter(), 1]

    def receive(self, wait):
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return
        ent = self.inflight.get(data[1]) if len(data) >= 20 else None
        if ent is None:
            return
        if hashlib.md5(data[:4] + ent[1] + data[20:] + self.secret).digest() != data[4:20]:
            self.bad += 1
            return
        del self.inflight[data[1]]
        self.free.append(data[1])
        self.answered += 1

    def expire(self, now):
        for pid, ent in list(self.inflight.items()):
            if now - ent[2] <= self.timeout:
                continue
            if ent[3] > self.retries:
                del self.inflight[pid]
                self.free.append(pid)
                self.lost += 1
            else:
                ent[3] += 1
                ent[2] = now
                self.sock.send(ent[0])


def run(s, pkts, rate):
    """Sends request i no earlier than i / rate seconds after the start."""
    n, nxt, t0 = len(pkts), 0, time.perf_counter()
    last_check = t0
    while s.answered + s.lost < n:
        now = time.perf_counter()
        while nxt < n and nxt <= (now - t0) * rate and s.can_send():
            s.send(pkts[nxt])
            nxt += 1
        due = t0 + nxt / rate if nxt < n else now + 0.05
        s.receive(min(max(due - time.perf_counter(), 0.0001), 0.05))
        now = time.perf_counter()
        if now - last_check > 0.05:
            last_check = now
            s.expire(now)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--radload", required=True, help="the anchor's radload.py")
    ap.add_argument("--server", required=True, help="127.0.0.1:port")
    ap.add_argument("--type", required=True, choices=["auth", "acct"])
    ap.add_argument("--secret", default="testing123")
    ap.add_argument("--file", required=True)
    ap.add_argument("--rate", type=float, required=True, help="requests per second")
    ap.add_argument("--parallel", type=int, default=128)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--retries", type=int, default=3)
    ap.add_argument("--loops", type=int, default=1)
    ap.add_argument("--srv-pid", type=int, default=0)
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    if not host.startswith("127."):
        raise SystemExit("paced: loopback targets only")
    if not a.rate > 0:
        raise SystemExit("paced: --rate must be positive")
    rl = load_radload(a.radload)
    secret = a.secret.encode()
    pkts = encode_all(rl, rl.parse_packets(a.file), a.type, secret, a.loops)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.connect((host, int(port)))
    s = Sender(sock, secret, min(a.parallel, 255), a.timeout, a.retries)

    s0, b0 = rl.proc_ticks(a.srv_pid), rl.box_busy_ticks()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    wall = run(s, pkts, a.rate)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    s1, b1 = rl.proc_ticks(a.srv_pid), rl.box_busy_ticks()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print("answered=%d lost=%d bad=%d" % (s.answered, s.lost, s.bad))
    print("sent=%d wall_us=%d lg_cpu_us=%d srv_ticks=%d pg_ticks=0 box_ticks=%d rate=%.0f"
          % (len(pkts), wall * 1e6, cpu * 1e6, s1 - s0, b1 - b0, len(pkts) / wall))
    sys.exit(0 if s.lost == 0 and s.bad == 0 else 1)


if __name__ == "__main__":
    main()
