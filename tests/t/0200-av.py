#!/usr/bin/env python3
"""Measurements for the medusa-cut tests, made with ffmpeg and ffprobe.

0200-av.py frame SRC S OUT.pgm   the frame the ffmpeg CLI's output seeking
                                 (ffmpeg -i SRC -ss S, video and audio out)
                                 starts on, as gray PGM
0200-av.py first FILE OUT.pgm    the first video frame of FILE
0200-av.py psnr A.pgm B.pgm      PSNR of two gray frames in dB (99 when equal)
0200-av.py want SRC S E          how many frames of SRC lie in [S, E), times
                                 counted from the first timestamp of its video
                                 or audio
0200-av.py count FILE            video frames of FILE (ffprobe -count_frames)
0200-av.py times FILE            the video frames' times in FILE, one a line
0200-av.py sync FILE             flashes (bright frames) and clicks (loud audio
                                 onsets) of FILE: "OFFSET FLASH CLICK SECOND
                                 LAST DURATION", the median click - flash, the
                                 first flash and click, the times of the second
                                 and the last frame, the container's duration
0200-av.py dur FILE              the container's duration (ffprobe format)
0200-av.py check SRC S E FILE    all of a cut's measures in one line: "FRAMES
                                 WANT PSNR NEXT PREV DURATION": its frame count
                                 (ffprobe -count_frames), the source's frames in
                                 [S, E), the PSNR of its first frame against the
                                 CLI's frame at S and against the source frames
                                 after and before that one (0 when there is
                                 none), the container's duration
0200-av.py copied SRC START E FILE  a copy that reports START: "PREFIX N
                                 WANT": whether its frames are, time for time,
                                 the source's from START on (1 or 0), how many
                                 it has, how many the source has in [START, E)
0200-av.py placed SRC S E         where the source's frames in [S, E) fall
                                 in a cut from S: "SECOND LAST" (seconds)
"""
import json
import math
import os
import statistics
import struct
import subprocess
import sys

FF = ["ffmpeg", "-nostdin", "-v", "fatal", "-y"]


def probe(*args):
    return subprocess.run(["ffprobe", "-v", "error", *args], check=True,
                          capture_output=True, text=True).stdout


def pgm_out(args, out):
    subprocess.run(FF + args + ["-frames:v", "1", "-pix_fmt", "gray", "-c:v", "pgm",
                                "-f", "image2pipe", out], check=True)


def frame(src, s, out, has_audio=None):
    # the audio is read too (a second output), or the CLI counts S from the
    # video's own first timestamp instead of the file's
    if has_audio is None:
        has_audio = bool(probe("-select_streams", "a:0", "-show_entries", "stream=index",
                               "-of", "csv=p=0", src).split())
    audio = ["-ss", s, "-t", "0.1", "-map", "0:a:0", "-f", "null", "-"] if has_audio else []
    subprocess.run(FF + ["-i", src, "-ss", s, "-map", "0:v:0", "-frames:v", "1",
                         "-pix_fmt", "gray", "-c:v", "pgm", "-f", "image2pipe", out] + audio,
                   check=True)


def read_pgm(path):
    data = open(path, "rb").read()
    parts, pos = [], 0
    while len(parts) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        parts.append(data[pos:end])
        pos = end
    return int(parts[1]), int(parts[2]), data[pos + 1:]


def psnr(a, b):
    wa, ha, pa = read_pgm(a)
    wb, hb, pb = read_pgm(b)
    if (wa, ha) != (wb, hb):
        sys.exit("psnr: %dx%d against %dx%d" % (wa, ha, wb, hb))
    mse = sum((x - y) ** 2 for x, y in zip(pa, pb)) / len(pa)
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def first_timestamp(src):
    t = None
    for sel in ("v:0", "a:0"):
        out = probe("-select_streams", sel, "-show_entries", "stream=start_time",
                    "-of", "csv=p=0", src).split()
        out = [x.strip(",") for x in out]
        if out and out[0] not in ("N/A", ""):
            v = float(out[0])
            t = v if t is None or v < t else t
    return t or 0.0


