#!/usr/bin/python3
"""A Prometheus-style blackbox ICMP prober: ping TARGET over a raw ICMP
socket and print the result in the Prometheus text format, for
node_exporter's textfile collector (or a script exporter).

    icmp-probe.py [--timeout SECONDS] TARGET

Exit status 0 when TARGET answered, 1 when it did not, 2 on a usage error.
A raw socket needs CAP_NET_RAW; under fdbroker the broker makes it:

    fdbroker run -u nobody -p blackbox-icmp.policy -- python3 icmp-probe.py 192.0.2.1
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

ICMP_ECHO_REPLY, ICMP_ECHO = 0, 8


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(addr, timeout):
    """Round-trip time in seconds, or None when no reply came in time."""
    ident, seq = os.getpid() & 0xFFFF, 1
    payload = b"fdbroker-icmp-probe"
    header = struct.pack("!BBHHH", ICMP_ECHO, 0, 0, ident, seq)
    packet = struct.pack("!BBHHH", ICMP_ECHO, 0, checksum(header + payload), ident, seq) + payload
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        start = time.monotonic()
        s.sendto(packet, (addr, 0))
        deadline = start + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                return None
            data, _ = s.recvfrom(2048)
            ihl = (data[0] & 0x0F) * 4  # a raw IPv4 socket sees the IP header
            kind, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if kind == ICMP_ECHO_REPLY and rid == ident and rseq == seq:
                return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description="ICMP echo probe, Prometheus text format")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("target")
    args = ap.parse_args()
    start = time.monotonic()
    rtt, error = None, None
    try:
        addr = socket.gethostbyname(args.target)
        rtt = ping(addr, args.timeout)
    except OSError as e:  # EPERM without CAP_NET_RAW (no rule), unknown host, ...
        error = e
        print("icmp-probe: %s: %s" % (args.target, e), file=sys.stderr)
    print("# HELP probe_success Whether the ICMP echo probe succeeded.")
    print("# TYPE probe_success gauge")
    print('probe_success{target="%s"} %d' % (args.target, rtt is not None))
    print("# HELP probe_duration_seconds How long the probe took.")
    print("# TYPE probe_duration_seconds gauge")
    print('probe_duration_seconds{target="%s"} %.6f' % (args.target, time.monotonic() - start))
    if rtt is not None:
        print("# HELP probe_icmp_rtt_seconds ICMP echo round-trip time.")
        print("# TYPE probe_icmp_rtt_seconds gauge")
        print('probe_icmp_rtt_seconds{target="%s"} %.6f' % (args.target, rtt))
    return 0 if rtt is not None and error is None else 1


if __name__ == "__main__":
    sys.exit(main())
