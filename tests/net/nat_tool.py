#!/usr/bin/env python3
"""nat_tool.py: small traffic endpoints for the NAT scenarios (nat_*.sh).

    udp-echo PORT [--ready FILE] [--count N]
                                       echo every datagram back (N, then
                                       exit); one line "PEER_ADDR:PEER_PORT
                                       LEN" per datagram
    udp-req ADDR:PORT... [--sport P] [--count N] [--size S] [--df|--nodf]
                                       from one socket, N requests to each
                                       destination, each answered with the same
                                       payload; prints "ok TOTAL" or why not
    udp-send ADDR PORT [--sport P] [--bind A] [--count N] [--payload S]
    udp-recv PORT [--count N] [--bind A] [--ready FILE] [--hello ADDR:PORT]
             [--assure] [--until PAYLOAD]
                                       (first sends "hello" to ADDR:PORT; with
                                       --assure it echoes, hello again) prints
                                       "PEER PAYLOAD" lines, then "got N"
    tcp-sink PORT FILE [--ready FILE]  accept one connection, store its bytes,
                                       print the peer
    tcp-send ADDR PORT FILE [--sport P]
                                       send FILE, half-close, wait for close
    tcp-serve PORT FILE [--ready FILE] accept one connection, send FILE to it
    tcp-fetch ADDR PORT FILE [--sport P]
                                       connect, store what arrives in FILE
    probe ADDR:PORT STEPS [--sport P] [--size S] [--ttl T] [--df]
                                       a UDP socket with IP_RECVERR through
                                       steps (see probe()): ICMP errors as
                                       the inside host's stack accepts them;
                                       peer to peer exchanges (step to:)

Every wait is bounded (--timeout, default 5 s); nothing sleeps as a check.
"""
import argparse
import os
import socket
import sys

IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_PMTUDISC_DO = 10, 0, 2


def ready(path):
    if path:
        with open(path, "w") as f:
            f.write("ready\n")


def udp_sock(args, bind_addr="", port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind_addr, port))
    if getattr(args, "df", False):
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
    if getattr(args, "nodf", False):
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    s.settimeout(args.timeout)
    return s


def udp_echo(args):
    s = udp_sock(args, args.bind, args.port)
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)	# SO_RCVBUFFORCE: bursts
    s.settimeout(None)
    ready(args.ready)
    n = 0
    while not args.count or n < args.count:
        data, peer = s.recvfrom(65535)
        print("%s:%d %d" % (peer[0], peer[1], len(data)), flush=True)
        s.sendto(data, peer)
        n += 1
    return 0


def dest(s):
    addr, port = s.rsplit(":", 1)
    return addr, int(port)


def udp_req(args):
    """One socket; COUNT requests to each DEST in turn, each answered."""
    s = udp_sock(args, args.bind, args.sport)
    got = 0
    for d in map(dest, args.dest):
        for i in range(args.count):
            payload = ((b"%06d" % i) + os.urandom(args.size))[:max(args.size, 6)]
            s.sendto(payload, d)
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                print("%s:%d request %d: no reply" % (d + (i,)))
                return 1
            if peer != d:
                print("%s:%d request %d: reply from %s:%d" % (d + (i,) + peer))
                return 1
            if data != payload:
                print("%s:%d request %d: payload differs (%d of %d bytes back)"
                      % (d + (i, len(data), len(payload))))
                return 1
            got += 1
    print("ok %d" % got)
    return 0


def udp_send(args):
    s = udp_sock(args, args.bind, args.sport)
    for _ in range(args.count):
        s.sendto(args.payload.encode(), (args.addr, args.port))
    return 0


def udp_recv(args):
    s = udp_sock(args, args.bind, args.port)
    if args.hello:
        s.sendto(b"hello", dest(args.hello))
        if args.assure:
            # the peer echoes: answered, then spoken to again, a NAT
            # mapping is assured (it outlives the 30 s of a single
            # exchange); that echo and the next are not printed
            try:
                while s.recvfrom(65535) != (b"hello", dest(args.hello)):
                    pass
            except socket.timeout:
                print("no echo of hello")
                return 1
            s.sendto(b"hello", dest(args.hello))
    ready(args.ready)
    n = 0
    try:
        while n < args.count:
            data, peer = s.recvfrom(65535)
            if args.assure and data == b"hello" and peer == dest(args.hello):
                continue
            print("%s:%d %s" % (peer[0], peer[1], data.decode(errors="replace")), flush=True)
            n += 1
            if args.until and data.decode(errors="replace") == args.until:
                break
    except socket.timeout:
        pass
    print("got %d" % n)
    return 0


