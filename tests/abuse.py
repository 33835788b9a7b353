#!/usr/bin/env python3
"""tests/abuse.py: one client that holds a server's connections, for the
availability tests (tests/t/0807) and tests/bench/abuse.

  abuse.py --port P [--host 127.0.0.1] [--src 127.0.0.2] [--idle N] [--slow N]
           [--path /api/tags] [--every 1.0] [--ready FILE]

--idle N: N keep-alive connections that each ask once, read the answer and
then say nothing. --slow N: N connections that send a request head one
header line every --every seconds and never end it (slowloris). Each
connection that the server closes is opened again at once: the attacker
does not give up. --ready FILE is written once every idle connection got
its answer and every slow one sent its first line. A connection refused
(a per-address limit) is tried again 50 ms later. On SIGTERM it prints
how many connections it opened, how many the server ended and how many
were refused, and exits.
"""
import argparse
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--src", default="127.0.0.2")
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--slow", type=int, default=0)
    ap.add_argument("--path", default="/api/tags")
    ap.add_argument("--every", type=float, default=1.0)
    ap.add_argument("--ready")
    a = ap.parse_args()

    sel = selectors.DefaultSelector()
    stats = {"opened": 0, "ended": 0, "refused": 0}
    conns = {}          # socket -> state dict
    later = []          # (when, kind): connections to open again
    ready_written = [a.ready is None]

    done_slots = set()  # connections that made their first step once

    def open_conn(kind, slot=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((a.src, 0))
        s.setblocking(False)
        try:
            s.connect((a.host, a.port))
        except BlockingIOError:
            pass
        if slot is None:
            slot = stats["opened"]
        st = {"kind": kind, "slot": slot, "connected": False, "answered": False, "lines": 0, "next": 0.0}
        conns[s] = st
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ)
        stats["opened"] += 1

    def close_conn(s, refused=False):
        sel.unregister(s)
        st = conns.pop(s)
        s.close()
        if refused:
            stats["refused"] += 1
            later.append((time.monotonic() + 0.05, st["kind"], st["slot"]))
        else:
            stats["ended"] += 1
            open_conn(st["kind"], st["slot"])   # at once: a persistent attacker

    def send(s, data):
        try:
            s.send(data)
            return True
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False

    def ready():
        # every connection made its first step once (the server may have
        # ended some since: they are back in its queue); with a limit
        # refusing some, those it let in did
        if stats["refused"]:
            return any(st["connected"] for st in conns.values()) and all(
                st["slot"] in done_slots for st in conns.values() if st["connected"])
        return len(done_slots) == a.idle + a.slow

    def stop(*_):
        print("opened=%d ended=%d refused=%d" % (stats["opened"], stats["ended"], stats["refused"]),
              flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    for _ in range(a.idle):
        open_conn("idle")
    for _ in range(a.slow):
        open_conn("slow")
    head = ("GET %s HTTP/1.1\r\nHost: localhost\r\n" % a.path).encode()
    while True:
        now = time.monotonic()
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            st = conns.get(s)
            if st is None:
                continue
            if ev & selectors.EVENT_WRITE and not st["connected"]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    close_conn(s, refused=True)
                    continue
                st["connected"] = True
                sel.modify(s, selectors.EVENT_READ)
                ok = send(s, head + b"\r\n" if st["kind"] == "idle" else head)
                st["lines"] = 1
                if st["kind"] == "slow":
                    done_slots.add(st["slot"])
                st["next"] = now + a.every
                if not ok:
                    close_conn(s)
                continue
            if ev & selectors.EVENT_READ:
                try:
                    d = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    d = b""
                if not d:
                    close_conn(s)
                    continue
                st["answered"] = True
                done_slots.add(st["slot"])
        for s, st in list(conns.items()):
            if st["kind"] == "slow" and st["connected"] and now >= st["next"]:
                st["next"] = now + a.every
                st["lines"] += 1
                if not send(s, b"X-%d: a\r\n" % st["lines"]):
                    close_conn(s)
        for x in [x for x in later if x[0] <= now]:
            later.remove(x)
            open_conn(x[1], x[2])
        if not ready_written[0] and ready():
            with open(a.ready, "w") as f:
                f.write("ready\n")
            ready_written[0] = True


if __name__ == "__main__":
    main()
