#!/usr/bin/env python3
"""Measurements of accurate copies (medusa-cut "accurate": true), with ffmpeg
and ffprobe; the frames of a source are 0200-av.py's.

0211-splice.py ends SRC S E FILE     "COUNT WANT FIRST FNEXT FPREV LAST LNEXT LPREV":
                                     FILE's frames, the source's in [S, E), the PSNR
                                     of FILE's first frame against the source's first
                                     in [S, E) and against the two beside it, and the
                                     same for the last frame (0 where there is none)
0211-splice.py inner SRC FILE A B S  "N SAME": the source's video packets shown in
                                     [A, B) (N of them), and whether FILE, a cut
                                     from S, has the same packets there (MD5 of the
                                     data, in decode order): 1 or 0
"""
import importlib.util
import os
import subprocess
import sys

_spec = importlib.util.spec_from_file_location(
    "av", os.path.join(os.path.dirname(os.path.abspath(__file__)), "0200-av.py"))
av = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(av)


def frames_of(f, w, h):
    raw = subprocess.run(av.FF + ["-i", f, "-map", "0:v:0", "-vsync", "passthrough",
                                  "-pix_fmt", "gray", "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    n = w * h
    return [raw[i * n:(i + 1) * n] for i in range(len(raw) // n)]


def ends(src, s, e, f):
    w, h, _, ts, frames = av.source_frames(src)
    inside = [i for i, t in enumerate(ts) if float(s) - 1e-6 <= t < float(e) - 1e-6]
    got = frames_of(f, w, h)
    if not inside or not got:
        return "%d %d 0 0 0 0 0 0" % (len(got), len(inside))

    def at(frame, i):
        return av.psnr_raw(frame, frames[i]) if 0 <= i < len(frames) else 0.0
    a, b = inside[0], inside[-1]
    return "%d %d %.2f %.2f %.2f %.2f %.2f %.2f" % (
        len(got), len(inside), at(got[0], a), at(got[0], a + 1), at(got[0], a - 1),
        at(got[-1], b), at(got[-1], b - 1), at(got[-1], b + 1))


def packets(f):
    out = av.probe("-select_streams", "v:0", "-show_data_hash", "MD5", "-show_entries",
                   "packet=pts_time,data_hash", "-of", "csv=p=0", f)
    res = []
    for line in out.split():
        p = line.split(",")
        if len(p) >= 2 and p[0] not in ("", "N/A"):
            res.append((float(p[0]), p[1]))
    return res


def inner(src, f, a, b, s):
    base = av.first_timestamp(src)
    a, b, s = float(a), float(b), float(s)
    want = [d for t, d in packets(src) if a - 1e-4 <= t - base < b - 1e-4]
    got = [d for t, d in packets(f) if a - s - 1e-4 <= t < b - s - 1e-4]
    return "%d %d" % (len(want), int(bool(want) and want == got))


def main(a):
    if a[:1] == ["ends"]:
        print(ends(a[1], a[2], a[3], a[4]))
    elif a[:1] == ["inner"]:
        print(inner(a[1], a[2], a[3], a[4], a[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
