#!/usr/bin/env python3
"""Writes the seed corpora of the hardening fuzz targets into tests/fuzz/.

    python3 fuzz/mkseeds.py [SRCDIR]

The seeds are committed; this script documents how they were made (the
layouts of sc-stream(5)) and regenerates them.  Audio seeds other than WAV
need sox.  Every seed stays small (a few kB) so libFuzzer's default max_len
suits them.
"""
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
OUT = os.path.join(SRC, "tests", "fuzz")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def crc(b, c=0):
    return zlib.crc32(b, c) & 0xFFFFFFFF


# ---------------------------------------------------------------- ini
def ini_seeds():
    with open(os.path.join(SRC, "etc", "sc.ini"), "rb") as f:
        put("ini", "default.ini", f.read())
    put("ini", "minimal.ini", b"[model]\nrate = 50\nvocab = 8192\n")
    put("ini", "stages.ini", b"[semantic]\nplugin = audiomae\nbackend = ref\noptions = a=1\n"
        b"[acoustic]\nbatch = 4\n[decoder]\nsteps = 2\ncfg = -1.5\neta = 0\nseed = 0x10\n"
        b"[vocoder]\nbackend = blas\n[log]\nlevel = debug\n")
    put("ini", "comments.ini", b"; c\n# c\n[backend]\ndefault = ref ; tail\nthreads=2\n"
        b"options = x\n\n[model]\nsynthetic = yes\ndir = /tmp/m\nsynth_dir =\n")
    put("ini", "bad_key.ini", b"[model]\nrat = 100\n")
    put("ini", "bad_value.ini", b"[model]\nrate = 99\n")
    put("ini", "no_section.ini", b"rate = 100\n")
    put("ini", "syntax.ini", b"[model\nrate\n")
    put("ini", "long.ini", b"[model]\ndir = " + b"x" * 300 + b"\n")


# ---------------------------------------------------------------- mel stream
def mel_stream(bins, frames, windows, samples, announce=True, rate=16000, end=True):
    h = bytearray(64)
    h[0:4] = b"SCML"
    struct.pack_into("<IIIIIII", h, 4, 1, 64, rate, bins, frames, 0, 0)
    struct.pack_into("<qq", h, 32, samples, len(windows) if announce else -1)
    struct.pack_into("<I", h, 60, crc(bytes(h[:60])))
    out = bytearray(h)
    for i, w in enumerate(windows):
        pay = struct.pack("<%df" % len(w), *w)
        ph = bytearray(24)
        ph[0:4] = b"SCMW"
        struct.pack_into("<QI", ph, 8, i, len(pay))
        struct.pack_into("<I", ph, 20, crc(pay, crc(bytes(ph[:20]))))
        out += ph + pay
    if end:
        e = bytearray(24)
        e[0:4] = b"SCME"
        struct.pack_into("<Q", e, 8, len(windows))
        struct.pack_into("<I", e, 20, crc(bytes(e[:20])))
        out += e
    return bytes(out)


def mel_seeds():
    r = random.Random(1)
    win = lambda n: [r.uniform(-2, 2) for _ in range(n)]
    put("melstream", "empty_known.mel", mel_stream(4, 2, [], 0))
    put("melstream", "one.mel", mel_stream(4, 2, [win(8)], 100))
    put("melstream", "three_unknown.mel", mel_stream(3, 5, [win(15) for _ in range(3)], -1, False))
    put("melstream", "two.mel", mel_stream(8, 4, [win(32), win(32)], 163841))
    put("melstream", "truncated.mel", mel_stream(4, 2, [win(8), win(8)], 5)[:-30])
    put("melstream", "no_end.mel", mel_stream(2, 2, [win(4)], 5, end=False))
    put("melstream", "semanticodec_header.mel", mel_stream(128, 1024, [], 16000, end=False))


# ---------------------------------------------------------------- tokens
def bits(v):
    b = 1
    while (1 << b) < v:
        b += 1
    return b


def tok_stream(pairs, rate=100, sv=16384, av=8192, samples=-1, flags=0, per=512):
    sb, ab = bits(sv), bits(av)
    h = bytearray(40)
    h[0:4] = b"SCTK"
    struct.pack_into("<HHHHIIqBBHI", h, 4, 1, 40, rate, flags, sv, av, samples, sb, ab, per, 0)
    struct.pack_into("<I", h, 36, crc(bytes(h[:36])))
    out = bytearray(h)
    pos = 0
    chunks = [pairs[i:i + per] for i in range(0, len(pairs), per)] + [[]]
    for ch in chunks:
        acc = nacc = 0
        pay = bytearray()
        for s, a in ch:
            acc |= s << nacc
            nacc += sb
            acc |= a << nacc
            nacc += ab
            while nacc >= 8:
                pay.append(acc & 0xFF)
                acc >>= 8
                nacc -= 8
        if nacc:
            pay.append(acc & 0xFF)
        ph = bytearray(16)
        struct.pack_into("<QI", ph, 0, pos, len(ch))
        struct.pack_into("<I", ph, 12, crc(bytes(pay), crc(bytes(ph[:12]))))
        out += ph + pay
        pos += len(ch)
    return bytes(out)


