#!/usr/bin/python3
"""Steady mixed load on a running mnist-serve, and the watch on its RSS and open files.

Run by scripts/soak-serve.sh, which starts the server and stops it; this program only talks to
it and reads /proc/PID. Python's standard library only, so that it runs on a fresh Debian 12.

Design. A few worker threads send requests at a fixed overall rate (no flood: the machine also
trains and builds), each request of a kind drawn at random (seeded) with fixed weights. Every
kind has the one outcome it must get: valid PNG, JSON pixel and multipart bodies 200; bad bodies
400; a wrong content type 415; a body above --max-body or a PNG whose header claims huge
dimensions 413. Two more threads play slow clients: one sends a whole request a few bytes at a
time (inside the read timeout: it must get 200), the other sends half a request line and stalls
(the server must drop it within its read timeout plus a margin, without answering 200).
A sampler reads VmRSS from /proc/PID/status and counts /proc/PID/fd every --sample-seconds.

Verdict (exit 1 on any): a valid request without its 200, any other unexpected status or
transport failure, the server gone, or growth. Growth rule: the samples are cut into quarters;
the first quarter is warm-up (thread pools and allocator arenas fill), the second is the
baseline; the median of the last quarter must stay within RSS x 1.10 + 8 MiB and fds + 8 of the
baseline's median. A leak of one fd per thousand requests, or of a kilobyte per request, fails
it well inside a 30-minute run.
"""
import argparse
import http.client
import json
import os
import random
import socket
import statistics
import struct
import sys
import threading
import time
import zlib

# ---------------------------------------------------------------------------------------------
# Request bodies

IMAGE_SIDE = 28


