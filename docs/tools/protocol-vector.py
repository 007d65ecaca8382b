#!/usr/bin/env python3
"""Builds the signed-log test vector of docs/PROTOCOL.md, independently of the Swift code.

Everything here follows docs/PROTOCOL.md only: big-endian integers, u32-length-prefixed UTF-8 text,
the Change encoding, the domain-separated SHA-256 hashes, the 121-byte commit header and a pure
Ed25519 (RFC 8032) signature over "liaison/commit-signature/v1" NUL header.

    python3 docs/tools/protocol-vector.py            # writes Tests/LiaisonCoreTests/Fixtures/commit-vector.json
                                                     # and bundle-vector.json (node card and bundle file)
    python3 docs/tools/protocol-vector.py --check    # recomputes and compares with the stored file
    python3 docs/tools/protocol-vector.py --stdout   # prints the JSON instead of writing it

Needs the `cryptography` package (pip install cryptography).
"""

import hashlib
import json
import struct
import sys
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "Tests" / "LiaisonCoreTests" / "Fixtures" / "commit-vector.json"

# --- Domain prefixes: an ASCII label then one zero byte -------------------------------------------

DOMAIN_CHANGE = b"liaison/change/v1\x00"
DOMAIN_CHANGES = b"liaison/changes/v1\x00"
DOMAIN_HEADER = b"liaison/header/v1\x00"
DOMAIN_SIGNATURE = b"liaison/commit-signature/v1\x00"

CHANGE_FORMAT_VERSION = 1
HEADER_FORMAT_VERSION = 1
HEADER_SIZE = 121

# --- Primitives -----------------------------------------------------------------------------------


def u8(n: int) -> bytes:
    return struct.pack(">B", n)


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def u64(n: int) -> bytes:
    return struct.pack(">Q", n)


def text(s: str) -> bytes:
    b = s.encode("utf-8")
    return u32(len(b)) + b


def uuid_bytes(s: str) -> bytes:
    # RFC 4122 order: the 16 bytes of the canonical textual form, in order.
    return uuid.UUID(s).bytes


def utf8_key(item):
    return item[0].encode("utf-8")


# --- Field values: (tag, payload) -----------------------------------------------------------------

NULL = ("null", None)


def T(s):  # text
    return ("text", s)


def I(n):  # integer (signed 64-bit)
    return ("integer", n)


def B(flag):  # bool
    return ("bool", flag)


def L(items):  # list of text
    return ("list", items)


def optional(s):
    """The `optional` rule of the Model files: nil or "" becomes null."""
    return NULL if s is None or s == "" else T(s)


def uuid_value(s):
    """A UUID field: its lower-case canonical text, or null."""
    return NULL if s is None else T(str(uuid.UUID(s)))


def encode_value(value) -> bytes:
    kind, payload = value
    if kind == "null":
        return u8(0)
    if kind == "text":
        return u8(1) + text(payload)
    if kind == "integer":
        return u8(2) + u64(payload & 0xFFFFFFFFFFFFFFFF)  # two's complement
    if kind == "bool":
        return u8(3) + u8(1 if payload else 0)
    if kind == "list":
        return u8(4) + u32(len(payload)) + b"".join(text(item) for item in payload)
    raise ValueError(kind)


# --- Change ---------------------------------------------------------------------------------------


def encode_change(entity, record_id, distribution, operation) -> bytes:
    """distribution: ("federation",) | ("node_only",) | ("nodes", [16-byte ids]) | ("group", name)
    operation: ("upsert", {group: {field: value}}) | ("delete",)"""
    out = u8(CHANGE_FORMAT_VERSION) + text(entity) + uuid_bytes(record_id)
    scope = distribution[0]
    if scope == "federation":
        out += u8(0)
    elif scope == "node_only":
        out += u8(1)
    elif scope == "nodes":
        nodes = sorted(set(distribution[1]))
        out += u8(2) + u32(len(nodes)) + b"".join(nodes)
    elif scope == "group":
        out += u8(3) + text(distribution[1])
    else:
        raise ValueError(scope)
    if operation[0] == "delete":
        out += u8(2)
    else:
        groups = operation[1]
        out += u8(1) + u32(len(groups))
        for group, fields in sorted(groups.items(), key=utf8_key):
            out += text(group) + u32(len(fields))
            for name, value in sorted(fields.items(), key=utf8_key):
                out += text(name) + encode_value(value)
    return out


