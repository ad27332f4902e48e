#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from real inputs (fuzz/README.md): the frames, records, bodies
and act bytes of PROTOCOL.md §10, the lines of a demo journal, the example cell, the example
MSELs, the example keys and a few console requests. Usage: fuzz/seed.py DEMO_JOURNAL_DIR"""

import base64
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
KINDS = ["post", "reply", "approve", "reject", "mute", "unmute", "grant", "revoke", "redact",
         "clock", "inject", "observe", "receipt", "ack", "cosign", "open", "security",
         "recovered", "escalate"]


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def lp(b):
    return len(b).to_bytes(4, "big") + b


def act_bytes(act):
    out = b"fusioncell/v1/" + act["kind"].encode() + b"\0"
    out += lp(act["cell"].encode()) + lp(act.get("channel", "").encode())
    out += lp(act["actor"].encode())
    out += act["seq"].to_bytes(8, "big") + act["ts"].to_bytes(8, "big", signed=True)
    return out + bytes.fromhex(act["body_sha256"])


def main():
    journal = pathlib.Path(sys.argv[1])
    vectors = dict(re.findall(r"^([a-z_.0-9]+) = (.*)$", (ROOT / "PROTOCOL.md").read_text(), re.M))
    records = [l for l in (journal / "records.jsonl").read_text().splitlines() if l]
    records += [vectors["open.record"], vectors["post.record"]]
    checkpoints = (journal / "checkpoints.jsonl").read_bytes()

    for name in ["login.frame", "post.frame", "reply.frame"]:
        put("client_msg", vectors[name])
    for frame in ['{"type":"subscribe"}', '{"type":"subscribe","from":3}',
                  '{"type":"prove","seq":1,"size":2}']:
        put("client_msg", frame)
    for hexname in ["post.bytes", "reply.bytes", "open.bytes"]:
        put("canonical", bytes.fromhex(vectors[hexname]))
    seen_kinds = set()
    for line in records:
        put("record", line)
        r = json.loads(line)
        act = r["act"]
        put("canonical", json.dumps(act, separators=(",", ":")))
        if act["kind"] not in seen_kinds or act["kind"] != "post":
            put("canonical", act_bytes(act))
        seen_kinds.add(act["kind"])
        if r.get("body") is not None:
            put("body", bytes([KINDS.index(act["kind"])]) + r["body"].encode())
            frame = {"type": "act", "act": act, "body": r["body"], "sig": r["sig"]}
            put("client_msg", json.dumps(frame, separators=(",", ":")))
    put("record", checkpoints.splitlines()[0])

    lines = (journal / "records.jsonl").read_bytes().splitlines(keepends=True)
    for n in [1, 2, 8, len(lines)]:
        put("journal", b"".join(lines[:n]) + b"\xff")
    put("journal", b"".join(lines) + b"\xff" + checkpoints)
    put("journal", b"".join(lines) + b"\xff" + checkpoints.splitlines(keepends=True)[0])
    put("journal", (vectors["open.record"] + "\n" + vectors["post.record"] + "\n").encode()
        + b"\xff" + (vectors["checkpoint.line"] + "\n").encode())

    host = "Host: 127.0.0.1:8443\r\n"
    for req in ["GET / HTTP/1.1\r\n" + host + "\r\n",
                "GET /cell.json?x=1 HTTP/1.1\r\n" + host + "Accept: */*\r\n\r\n",
                "GET /app.js HTTP/1.1\r\n" + host + "\r\n",
                "GET / HTTP/1.1\r\n" + host + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                "Origin: https://127.0.0.1:8443\r\n\r\n",
                "POST / HTTP/1.1\r\n" + host + "Content-Length: 3\r\n\r\nabc",
                "GET / HTTP/1.0\r\n" + host + "\r\n",
                "GET http://evil/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET / HTTP/1.1\nHost: 127.0.0.1:8443\n\n",
                "GET / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n"]:
        put("console", req)

    put("cell_toml", (ROOT / "config" / "cell.example.toml").read_bytes())
    if (journal.parent / "cell.toml").exists():
        put("cell_toml", (journal.parent / "cell.toml").read_bytes())
    for f in (ROOT / "config" / "scenarios").glob("*.toml"):
        put("msel_toml", f.read_bytes())
    for f in (ROOT / "config" / "scenarios").glob("*.csv"):
        put("msel_csv", f.read_bytes())
    for f in sorted((ROOT / "certs-example").rglob("*")):
        if f.suffix in (".key", ".pub"):
            put("key_pem", f.read_bytes())
    put("key_pem", bytes.fromhex(vectors["key.israel_pkcs8"]))
    put("key_pem", base64.b64decode(vectors["key.israel_pem_b64"]))


main()
