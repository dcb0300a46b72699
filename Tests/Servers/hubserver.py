#!/usr/bin/env python3
"""A small scripted HTTP server imitating the Hugging Face Hub's `resolve` layout, for weightseal's mirror tests.

    python3 hubserver.py ROOT [--faults FAULTS.json] [--commit SHA]

Serves files under ROOT at

    /{org}/{name}/resolve/{revision}/{path}   -> 302 to /cdn/{path}, with X-Linked-Size, X-Linked-Etag (sha256 of
                                                 the file as served) and X-Repo-Commit, as the Hub does for LFS files
    /cdn/{path}                               -> the bytes; HEAD, GET, single Range requests (206 / 416), ETag

Prints "PORT <n>" on stdout once it listens on 127.0.0.1 (port chosen by the kernel), then serves until killed.

FAULTS.json maps a file path (relative to ROOT) to a fault, applied to requests for that file:
    {"kind": "status", "status": 503, "times": 2}   answer 503 the first `times` requests, then normally
    {"kind": "close-mid-body", "times": 1}          GET: send the head and half the body, then close (`times` times)
    {"kind": "stall", "seconds": 5}                 GET: send the head and a few bytes, then sleep; HEAD: sleep first
    {"kind": "stall-head", "seconds": 5}            GET and HEAD: sleep before sending anything
    {"kind": "trickle", "bytes": 16, "every": 0.1}  GET: send the head, then `bytes` bytes every `every` seconds
    {"kind": "redirect", "location": "URL"}         GET and HEAD: 302 with that Location
    {"kind": "no-length"}                           GET and HEAD: 200 without Content-Length; the body ends at close
    {"kind": "garbage"}                             GET and HEAD: a line that is not HTTP, then close
    {"kind": "gzip"}                                GET and HEAD: the file gzip-compressed, Content-Encoding: gzip
    {"kind": "auth", "authorization": "Basic ..."}  GET and HEAD: 401 unless the Authorization header is exactly that
    {"kind": "lie-length", "length": N}             Content-Length says N whatever the file holds; GET sends the
                                                    file's real bytes and closes
  Range and coding quirks (field cases G11, G12), on the ordinary path (keep-alive, HEAD, ETag):
    {"kind": "range-ignored"}                       a Range request gets 200 and the whole file, no Content-Range
    {"kind": "range-200"}                           a Range request gets 200 with only the slice and a correct
                                                    Content-Range
    {"kind": "range-early", "back": 4096}           a Range request gets 206 from an earlier offset (block-aligned:
                                                    down to a multiple of `back`, or `back` earlier if already one),
                                                    with a Content-Range saying so
    {"kind": "gzip-always"}                         every body (a range's slice too) gzip-compressed and labelled
                                                    Content-Encoding: gzip, whatever Accept-Encoding says; HEAD
                                                    states the compressed length
    {"kind": "gz-labelled"}                         the stored bytes unchanged, labelled Content-Encoding: gzip
Counts are kept per path across all requests (GET and HEAD). Stdlib only; for tests on 127.0.0.1.
"""
import gzip
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