def change_hash(change: bytes) -> bytes:
    return hashlib.sha256(DOMAIN_CHANGE + change).digest()


def changes_digest(hashes) -> bytes:
    return hashlib.sha256(DOMAIN_CHANGES + b"".join(hashes)).digest()


# --- Commit header --------------------------------------------------------------------------------


def encode_header(origin, epoch, sequence, previous_hash, hlc, key_id, change_count, digest) -> bytes:
    assert len(origin) == 16 and len(key_id) == 16 and len(previous_hash) == 32 and len(digest) == 32
    out = (u8(HEADER_FORMAT_VERSION) + origin + u32(epoch) + u64(sequence) + previous_hash + u64(hlc)
           + key_id + u32(change_count) + digest)
    assert len(out) == HEADER_SIZE
    return out


def header_hash(header: bytes) -> bytes:
    return hashlib.sha256(DOMAIN_HEADER + header).digest()


def node_id(public_key_raw: bytes) -> bytes:
    return hashlib.sha256(public_key_raw).digest()[:16]


def hlc(milliseconds: int, counter: int) -> int:
    return (milliseconds << 16) | counter


def stamp_text(hlc_value: int, origin: bytes, epoch: int) -> str:
    return f"{hlc_value:016x}-{origin.hex()}-{epoch:08x}"


# --- Minimal decoder, to check the bytes parse back canonically ------------------------------------


class Reader:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def take(self, n):
        if len(self.data) - self.offset < n:
            raise ValueError("truncated")
        chunk = self.data[self.offset:self.offset + n]
        self.offset += n
        return chunk

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def text(self):
        return self.take(self.u32()).decode("utf-8")


def decode_change(data: bytes):
    r = Reader(data)
    assert r.u8() == CHANGE_FORMAT_VERSION
    entity = r.text()
    record_id = str(uuid.UUID(bytes=r.take(16)))
    scope = r.u8()
    if scope == 0:
        distribution = ("federation",)
    elif scope == 1:
        distribution = ("node_only",)
    elif scope == 2:
        distribution = ("nodes", [r.take(16) for _ in range(r.u32())])
    elif scope == 3:
        distribution = ("group", r.text())
    else:
        raise ValueError("scope")
    op = r.u8()
    if op == 2:
        operation = ("delete",)
    elif op == 1:
        groups = {}
        for _ in range(r.u32()):
            group = r.text()
            fields = {}
            for _ in range(r.u32()):
                name = r.text()
                tag = r.u8()
                if tag == 0:
                    fields[name] = NULL
                elif tag == 1:
                    fields[name] = T(r.text())
                elif tag == 2:
                    n = r.u64()
                    fields[name] = I(n - (1 << 64) if n >= 1 << 63 else n)
                elif tag == 3:
                    fields[name] = B(r.u8() != 0)
                elif tag == 4:
                    fields[name] = L([r.text() for _ in range(r.u32())])
                else:
                    raise ValueError("tag")
            groups[group] = fields
        operation = ("upsert", groups)
    else:
        raise ValueError("operation")
    if r.offset != len(data) or encode_change(entity, record_id, distribution, operation) != data:
        raise ValueError("not canonical")
    return entity, record_id, distribution, operation


# --- The vector -----------------------------------------------------------------------------------

AGENCY_ID = "6f1c2b4a-8d3e-4f5a-9b7c-1d2e3f4a5b6c"
CHANNEL_ID = "0a0b0c0d-0e0f-4011-8213-141516171819"
HLC_MILLISECONDS = 1767225600000  # 2026-01-01T00:00:00.000Z
HLC_COUNTER = 3