def tcp_sink(args):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.bind, args.port))
    ls.listen(1)
    ls.settimeout(args.timeout)
    ready(args.ready)
    c, peer = ls.accept()
    c.settimeout(args.timeout)
    with open(args.file, "wb") as f:
        while True:
            data = c.recv(1 << 16)
            if not data:
                break
            f.write(data)
    c.close()
    print("%s:%d" % peer, flush=True)
    return 0


def tcp_connect(args):
    """A connection to ADDR:PORT from --sport (0: any), bound with
    SO_REUSEADDR so that a listener may take the port afterwards."""
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("", args.sport))
    c.settimeout(args.timeout)
    c.connect((args.addr, args.port))
    return c


def tcp_send(args):
    c = tcp_connect(args)
    with open(args.file, "rb") as f:
        c.sendall(f.read())
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
    print("sent")
    return 0


def tcp_serve(args):
    """Accept one connection and send FILE to it."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.bind, args.port))
    ls.listen(1)
    ls.settimeout(args.timeout)
    ready(args.ready)
    c, peer = ls.accept()
    c.settimeout(args.timeout)
    with open(args.file, "rb") as f:
        c.sendall(f.read())
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
    print("%s:%d" % peer, flush=True)
    return 0


def tcp_fetch(args):
    """Connect, store everything received in FILE."""
    c = tcp_connect(args)
    with open(args.file, "wb") as f:
        while True:
            data = c.recv(1 << 16)
            if not data:
                break
            f.write(data)
    c.close()
    print("fetched")
    return 0


SO_EE_ORIGIN_ICMP = 2
IP_RECVERR, IP_TTL = 11, 2


def probe(args):
    """A UDP socket with IP_RECVERR run through STEPS (comma-separated):
    send          send SIZE bytes to DEST: "send: ok" or "send: ERRNO"
    reply         wait for a datagram: "reply: N bytes from A:P" / "reply: none"
    err           wait for an error-queue message: "err: ICMP TYPE/CODE from
                  OFFENDER info INFO" (info: the MTU of frag-needed) / "err: none"
    drain         print every error already queued ("err: ..."), no wait
    ready:FILE    create FILE;  wait:FILE  wait until FILE exists
    pmtu          the socket's path MTU (IP_MTU): "pmtu: N"
    to:ADDR:PORT  later sends go there (a peer learnt from the first)
    """
    s = udp_sock(args, args.bind, args.sport)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    if args.ttl:
        s.setsockopt(socket.IPPROTO_IP, IP_TTL, args.ttl)
    d = dest(args.dest)
    payload = os.urandom(args.size)
    import errno as E
    import select
    import struct
    import time

    def one_err(block):
        # the error queue raises POLLERR, not POLLIN: poll for it ourselves
        if block:
            pl = select.poll()
            pl.register(s, select.POLLERR)
            if not pl.poll(args.timeout * 1000):
                return False
        s.setblocking(False)
        try:
            data, anc, _, _ = s.recvmsg(65535, 512, socket.MSG_ERRQUEUE)
        except BlockingIOError:
            return False
        finally:
            s.settimeout(args.timeout)
        for level, typ, c in anc:
            if level == socket.IPPROTO_IP and typ == IP_RECVERR:
                ee_errno, origin, itype, icode, _, info, _ = struct.unpack_from("=IBBBBII", c)
                off = socket.inet_ntoa(c[20:24]) if len(c) >= 24 else "?"
                if origin == SO_EE_ORIGIN_ICMP:
                    print("err: ICMP %d/%d from %s info %d" % (itype, icode, off, info), flush=True)
                else:
                    print("err: %s origin %d info %d" % (E.errorcode.get(ee_errno, ee_errno), origin, info), flush=True)
        return True

    for step in args.steps.split(","):
        if step == "send":
            try:
                s.sendto(payload, d)
                print("send: ok", flush=True)
            except OSError as e:
                print("send: %s" % E.errorcode.get(e.errno, e.errno), flush=True)
        elif step == "reply":
            try:
                data, peer = s.recvfrom(65535)
                print("reply: %d bytes from %s:%d" % ((len(data),) + peer), flush=True)
            except socket.timeout:
                print("reply: none", flush=True)
            except OSError as e:	# a queued error reported by recvfrom
                print("reply: %s" % E.errorcode.get(e.errno, e.errno), flush=True)
        elif step == "err":
            if not one_err(True):
                print("err: none", flush=True)
        elif step == "drain":
            while one_err(False):
                pass
        elif step.startswith("ready:"):
            ready(step[6:])
        elif step.startswith("wait:"):
            t = time.monotonic() + args.timeout
            while not os.path.exists(step[5:]) and time.monotonic() < t:
                time.sleep(0.02)
        elif step.startswith("to:"):
            d = dest(step[3:])
        elif step == "pmtu":
            s.connect(d)
            print("pmtu: %d" % s.getsockopt(socket.IPPROTO_IP, 14), flush=True)	# IP_MTU
        else:
            print("bad step " + step)
            return 2
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=5.0)
    sub = p.add_subparsers(dest="cmd", required=True)

    a = sub.add_parser("udp-echo")
    a.add_argument("port", type=int)
    a.add_argument("--bind", default="")
    a.add_argument("--count", type=int, default=0, help="exit after COUNT echoes")
    a.add_argument("--ready")
    a.set_defaults(fn=udp_echo)

    a = sub.add_parser("udp-req")
    a.add_argument("dest", nargs="+")
    a.add_argument("--sport", type=int, default=0)
    a.add_argument("--bind", default="")
    a.add_argument("--count", type=int, default=1)
    a.add_argument("--size", type=int, default=64)
    a.add_argument("--df", action="store_true")
    a.add_argument("--nodf", action="store_true")
    a.set_defaults(fn=udp_req)

    a = sub.add_parser("udp-send")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("--sport", type=int, default=0)
    a.add_argument("--bind", default="")
    a.add_argument("--count", type=int, default=1)
    a.add_argument("--payload", default="hello")
    a.set_defaults(fn=udp_send)

    a = sub.add_parser("udp-recv")
    a.add_argument("port", type=int)
    a.add_argument("--bind", default="")
    a.add_argument("--count", type=int, default=1)
    a.add_argument("--ready")
    a.add_argument("--hello", help="first send 'hello' to ADDR:PORT from the socket")
    a.add_argument("--assure", action="store_true",
                   help="the --hello peer echoes: wait for it, say hello again")
    a.add_argument("--until", help="stop after this payload")
    a.set_defaults(fn=udp_recv)

    a = sub.add_parser("tcp-sink")
    a.add_argument("port", type=int)
    a.add_argument("file")
    a.add_argument("--bind", default="")
    a.add_argument("--ready")
    a.set_defaults(fn=tcp_sink)

    for name, fn in (("tcp-send", tcp_send), ("tcp-fetch", tcp_fetch)):
        a = sub.add_parser(name)
        a.add_argument("addr")
        a.add_argument("port", type=int)
        a.add_argument("file")
        a.add_argument("--sport", type=int, default=0)
        a.set_defaults(fn=fn)

    a = sub.add_parser("tcp-serve")
    a.add_argument("port", type=int)
    a.add_argument("file")
    a.add_argument("--bind", default="")
    a.add_argument("--ready")
    a.set_defaults(fn=tcp_serve)

    a = sub.add_parser("probe")
    a.add_argument("dest")
    a.add_argument("steps")
    a.add_argument("--sport", type=int, default=0)
    a.add_argument("--bind", default="")
    a.add_argument("--size", type=int, default=32)
    a.add_argument("--ttl", type=int, default=0)
    a.add_argument("--df", action="store_true")
    a.add_argument("--nodf", action="store_true")
    a.set_defaults(fn=probe)

    args = p.parse_args()
    sys.exit(args.fn(args))


if __name__ == "__main__":
    main()