ROOT = ""
FAULTS = {}
COMMIT = "0" * 40
COUNTS = {}
LOCK = threading.Lock()


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubserver/1"

    def log_message(self, fmt, *args):
        if os.environ.get("HUBSERVER_LOG"):
            sys.stderr.write("hubserver: " + (fmt % args) + "\n")

    def do_HEAD(self):
        self.handle_request(head=True)

    def do_GET(self):
        self.handle_request(head=False)

    def file_for(self, rel):
        rel = urllib.parse.unquote(rel)
        full = os.path.realpath(os.path.join(ROOT, rel))
        if not full.startswith(os.path.realpath(ROOT) + os.sep) or not os.path.isfile(full):
            return rel, None
        return rel, full

    def plain(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def take_fault(self, rel):
        with LOCK:
            fault = FAULTS.get(rel)
            if not fault:
                return None
            n = COUNTS.get(rel, 0)
            COUNTS[rel] = n + 1
            times = fault.get("times")
            if times is not None and n >= times:
                return None
            return fault

    def handle_request(self, head):
        path = urllib.parse.urlsplit(self.path).path
        parts = path.lstrip("/").split("/")
        if len(parts) >= 5 and parts[2] == "resolve":
            rel, full = self.file_for("/".join(parts[4:]))
            if full is None:
                self.plain(404, b"Entry not found", {"X-Error-Code": "EntryNotFound"})
                return
            size = os.path.getsize(full)
            self.plain(302, b"", {
                "Location": "/cdn/" + urllib.parse.quote(rel),
                "X-Linked-Size": str(size),
                "X-Linked-Etag": '"%s"' % sha256_of(full),
                "X-Repo-Commit": COMMIT,
                "ETag": '"%s"' % sha256_of(full),
            })
            return
        if len(parts) >= 2 and parts[0] == "cdn":
            rel, full = self.file_for("/".join(parts[1:]))
            if full is None:
                self.plain(404, b"not found")
                return
            self.serve_file(rel, full, head)
            return
        self.plain(404, b"not found")

    def serve_file(self, rel, full, head):
        fault = self.take_fault(rel)
        kind = fault.get("kind") if fault else None
        if kind == "status":
            self.plain(int(fault.get("status", 503)), b"scripted failure")
            return
        if kind == "auth" and self.headers.get("Authorization") != fault["authorization"]:
            self.plain(401, b"unauthorized", {"WWW-Authenticate": 'Basic realm="mirror"'})
            return
        if kind == "redirect":
            self.plain(302, b"", {"Location": fault["location"]})
            return
        if kind == "garbage":
            self.wfile.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
            self.wfile.flush()
            self.close_connection = True
            return
        if kind in ("no-length", "gzip"):
            with open(full, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if kind == "gzip":
                data = gzip.compress(data)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(data)
            self.close_connection = True
            return
        if (kind == "stall" and head) or kind == "stall-head":
            time.sleep(float(fault.get("seconds", 5)))
        size = os.path.getsize(full)
        first, last = 0, size - 1
        status = 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and "," not in rng:
            a, _, b = rng[6:].partition("-")
            try:
                first = int(a)
                last = min(int(b), size - 1) if b else size - 1
            except ValueError:
                first, last = 0, size - 1
            if first >= size or first > last:
                self.plain(416, b"", {"Content-Range": "bytes */%d" % size})
                return
            status = 206
            if kind == "range-ignored":
                first, last, status = 0, size - 1, 200
            elif kind == "range-200":
                status = 200
            elif kind == "range-early":
                back = int(fault.get("back", 4096))
                first = first - first % back if first % back else max(first - back, 0)
        length = last - first + 1 if size > 0 else 0
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", '"%s"' % sha256_of(full))
        if status == 206 or (kind == "range-200" and rng):
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, size))
        if kind in ("gzip-always", "gz-labelled"):
            self.send_header("Content-Encoding", "gzip")
        if kind == "gzip-always":
            with open(full, "rb") as f:
                f.seek(first)
                coded = gzip.compress(f.read(length), mtime=0)
            self.send_header("Content-Length", str(len(coded)))
            self.end_headers()
            if not head:
                self.wfile.write(coded)
            return
        if kind == "lie-length":
            self.send_header("Content-Length", str(int(fault["length"])))
        else:
            self.send_header("Content-Length", str(length))
        if kind in ("close-mid-body", "lie-length"):
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        with open(full, "rb") as f:
            f.seek(first)
            if kind == "close-mid-body":
                self.wfile.write(f.read(length // 2))
                self.wfile.flush()
                self.close_connection = True
                return
            if kind == "stall":
                self.wfile.write(f.read(min(length, 16)))
                self.wfile.flush()
                time.sleep(float(fault.get("seconds", 5)))
                self.close_connection = True
                return
            if kind == "trickle":
                left = length
                while left > 0:
                    b = f.read(min(left, int(fault.get("bytes", 16))))
                    self.wfile.write(b)
                    self.wfile.flush()
                    left -= len(b)
                    time.sleep(float(fault.get("every", 0.1)))
                return
            left = length
            while left > 0:
                b = f.read(min(left, 1 << 20))
                if not b:
                    break
                self.wfile.write(b)
                left -= len(b)
            if kind == "lie-length":
                self.wfile.flush()
                self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ROOT, FAULTS, COMMIT
    args = sys.argv[1:]
    if not args:
        sys.stderr.write(__doc__)
        sys.exit(64)
    ROOT = args[0]
    if "--faults" in args:
        with open(args[args.index("--faults") + 1]) as f:
            FAULTS = json.load(f)
    if "--commit" in args:
        COMMIT = args[args.index("--commit") + 1]
    server = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