def agency_field_groups(name, native_name, acronym, kind, country, parent_id, subdivision, address, website):
    # As Agency.fieldGroups (Sources/LiaisonCore/Model/Agency.swift).
    return {
        "name": {"name": T(name), "native_name": optional(native_name), "acronym": optional(acronym)},
        "placement": {"kind": T(kind), "country": T(country), "parent_id": uuid_value(parent_id),
                      "subdivision": optional(subdivision)},
        "address": {"address": optional(address), "website": optional(website)},
    }


def channel_field_groups(agency_id, person_id, kind, value, label, preference, is_24x7, hours, marking):
    # As Channel.fieldGroups (Sources/LiaisonCore/Model/Channel.swift).
    return {
        "channel": {
            "agency_id": uuid_value(agency_id), "person_id": uuid_value(person_id), "kind": T(kind),
            "value": T(value), "label": optional(label), "preference": I(preference),
            "is_24x7": B(is_24x7), "hours": optional(hours), "marking": T(marking),
        }
    }


def json_value(value):
    kind, payload = value
    return {"type": kind} if kind == "null" else {"type": kind, "value": payload}


def build() -> dict:
    seed = bytes(range(1, 33))
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    public_key = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    origin = node_id(public_key)

    agency_groups = agency_field_groups(
        name="Centre for Combating Trafficking in Persons",
        native_name="Centrul pentru Combaterea Traficului de Persoane",
        acronym="CCTP", kind="police", country="MD", parent_id=None, subdivision="MD-CU",
        address=None, website="https://police.md.example")
    channel_groups = channel_field_groups(
        agency_id=AGENCY_ID, person_id=None, kind="phone", value="+37322123456", label=None,
        preference=1, is_24x7=True, hours=None, marking="TLP:GREEN")
    changes = [
        ("agency", AGENCY_ID, ("federation",), ("upsert", agency_groups)),
        ("channel", CHANNEL_ID, ("federation",), ("upsert", channel_groups)),
    ]
    bodies = [encode_change(*change) for change in changes]
    for body, change in zip(bodies, changes):
        assert decode_change(body) == change, "round trip"
    hashes = [change_hash(body) for body in bodies]
    digest = changes_digest(hashes)

    time = hlc(HLC_MILLISECONDS, HLC_COUNTER)
    previous = bytes(32)
    header = encode_header(origin, 1, 1, previous, time, origin, len(bodies), digest)
    signing_input = DOMAIN_SIGNATURE + header
    signature = private_key.sign(signing_input)
    Ed25519PublicKey.from_public_bytes(public_key).verify(signature, signing_input)  # raises if bad

    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()

    return {
        "description": "Signed-log test vector of docs/PROTOCOL.md; built by docs/tools/protocol-vector.py. "
                       "All byte strings are lower-case hex.",
        "seed": seed.hex(),
        "public_key": public_key.hex(),
        "node_id": origin.hex(),
        "signing_key_pem": pem,
        "changes": [
            {
                "entity": entity,
                "record_id": record_id,
                "distribution": distribution[0],
                "operation": operation[0],
                "groups": {g: {f: json_value(v) for f, v in sorted(fields.items(), key=utf8_key)}
                           for g, fields in sorted(operation[1].items(), key=utf8_key)},
            }
            for entity, record_id, distribution, operation in changes
        ],
        "agency_record_id": AGENCY_ID,
        "channel_record_id": CHANNEL_ID,
        "change_bytes": [body.hex() for body in bodies],
        "change_hashes": [h.hex() for h in hashes],
        "changes_digest": digest.hex(),
        "epoch": 1,
        "sequence": 1,
        "previous_hash": previous.hex(),
        "hlc": time,
        "hlc_hex": f"{time:016x}",
        "hlc_milliseconds": HLC_MILLISECONDS,
        "hlc_counter": HLC_COUNTER,
        "stamp": stamp_text(time, origin, 1),
        "header": header.hex(),
        "header_hash": header_hash(header).hex(),
        "signing_input": signing_input.hex(),
        "signature": signature.hex(),
    }