def tok_text(pairs, header="rate=100 vocab=16384 acoustic_vocab=8192 flags=0", end=True):
    s = "# sc-tokens v1 %s\n" % header
    s += "".join("%d %d\n" % p for p in pairs)
    if end:
        s += "# end count=%d\n" % len(pairs)
    return s.encode()


def npy(arr_bytes, descr, shape):
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    hl = len(d) + 1
    pad = (64 - (10 + hl) % 64) % 64
    head = d + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode() + arr_bytes


def tok_npy(pairs, i32=False, two_d=False):
    fmt = "<%di" if i32 else "<%dq"
    flat = [v for p in pairs for v in p]
    data = struct.pack(fmt % len(flat), *flat)
    shape = "(%d, 2)" % len(pairs) if two_d else "(1, %d, 2)" % len(pairs)
    return npy(data, "<i4" if i32 else "<i8", shape)


def tok_seeds():
    r = random.Random(2)
    pr = lambda n, sv=16384: [(r.randrange(sv), r.randrange(8192)) for _ in range(n)]
    for tgt in ("tokstream", "detok_front"):
        put(tgt, "sc_small.sctk", tok_stream(pr(5), samples=1600))
        put(tgt, "sc_empty.sctk", tok_stream([], rate=50, sv=8192))
        put(tgt, "sc_packets.sctk", tok_stream(pr(70, 4096), rate=25, sv=4096, per=32, flags=1))
        put(tgt, "text_small.txt", tok_text(pr(6)))
        put(tgt, "text_noend.txt", tok_text(pr(3), "rate=50 vocab=8192 acoustic_vocab=8192 "
                                            "samples=16000 flags=1 future=7", end=False))
        put(tgt, "text_bare.txt", tok_text(pr(2, 4096), "", end=False))
        put(tgt, "npy_i64.npy", tok_npy(pr(4)))
        put(tgt, "npy_i32_2d.npy", tok_npy(pr(3), i32=True, two_d=True))
    # two windows at rate 25 (W = 128, stride 120) and at rate 100 (W = 512)
    put("detok_front", "sc_two_windows_r25.sctk",
        tok_stream(pr(130, 4096), rate=25, sv=4096, samples=-1))
    put("detok_front", "sc_two_windows_r100.sctk", tok_stream(pr(600), samples=-1))
    put("detok_front", "text_two_windows_r25.txt",
        tok_text(pr(131, 8192), "rate=25 vocab=8192 acoustic_vocab=8192 samples=400000 flags=0"))
    put("detok_front", "npy_r100_600.npy", tok_npy(pr(600)))


# ---------------------------------------------------------------- audio
def wav(samples, rate=16000, ch=1, fmt=1, bits=16, extensible=False, data_size=None):
    if fmt == 3:
        data = struct.pack("<%df" % len(samples), *samples)
    elif bits == 16:
        data = struct.pack("<%dh" % len(samples), *[int(max(-1, min(1, s)) * 32767) for s in samples])
    elif bits == 24:
        data = b"".join(struct.pack("<i", int(s * 8388607))[:3] for s in samples)
    else:
        data = bytes(int((s + 1) * 127.5) for s in samples)
    ba = ch * bits // 8
    if extensible:
        fmtc = struct.pack("<HHIIHHHHIH14s", 0xFFFE, ch, rate, rate * ba, ba, bits, 22, bits, 0,
                           fmt, b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71")
    else:
        fmtc = struct.pack("<HHIIHH", fmt, ch, rate, rate * ba, ba, bits)
    ds = len(data) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmtc)) + fmtc + b"data" + struct.pack("<I", ds) + data
    return b"RIFF" + struct.pack("<I", len(body) if data_size is None else 0xFFFFFFFF) + body


def audio_seeds():
    import math
    sine = [0.5 * math.sin(2 * math.pi * 440 * i / 16000) for i in range(400)]
    put("audio", "pcm16.wav", wav(sine))
    put("audio", "float.wav", wav(sine, fmt=3, bits=32))
    put("audio", "stereo24_44k.wav", wav(sine[:300], rate=44100, ch=2, bits=24))
    put("audio", "u8_8k.wav", wav(sine[:200], rate=8000, bits=8))
    put("audio", "extensible.wav", wav(sine[:200], rate=48000, extensible=True))
    put("audio", "streamed.wav", wav(sine[:200], data_size=0xFFFFFFFF))
    put("audio", "truncated.wav", wav(sine[:200])[:300])
    if shutil.which("sox"):
        src = os.path.join(OUT, "audio", "pcm16.wav")
        for name, args in (("sine.flac", []), ("sine.ogg", []), ("sine.aiff", []),
                           ("sine.au", []), ("sine_22k.caf", ["-r", "22050"])):
            dst = os.path.join(OUT, "audio", name)
            subprocess.run(["sox", src] + args + [dst], check=True)


if __name__ == "__main__":
    ini_seeds()
    mel_seeds()
    tok_seeds()
    audio_seeds()
