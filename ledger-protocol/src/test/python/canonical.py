#!/usr/bin/env python3
"""An independent implementation of docs/canonical-encoding.md, written from the document alone.

It recomputes every vector in hash-chain-vectors.json and exits non-zero on any mismatch, so the
document, the Java code and the vectors cannot drift apart. Usage: canonical.py [vectors.json]
"""
import datetime
import hashlib
import json
import struct
import sys
import uuid
from decimal import Decimal

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def u8(n): return struct.pack(">B", n)
def u32(n): return struct.pack(">I", n)
def i64(n): return struct.pack(">q", n)
def u256(n): return n.to_bytes(32, "big")
def s(text):
    b = text.encode("utf-8")
    return u32(len(b)) + b
def side(name): return u8(1 if name == "debit" else 2)
def opt(value, enc): return u8(0) if value is None else u8(1) + enc(value)


def micros(ts):
    # RFC 3339 with up to 6 fractional digits -> microseconds since the epoch, exactly.
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    delta = t - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def time(ts): return i64(micros(ts))


def meta(m):
    out = u32(len(m))
    for key in sorted(m, key=lambda k: k.encode("utf-8")):
        out += s(key) + s(m[key])
    return out


def commit_bytes(c):
    out = s("talea/commit/v1") + s(c["book"]) + i64(c["seq"]) + uuid.UUID(c["tx_id"]).bytes
    out += time(c["committed_at"]) + s(c["idempotency_key"]) + u32(len(c["postings"]))
    for p in c["postings"]:
        out += s(p["account"]) + s(p["asset"]) + side(p["side"]) + u256(int(p["amount_minor"]))
    out += opt(c["occurred_at"], time) + opt(c["memo"], s) + meta(c["metadata"])
    return out


def normalised(amount):
    text = format(Decimal(amount).normalize(), "f")
    return text


def request_bytes(d):
    out = s("talea/request/v1") + u32(len(d["postings"]))
    for p in d["postings"]:
        name = "debit" if "debit" in p else "credit"
        out += s(p["account"]) + s(p["asset"]) + side(name) + s(normalised(p[name]))
    out += opt(d.get("occurred_at"), time) + opt(d.get("memo"), s) + meta(d.get("metadata") or {})
    return out


def main(path):
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    failures = 0
    prev = {}
    for c in vectors["commits"]:
        if c["seq"] > 1 and c["prev_hash"] != prev.get(c["book"]):
            print(f"{c['name']}: prev_hash does not link to the previous vector")
            failures += 1
        body = commit_bytes(c)
        digest = hashlib.sha256(bytes.fromhex(c["prev_hash"]) + body).hexdigest()
        if body.hex() != c["canonical_hex"]:
            print(f"{c['name']}: canonical bytes differ\n  doc:     {body.hex()}\n  vectors: {c['canonical_hex']}")
            failures += 1
        if digest != c["hash"]:
            print(f"{c['name']}: hash differs: doc {digest} vectors {c['hash']}")
            failures += 1
        prev[c["book"]] = c["hash"]
    for r in vectors["requests"]:
        digest = hashlib.sha256(request_bytes(r["draft"])).hexdigest()
        if digest != r["fingerprint"]:
            print(f"{r['name']}: fingerprint differs: doc {digest} vectors {r['fingerprint']}")
            failures += 1
    print(f"{len(vectors['commits'])} commit and {len(vectors['requests'])} request vectors, {failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  "ledger-protocol/src/test/resources/dev/talea/protocol/hash-chain-vectors.json"))