# --- Node card and bundle file ----------------------------------------------------------------------

BUNDLE_FIXTURE = ROOT / "Tests" / "LiaisonSyncTests" / "Fixtures" / "bundle-vector.json"
DOMAIN_CARD = b"liaison/node-card/v1\x00"
DOMAIN_BUNDLE = b"liaison/bundle/v1\x00"


def encode_vector(entries) -> bytes:
    """entries: [(origin 16 bytes, epoch, sequence, header hash 32 bytes)], sorted by origin then epoch."""
    out = u32(len(entries))
    for origin, epoch, sequence, digest in sorted(entries):
        out += origin + u32(epoch) + u64(sequence) + digest
    return out


def build_bundle(vector: dict) -> dict:
    import base64
    private_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["seed"]))
    public_key = bytes.fromhex(vector["public_key"])
    origin = bytes.fromhex(vector["node_id"])
    tls_pin = "ab" * 32

    card_fields = [origin.hex(), "Vector node", "Vector agency", base64.b64encode(public_key).decode(), tls_pin, ""]
    card_signed = DOMAIN_CARD + b"".join(text(field) for field in card_fields)
    card = {
        "format": "liaison-node-card", "version": 1, "node_id": origin.hex(), "name": "Vector node",
        "agency": "Vector agency", "signing_key": card_fields[3], "tls_pin": tls_pin,
        "signature": base64.b64encode(private_key.sign(card_signed)).decode(),
    }

    header = bytes.fromhex(vector["header"])
    frame = header + bytes.fromhex(vector["signature"]) + u32(len(vector["change_bytes"]))
    for digest, body in zip(vector["change_hashes"], vector["change_bytes"]):
        body = bytes.fromhex(body)
        frame += bytes.fromhex(digest) + u8(1) + u32(len(body)) + body
    brings = [(origin, vector["epoch"], vector["sequence"], bytes.fromhex(vector["header_hash"]))]
    signed = b"LIAISONB" + u8(1) + origin + u64(vector["hlc_milliseconds"]) + encode_vector([]) + encode_vector(brings)
    frames = u8(1) + u32(len(frame)) + frame + u8(0) + u64(1)
    bundle = signed + private_key.sign(DOMAIN_BUNDLE + signed) + frames
    return {
        "description": "Node card and bundle file of docs/PROTOCOL.md, carrying the commit of commit-vector.json; "
                       "built by docs/tools/protocol-vector.py. Byte strings are lower-case hex.",
        "card": card,
        "bundle": bundle.hex(),
        "header_length": len(signed) + 64,
        "frame": frame.hex(),
        "brings": {"format": "liaison-vector", "version": 1, "entries": [
            {"origin": origin.hex(), "epoch": vector["epoch"], "sequence": vector["sequence"], "header_hash": vector["header_hash"]}]},
    }


def main(argv) -> int:
    vector = build()
    bundle = build_bundle(vector)
    rendered_bundle = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    rendered = json.dumps(vector, indent=2, ensure_ascii=False) + "\n"
    if "--stdout" in argv:
        sys.stdout.write(rendered + rendered_bundle)
    elif "--check" in argv:
        stored = json.loads(FIXTURE.read_text(encoding="utf-8"))
        if stored != vector:
            diff = sorted(k for k in set(stored) | set(vector) if stored.get(k) != vector.get(k))
            print(f"{FIXTURE} differs from the recomputed vector in: {', '.join(diff)}", file=sys.stderr)
            return 1
        if json.loads(BUNDLE_FIXTURE.read_text(encoding="utf-8")) != bundle:
            print(f"{BUNDLE_FIXTURE} differs from the recomputed bundle vector", file=sys.stderr)
            return 1
        print(f"{FIXTURE} and {BUNDLE_FIXTURE} match")
    else:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(rendered, encoding="utf-8")
        BUNDLE_FIXTURE.write_text(rendered_bundle, encoding="utf-8")
        print(f"wrote {FIXTURE} and {BUNDLE_FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