def source_frames(src):
    """The source's size, frame times from its start and frames (gray),
    decoded once and kept beside it."""
    cache = src + ".frames"
    if not os.path.exists(cache + ".json"):
        w, h = [int(x) for x in probe("-select_streams", "v:0", "-show_entries",
                                      "stream=width,height", "-of", "csv=p=0",
                                      src).split()[0].strip(",").split(",")[:2]]
        subprocess.run(FF + ["-i", src, "-map", "0:v:0", "-vsync", "passthrough",
                             "-pix_fmt", "gray", "-f", "rawvideo", cache], check=True)
        base = first_timestamp(src)
        audio = bool(probe("-select_streams", "a:0", "-show_entries", "stream=index",
                           "-of", "csv=p=0", src).split())
        info = {"w": w, "h": h, "audio": audio, "ts": [t - base for t in times(src)]}
        json.dump(info, open(cache + ".json", "w"))
    info = json.load(open(cache + ".json"))
    data = open(cache, "rb").read()
    n = info["w"] * info["h"]
    frames = [data[i * n:(i + 1) * n] for i in range(len(data) // n)]
    return info["w"], info["h"], info["audio"], info["ts"], frames


def psnr_raw(a, b):
    mse = sum((x - y) ** 2 for x, y in zip(a, b)) / len(a)
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def check(src, s, e, f):
    w, h, audio, ts, frames = source_frames(src)
    want_n = sum(1 for t in ts if float(s) - 1e-6 <= t < float(e) - 1e-6)
    out = probe("-count_frames", "-select_streams", "v:0", "-show_entries",
                "stream=nb_read_frames:format=duration", "-of", "csv=p=0", f).split()
    count, dur = out[0].strip(","), out[-1].strip(",")
    pgm_out(["-i", f, "-map", "0:v:0"], f + ".first.pgm")
    frame(src, s, f + ".ref.pgm", audio)
    gw, gh, got = read_pgm(f + ".first.pgm")
    _, _, ref = read_pgm(f + ".ref.pgm")
    if (gw, gh) != (w, h):
        sys.exit("check: %s is %dx%d, the source %dx%d" % (f, gw, gh, w, h))
    # the CLI's frame among the source's, for its neighbours
    at = next((i for i, t in enumerate(ts) if t >= float(s) - 1e-6), len(frames) - 1)
    near = range(max(0, at - 3), min(len(frames), at + 4))
    k = max(near, key=lambda i: psnr_raw(ref, frames[i]))
    nxt = psnr_raw(got, frames[k + 1]) if k + 1 < len(frames) else 0
    prv = psnr_raw(got, frames[k - 1]) if k > 0 else 0
    return "%s %d %.2f %.2f %.2f %s" % (count, want_n, psnr_raw(got, ref), nxt, prv, dur)


def times(f):
    out = probe("-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time",
                "-of", "csv=p=0", f)
    return [float(x.strip(",")) for x in out.split() if x.strip(",") not in ("", "N/A")]


def want(src, s, e):
    base = first_timestamp(src)
    return sum(1 for t in times(src) if float(s) - 1e-6 <= t - base < float(e) - 1e-6)


def sync(f):
    out = probe("-f", "lavfi", "-i", "movie=%s,signalstats" % f.replace(":", "\\:"),
                "-show_entries", "frame=pts_time:frame_tags=lavfi.signalstats.YAVG",
                "-of", "csv=p=0")
    flashes, frames, prev = [], [], 0.0
    for line in out.split():
        p = line.split(",")
        if len(p) >= 2 and p[0] not in ("", "N/A"):
            y = float(p[1])
            frames.append(float(p[0]))
            if y > 100 and prev <= 100:
                flashes.append(float(p[0]))
            prev = y
    # the first decoded sample's time (after an encoder delay is skipped)
    start = probe("-select_streams", "a:0", "-read_intervals", "%+#1", "-show_entries",
                  "frame=pts_time", "-of", "csv=p=0", f).split()
    start = float(start[0].strip(",")) if start and start[0].strip(",") != "N/A" else 0.0
    raw = subprocess.run(FF + ["-i", f, "-map", "0:a:0", "-ac", "1", "-ar", "48000",
                               "-f", "s16le", "-"], check=True, capture_output=True).stdout
    n = len(raw) // 2
    samples = struct.unpack("<%dh" % n, raw[:2 * n])
    clicks, last = [], -10 ** 9
    for i, v in enumerate(samples):
        if v > 3000 or v < -3000:
            if i - last > 24000:
                clicks.append(start + i / 48000.0)
            last = i
    offs = [c - min(flashes, key=lambda x: abs(x - c)) for c in clicks] if flashes else []
    dur = probe("-show_entries", "format=duration", "-of", "csv=p=0", f).split()[0]
    return "%s %s %s %.6f %.6f %s" % (
        "%.4f" % statistics.median(offs) if offs else "none",
        "%.3f" % flashes[0] if flashes else "none", "%.3f" % clicks[0] if clicks else "none",
        frames[1], frames[-1], dur)


def copied(src, start, e, f):
    ts = source_frames(src)[3]
    want_t = [t for t in ts if float(start) - 1e-6 <= t < float(e) - 1e-6]
    got = sorted(t + float(start) for t in times(f))
    prefix = len(got) <= len(want_t) and all(abs(g - w) < 0.002 for g, w in zip(got, want_t))
    return "%d %d %d" % (prefix, len(got), len(want_t))


def placed(src, s, e):
    ts = [t - float(s) for t in source_frames(src)[3] if float(s) - 1e-6 <= t < float(e) - 1e-6]
    return "%.6f %.6f" % (ts[1], ts[-1])


def main(a):
    if a[0] == "frame":
        frame(a[1], a[2], a[3])
    elif a[0] == "first":
        pgm_out(["-i", a[1], "-map", "0:v:0"], a[2])
    elif a[0] == "psnr":
        print("%.2f" % psnr(a[1], a[2]))
    elif a[0] == "want":
        print(want(a[1], a[2], a[3]))
    elif a[0] == "count":
        print(probe("-count_frames", "-select_streams", "v:0", "-show_entries",
                    "stream=nb_read_frames", "-of", "csv=p=0", a[1]).split()[0].strip(","))
    elif a[0] == "times":
        print("\n".join("%.6f" % t for t in times(a[1])))
    elif a[0] == "sync":
        print(sync(a[1]))
    elif a[0] == "placed":
        print(placed(a[1], a[2], a[3]))
    elif a[0] == "copied":
        print(copied(a[1], a[2], a[3], a[4]))
    elif a[0] == "check":
        print(check(a[1], a[2], a[3], a[4]))
    elif a[0] == "dur":
        print(probe("-show_entries", "format=duration", "-of", "csv=p=0", a[1]).split()[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