def read_mnist_digits(images_path, count):
    """The first `count` test digits as lists of 784 bytes (0..255)."""
    with open(images_path, "rb") as f:
        header = f.read(16)
        magic, total, rows, cols = struct.unpack(">IIII", header)
        if magic != 2051 or rows != IMAGE_SIDE or cols != IMAGE_SIDE or total < count:
            raise SystemExit(f"soak: {images_path}: not an MNIST image file. Run scripts/setup.sh to fetch MNIST.")
        return [list(f.read(IMAGE_SIDE * IMAGE_SIDE)) for _ in range(count)]


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def gray_png(pixels, width=IMAGE_SIDE, height=IMAGE_SIDE):
    rows = b"".join(b"\x00" + bytes(pixels[r * width:(r + 1) * width]) for r in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def png_claiming(width, height):
    """A PNG signature and header claiming width x height, and no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)


def multipart(png):
    boundary = "soakboundary7d3f"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"digit.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Bodies:
    def __init__(self, digits, max_body):
        self.pngs = [gray_png(d) for d in digits]
        self.pixels = [json.dumps({"pixels": [round(v / 255, 4) for v in d]}).encode() for d in digits]
        self.oversized = b"\x89PNG" + b"x" * max_body  # one past the limit and then some
        self.huge_png = png_claiming(100_000, 100_000)


# ---------------------------------------------------------------------------------------------
# The kinds of request: (name, weight, what it sends). Each returns the outcome as a string:
# the status ("200", "400", ...), "dropped" for a connection the server closed unanswered, or
# "error: ..." for a transport failure.

def expected_outcomes():
    return {"png": {"200"}, "json_pixels": {"200"}, "multipart": {"200"}, "healthz": {"200"},
            "not_image": {"400"}, "bad_json": {"400"}, "wrong_type": {"415"},
            "oversized_body": {"413"}, "huge_dimensions": {"413"},
            "slow_complete": {"200"}, "stalled": {"dropped"}}


VALID_KINDS = {"png", "json_pixels", "multipart", "healthz", "slow_complete"}

# Weights of the quick kinds: mostly valid traffic, a steady trickle of every refusal.
QUICK_KINDS = [("png", 40), ("json_pixels", 25), ("multipart", 10), ("healthz", 5),
               ("not_image", 6), ("bad_json", 6), ("wrong_type", 4), ("oversized_body", 1),
               ("huge_dimensions", 3)]


class Client:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None, content_type=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return str(response.status), payload
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return f"error: {type(e).__name__}: {e}", b""

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def send_quick(client, kind, bodies, rng):
    digit = rng.randrange(len(bodies.pngs))
    if kind == "png":
        status, payload = client.request("POST", "/v1/predict", bodies.pngs[digit], "image/png")
    elif kind == "json_pixels":
        status, payload = client.request("POST", "/v1/predict", bodies.pixels[digit], "application/json")
    elif kind == "multipart":
        body, content_type = multipart(bodies.pngs[digit])
        status, payload = client.request("POST", "/v1/predict", body, content_type)
    elif kind == "healthz":
        status, payload = client.request("GET", "/healthz")
    elif kind == "not_image":
        status, payload = client.request("POST", "/v1/predict", b"this is not an image, only some bytes", "image/png")
    elif kind == "bad_json":
        status, payload = client.request("POST", "/v1/predict", b'{"pixels": [0.1, 0.2', "application/json")
    elif kind == "wrong_type":
        status, payload = client.request("POST", "/v1/predict", bodies.pngs[digit], "text/plain")
    elif kind == "oversized_body":
        status, payload = client.request("POST", "/v1/predict", bodies.oversized, "image/png")
    elif kind == "huge_dimensions":
        status, payload = client.request("POST", "/v1/predict", bodies.huge_png, "image/png")
    else:
        raise ValueError(kind)
    return status if status.startswith("error") or well_formed(status, payload) else f"{status} with a malformed body"


def well_formed(status, payload):
    """A 200 from /v1/predict carries a digit; every refusal is a JSON error."""
    try:
        answer = json.loads(payload)
    except ValueError:
        return False
    if status == "200":
        return "digit" in answer or answer.get("status") == "ok"
    return isinstance(answer.get("error"), str)


def slow_complete(port, png, timeout):
    """A whole request sent in small pieces, 0.2 s apart: slow, but never silent for long."""
    head = (f"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
            f"Content-Length: {len(png)}\r\nConnection: close\r\n\r\n").encode()
    request = head + png
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            for start in range(0, len(request), 64):
                s.sendall(request[start:start + 64])
                time.sleep(0.2)
            answer = read_all(s)
    except OSError as e:
        return f"error: {type(e).__name__}: {e}"
    return answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/1.1 ") else "dropped"


def stalled(port, read_timeout):
    """Half a request line, then silence: the server must close the connection unanswered."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=read_timeout + 5) as s:
            s.sendall(b"POST /v1/pred")
            started = time.monotonic()
            answer = read_all(s)
            waited = time.monotonic() - started
    except socket.timeout:
        return "error: still open after the read timeout + 5 s"
    except ConnectionResetError:
        return "dropped"
    except OSError as e:
        return f"error: {type(e).__name__}: {e}"
    if answer:
        return answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/1.1 ") else "garbage"
    return "dropped" if waited >= read_timeout - 1 else f"error: dropped after {waited:.1f} s"


def read_all(s):
    chunks = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# ---------------------------------------------------------------------------------------------
# The run: workers, slow clients, the sampler, and the tally.

class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_kind = {}
        self.unexpected = []  # (kind, outcome), the first few kept for the report

    def add(self, kind, outcome):
        with self.lock:
            counts = self.by_kind.setdefault(kind, {})
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome not in expected_outcomes()[kind] and len(self.unexpected) < 20:
                self.unexpected.append((kind, outcome, time.strftime("%H:%M:%S")))


def process_state(pid):
    """(alive, rss_kib, fds); alive is False once the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            return False, 0, 0
        return True, int(fields["VmRSS"].split()[0]), len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, KeyError):
        return False, 0, 0


def quick_worker(port, rate, deadline, bodies, seed, tally, stop, timeout):
    rng = random.Random(seed)
    kinds = [k for k, _ in QUICK_KINDS]
    weights = [w for _, w in QUICK_KINDS]
    client = Client(port, timeout)
    interval = 1.0 / rate
    next_at = time.monotonic() + rng.random() * interval
    while not stop.is_set() and time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        tally.add(kind, send_quick(client, kind, bodies, rng))
        next_at += interval
        pause = next_at - time.monotonic()
        if pause > 0:
            stop.wait(pause)
        else:
            next_at = time.monotonic()  # behind: carry on at the rate, never catch up in a burst
    client.close()


def slow_worker(port, deadline, bodies, tally, stop, read_timeout, timeout):
    while not stop.is_set() and time.monotonic() < deadline:
        tally.add("slow_complete", slow_complete(port, bodies.pngs[0], timeout))
        if time.monotonic() < deadline:
            tally.add("stalled", stalled(port, read_timeout))


def median_of(samples, column):
    return statistics.median(s[column] for s in samples)


def growth_verdict(samples):
    """Failures of the growth rule (see the top of this file); empty when it holds."""
    n = len(samples)
    if n < 8:
        return [f"only {n} samples: too few for the growth rule (run longer or sample more often)"]
    baseline = samples[n // 4:n // 2]
    end = samples[3 * n // 4:]
    rss_base, rss_end = median_of(baseline, 1), median_of(end, 1)
    fd_base, fd_end = median_of(baseline, 2), median_of(end, 2)
    failures = []
    if rss_end > rss_base * 1.10 + 8 * 1024:
        failures.append(f"RSS grew: median {rss_base / 1024:.1f} MiB (2nd quarter) -> {rss_end / 1024:.1f} MiB (last quarter)")
    if fd_end > fd_base + 8:
        failures.append(f"open fds grew: median {fd_base:g} (2nd quarter) -> {fd_end:g} (last quarter)")
    return failures


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=40, help="quick requests per second, all workers together")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--slow-clients", type=int, default=2)
    parser.add_argument("--sample-seconds", type=float, default=10)
    parser.add_argument("--max-body", type=int, default=4 << 20)
    parser.add_argument("--read-timeout", type=float, default=5)
    parser.add_argument("--mnist-images", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples-out", help="write the samples as TSV here")
    return parser.parse_args()


def main():
    args = parse_args()
    bodies = Bodies(read_mnist_digits(args.mnist_images, 50), args.max_body)
    tally = Tally()
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + args.seconds
    timeout = 30.0  # per request: generous, as the machine is shared
    threads = [threading.Thread(target=quick_worker, daemon=True,
                                args=(args.port, args.rate / args.workers, deadline, bodies,
                                      args.seed * 1000 + i, tally, stop, timeout))
               for i in range(args.workers)]
    threads += [threading.Thread(target=slow_worker, daemon=True,
                                 args=(args.port, deadline, bodies, tally, stop, args.read_timeout, timeout))
                for _ in range(args.slow_clients)]
    for t in threads:
        t.start()

    samples = []  # (seconds since start, rss KiB, fds)
    died = None
    while time.monotonic() < deadline:
        alive, rss, fds = process_state(args.pid)
        if not alive:
            died = time.monotonic() - started
            stop.set()
            break
        samples.append((time.monotonic() - started, rss, fds))
        stop.wait(min(args.sample_seconds, max(0.0, deadline - time.monotonic())))
    for t in threads:
        t.join()  # every request in flight gets its outcome before the verdict
    if died is None:
        alive, rss, fds = process_state(args.pid)
        if alive:
            samples.append((time.monotonic() - started, rss, fds))
        else:
            died = time.monotonic() - started

    if args.samples_out:
        with open(args.samples_out, "w") as f:
            f.write("seconds\trss_kib\tfds\n")
            f.writelines(f"{s:.1f}\t{r}\t{d}\n" for s, r, d in samples)
    sys.exit(report(tally, samples, died, time.monotonic() - started))


def report(tally, samples, died, elapsed):
    expected = expected_outcomes()
    total = sum(sum(c.values()) for c in tally.by_kind.values())
    valid_failed = sum(n for kind, c in tally.by_kind.items() if kind in VALID_KINDS
                       for outcome, n in c.items() if outcome not in expected[kind])
    unexpected = sum(n for kind, c in tally.by_kind.items() for outcome, n in c.items()
                     if outcome not in expected[kind])
    refusals = {}
    for kind, counts in tally.by_kind.items():
        for outcome, n in counts.items():
            if outcome in expected[kind] and kind not in VALID_KINDS:
                refusals[outcome] = refusals.get(outcome, 0) + n
    print(f"soak: {total} requests in {elapsed:.0f} s ({total / max(elapsed, 1e-9):.1f}/s)")
    for kind in expected:
        counts = tally.by_kind.get(kind, {})
        text = ", ".join(f"{outcome} x{n}" for outcome, n in sorted(counts.items()))
        print(f"  {kind:16s} {sum(counts.values()):7d}  ({text or 'none'}; expected {'/'.join(sorted(expected[kind]))})")
    print("soak: expected refusals by outcome: " +
          (", ".join(f"{k} x{v}" for k, v in sorted(refusals.items())) or "none"))
    print(f"soak: unexpected outcomes {unexpected} (of them valid requests that failed: {valid_failed})")
    for kind, outcome, when in tally.unexpected:
        print(f"  first unexpected: {when} {kind}: {outcome}")
    failures = []
    if valid_failed:
        failures.append(f"{valid_failed} valid requests failed")
    if unexpected - valid_failed:
        failures.append(f"{unexpected - valid_failed} other requests got an unexpected outcome")
    if died is not None:
        failures.append(f"the server died {died:.0f} s into the run")
    if samples:
        first, last = samples[0], samples[-1]
        print(f"soak: RSS {first[1] / 1024:.1f} MiB at start, {last[1] / 1024:.1f} MiB at end, "
              f"max {max(s[1] for s in samples) / 1024:.1f} MiB; open fds {first[2]} at start, {last[2]} at end, "
              f"max {max(s[2] for s in samples)}; {len(samples)} samples")
        if died is None:
            failures += growth_verdict(samples)
    for failure in failures:
        print(f"soak: FAIL: {failure}")
    if not failures:
        print("soak: PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    main()
