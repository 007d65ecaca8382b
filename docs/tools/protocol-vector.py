#!/usr/bin/env python3
"""Builds the signed-log test vector of docs/PROTOCOL.md, independently of the Swift code.

Everything here follows docs/PROTOCOL.md only: big-endian integers, u32-length-prefixed UTF-8 text,
the Change encoding, the domain-separated SHA-256 hashes, the 121-byte commit header and a pure
Ed25519 (RFC 8032) signature over "liaison/commit-signature/v1" NUL header.

    python3 docs/tools/protocol-vector.py            # writes Tests/LiaisonCoreTests/Fixtures/commit-vector.json
                                                     # and bundle-vector.json (node card and bundle file)
    python3 docs/tools/protocol-vector.py --check    # recomputes and compares with the stored files
    python3 docs/tools/protocol-vector.py --stdout   # prints the JSON instead of writing it

Tests/LiaisonSyncTests/Fixtures/bundle-v2-vector.json, a bundle file of version 2, is written by the
Swift tests (BundleVectorTests.writeTheVersionTwoVector); this script never writes it, but decodes it
from the document alone and checks every byte of it (see check_bundle_v2), in every mode.

Needs the `cryptography` package (pip install cryptography).
"""

import hashlib
import json
import re
import struct
import sys
import uuid
import zlib
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


def encode_distribution(distribution) -> bytes:
    """The scope byte and its payload, as in a change and in its compact form."""
    scope = distribution[0]
    if scope == "federation":
        return u8(0)
    if scope == "node_only":
        return u8(1)
    if scope == "nodes":
        nodes = sorted(set(distribution[1]))
        return u8(2) + u32(len(nodes)) + b"".join(nodes)
    if scope == "group":
        return u8(3) + text(distribution[1])
    raise ValueError(scope)


def encode_change(entity, record_id, distribution, operation) -> bytes:
    """distribution: ("federation",) | ("node_only",) | ("nodes", [16-byte ids]) | ("group", name)
    operation: ("upsert", {group: {field: value}}) | ("delete",)"""
    out = u8(CHANGE_FORMAT_VERSION) + text(entity) + uuid_bytes(record_id) + encode_distribution(distribution)
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


ENTITIES = ("agency", "person", "channel", "designation", "duplicate_decision")


def decode_distribution(r: Reader):
    """The scope byte and its payload, as in a change and in its compact form: u32 count and node
    ids strictly ascending, or a u32-length text."""
    scope = r.u8()
    if scope == 0:
        return ("federation",)
    if scope == 1:
        return ("node_only",)
    if scope == 2:
        count = int.from_bytes(r.take(4), "big")
        if count > (len(r.data) - r.offset) // 16:
            raise ValueError("node count")
        nodes = [r.take(16) for _ in range(count)]
        if any(a >= b for a, b in zip(nodes, nodes[1:])):
            raise ValueError("node ids not strictly ascending")
        return ("nodes", nodes)
    if scope == 3:
        length = int.from_bytes(r.take(4), "big")
        return ("group", r.take(length).decode("utf-8"))
    raise ValueError("scope")


def decode_change(data: bytes):
    r = Reader(data)
    if r.u8() != CHANGE_FORMAT_VERSION:
        raise ValueError("version")
    entity = r.text()
    if entity not in ENTITIES:
        raise ValueError("entity")
    record_id = str(uuid.UUID(bytes=r.take(16)))
    distribution = decode_distribution(r)
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


# --- Bundle file of version 2: compact commits ------------------------------------------------------

BUNDLE_V2_FIXTURE = ROOT / "Tests" / "LiaisonSyncTests" / "Fixtures" / "bundle-v2-vector.json"
MAXIMUM_FRAME = 64 << 20    # 67 108 864: deflated and inflated length of one item
MAXIMUM_CHANGE = 1 << 20    # 1 048 576: one change's canonical bytes
ENTITY_CODES = {"agency": 0, "person": 1, "channel": 2, "designation": 3, "duplicate_decision": 4}

# The field tables of "Field groups of each record kind": group -> fields.
FIELD_TABLES = {
    "agency": {
        "name": ["name", "native_name", "acronym"],
        "placement": ["kind", "country", "parent_id", "subdivision"],
        "address": ["address", "website"],
    },
    "person": {
        "name": ["given_name", "family_name", "native_name"],
        "role": ["agency_id", "position", "rank"],
        "languages": ["languages", "time_zone"],
        "verified": ["verified_at", "verified_by"],
    },
    "channel": {
        "channel": ["agency_id", "person_id", "kind", "value", "label", "preference", "is_24x7", "hours", "marking"],
    },
    "designation": {
        "designation": ["agency_id", "person_id", "crime_area", "function", "valid_from", "valid_to", "legal_basis"],
    },
    "duplicate_decision": {
        "decision": ["kind", "record_id", "other_id", "verdict", "note"],
    },
}


def utf8_sorted(names):
    return sorted(names, key=lambda name: name.encode("utf-8"))


# Each kind's groups in byte order (mask bit i is the i-th), each with its fields in byte order.
COMPACT_LAYOUT = {entity: [(group, utf8_sorted(fields)) for group, fields in sorted(groups.items(), key=utf8_key)]
                  for entity, groups in FIELD_TABLES.items()}


def varint(n: int) -> bytes:
    """Unsigned LEB128: seven bits a byte, least significant first, high bit set on all but the last."""
    assert 0 <= n < 1 << 64
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(n: int) -> int:
    return ((n << 1) ^ (n >> 63)) & 0xFFFFFFFFFFFFFFFF


def unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


class CompactReader(Reader):
    def varint(self):
        value = 0
        for index in range(10):
            byte = self.u8()
            bits = byte & 0x7F
            if index == 9 and bits > 1:
                raise ValueError("varint above 2^64 - 1")
            value |= bits << (7 * index)
            if byte & 0x80 == 0:
                if byte == 0 and index > 0:
                    raise ValueError("varint not in its shortest form")
                return value
        raise ValueError("varint longer than ten bytes")

    def count(self, minimum_size=1):
        """A count or length: refused when its items, each at least minimum_size bytes, cannot fit."""
        value = self.varint()
        if value > (len(self.data) - self.offset) // minimum_size:
            raise ValueError("count beyond the bytes left")
        return value

    def compact_text(self):
        return self.take(self.count()).decode("utf-8")  # strict: refuses overlong forms and surrogates


class IdList:
    """The record ids a commit has noted so far, in order; both ends keep the same list."""

    def __init__(self):
        self.ids = []

    def note(self, record_id):
        self.ids.append(record_id)

    def distance(self, record_id):
        for back in range(1, len(self.ids) + 1):
            if self.ids[-back] == record_id:
                return back
        return None

    def read(self, r: CompactReader):
        distance = r.varint()
        if distance == 0:
            return str(uuid.UUID(bytes=r.take(16)))
        if distance > len(self.ids):
            raise ValueError("back-reference before the commit's first id")
        return self.ids[-distance]


def decodes(body: bytes):
    try:
        return decode_change(body)
    except Exception:
        return None


def decode_compact_value(r: CompactReader, ids: IdList):
    tag = r.u8()
    if tag == 0:
        return NULL
    if tag == 1:
        return T(r.compact_text())
    if tag == 2:
        return I(unzigzag(r.varint()))
    if tag == 3:
        return B(False)
    if tag == 4:
        return B(True)
    if tag == 5:
        return L([r.compact_text() for _ in range(r.count())])
    if tag == 6:
        return T(str(uuid.UUID(bytes=r.take(16))))
    if tag == 7:
        return T(ids.read(r))
    raise ValueError(f"value tag {tag}")


def decode_compact_change(r: CompactReader, ids: IdList):
    code = r.u8()
    if code >= len(ENTITIES):
        raise ValueError("entity code")
    entity = ENTITIES[code]
    record_id = ids.read(r)
    distribution = decode_distribution(r)
    op = r.u8()
    if op == 2:
        operation = ("delete",)
    elif op == 1:
        layout = COMPACT_LAYOUT[entity]
        mask = r.u8()
        if mask >> len(layout):
            raise ValueError("group mask names a group the kind does not have")
        groups = {}
        for bit, (group, fields) in enumerate(layout):
            if mask & (1 << bit):
                groups[group] = {name: decode_compact_value(r, ids) for name in fields}
        operation = ("upsert", groups)
    else:
        raise ValueError("operation")
    return entity, record_id, distribution, operation


def decode_compact(data: bytes, change_count: int):
    """The compact changes of one commit -> [(hash, body or None)], as "Compact commits" says."""
    r = CompactReader(data)
    count = r.count(2)
    if count != change_count:
        raise ValueError("change count differs from the header's")
    ids = IdList()
    changes = []
    for _ in range(count):
        form = r.u8()
        if form == 0:
            changes.append((r.take(32), None))
        elif form == 1:
            length = r.count()
            if length > MAXIMUM_CHANGE:
                raise ValueError("change over 1 MiB")
            body = r.take(length)
            decoded = decodes(body)
            if decoded is not None:
                ids.note(decoded[1])
            changes.append((change_hash(body), body))
        elif form == 2:
            change = decode_compact_change(r, ids)
            ids.note(change[1])
            body = encode_change(*change)
            if len(body) > MAXIMUM_CHANGE:
                raise ValueError("change over 1 MiB")
            changes.append((change_hash(body), body))
        else:
            raise ValueError(f"form {form}")
    if r.offset != len(data):
        raise ValueError("bytes after the last change")
    return changes


CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def encode_compact(hashes, bodies) -> bytes:
    """The writer's choices of "Compact commits", to compare with the Swift export byte for byte."""
    ids = IdList()
    out = varint(len(hashes))

    def id_reference(record_id):
        back = ids.distance(record_id)
        return varint(back) if back else varint(0) + uuid_bytes(record_id)

    def ctext(s):
        b = s.encode("utf-8")
        return varint(len(b)) + b

    def value(v):
        kind, payload = v
        if kind == "null":
            return u8(0)
        if kind == "text":
            if CANONICAL_UUID.fullmatch(payload):
                back = ids.distance(payload)
                return u8(7) + varint(back) if back else u8(6) + uuid_bytes(payload)
            return u8(1) + ctext(payload)
        if kind == "integer":
            return u8(2) + varint(zigzag(payload))
        if kind == "bool":
            return u8(4 if payload else 3)
        if kind == "list":
            return u8(5) + varint(len(payload)) + b"".join(ctext(item) for item in payload)
        raise ValueError(kind)

    for digest, body in zip(hashes, bodies):
        if body is None:
            out += u8(0) + digest
            continue
        change = decodes(body)
        fits = change is not None and (change[3][0] == "delete" or all(
            group in FIELD_TABLES[change[0]] and sorted(fields) == sorted(FIELD_TABLES[change[0]][group])
            for group, fields in change[3][1].items()))
        if not fits:
            out += u8(1) + varint(len(body)) + body
        else:
            entity, record_id, distribution, operation = change
            out += u8(2) + u8(ENTITY_CODES[entity]) + id_reference(record_id)
            out += encode_distribution(distribution)
            if operation[0] == "delete":
                out += u8(2)
            else:
                groups = operation[1]
                mask = sum(1 << bit for bit, (group, _) in enumerate(COMPACT_LAYOUT[entity]) if group in groups)
                out += u8(1) + u8(mask)
                for group, fields in COMPACT_LAYOUT[entity]:
                    if group in groups:
                        out += b"".join(value(groups[group][name]) for name in fields)
        if change is not None:
            ids.note(change[1])
    return out


def inflate_exactly(deflated: bytes, size: int) -> bytes:
    """One whole raw deflate stream (RFC 1951) giving exactly `size` bytes, with nothing after it."""
    inflater = zlib.decompressobj(-15)
    out = inflater.decompress(deflated, size + 1)
    if not inflater.eof:
        raise ValueError("the deflate stream does not end (no final block) or gives more bytes")
    if inflater.unused_data or inflater.unconsumed_tail:
        raise ValueError("bytes follow the deflate stream")
    if len(out) != size:
        raise ValueError("the deflate stream gives another length than the item says")
    return out


def read_vector(r: Reader):
    count = r.u32()
    if count > 1_000_000:
        raise ValueError("vector too long")
    return [(r.take(16), r.u32(), r.u64(), r.take(32)) for _ in range(count)]


def read_bundle_v2(data: bytes, public_key: bytes):
    """A version 2 bundle, read as "Bundle file" and "Compact commits" say: (header, items)."""
    key = Ed25519PublicKey.from_public_bytes(public_key)
    r = Reader(data)
    if r.take(8) != b"LIAISONB" or r.u8() != 2:
        raise ValueError("not a version 2 bundle")
    exporter, created = r.take(16), r.u64()
    assumes, brings = read_vector(r), read_vector(r)
    signed = data[:r.offset]
    key.verify(r.take(64), DOMAIN_BUNDLE + signed)  # raises if bad
    header_length = r.offset
    items = []
    while True:
        tag = r.u8()
        if tag == 0:
            if r.u64() != len(items) or r.offset != len(data):
                raise ValueError("end marker")
            break
        if tag != 2:
            raise ValueError(f"item tag {tag} in a version 2 bundle")
        header, signature = r.take(HEADER_SIZE), r.take(64)
        deflated_length, inflated_length = r.u32(), r.u32()
        if deflated_length > MAXIMUM_FRAME or inflated_length > MAXIMUM_FRAME:
            raise ValueError("item over 64 MiB")
        deflated = r.take(deflated_length)
        compact = inflate_exactly(deflated, inflated_length)
        if header[0] != HEADER_FORMAT_VERSION:
            raise ValueError("header version")
        change_count = struct.unpack(">I", header[85:89])[0]
        changes = decode_compact(compact, change_count)
        hashes = [h for h, _ in changes]
        # Verifying a commit: key id, signature over the header, digest of the rebuilt hashes.
        if header[69:85] != node_id(public_key) or header[1:17] != node_id(public_key):
            raise ValueError("key id")
        key.verify(signature, DOMAIN_SIGNATURE + header)
        if changes_digest(hashes) != header[89:121]:
            raise ValueError("changes digest")
        items.append({"header": header, "signature": signature, "hashes": hashes,
                      "bodies": [b for _, b in changes], "compact": compact, "deflated": deflated})
    return {"exporter": exporter, "created": created, "assumes": assumes, "brings": brings,
            "header_length": header_length}, items


def second_commit_changes():
    """The second commit of bundle-v2-vector.json, as docs/PROTOCOL.md's "Version 2 bundle vector" lists it."""
    unit = "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0"
    person = "2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1"
    email = "3d4e5f60-7182-4394-a5b6-c7d8e9f0a1b2"
    mobile = "4e5f6071-8293-44a5-b6c7-d8e9f0a1b2c3"
    role = "5f607182-93a4-45b6-87c8-e9f0a1b2c3d4"
    unit_groups = agency_field_groups(
        name="Anti-Trafficking Investigations Unit",
        native_name="Secția de investigare a traficului de ființe umane", acronym=None, kind="police",
        country="MD", parent_id=AGENCY_ID, subdivision="MD-CU", address="str. Bucuriei 14, Chișinău",
        website=None)
    person_groups = {
        "name": {"given_name": T("Elena"), "family_name": T("Rusu"), "native_name": NULL},
        "role": {"agency_id": uuid_value(unit), "position": T("Head of unit"), "rank": T("Commissioner")},
        "languages": {"languages": L(["ro", "en", "ru"]), "time_zone": T("Europe/Chisinau")},
        "verified": {"verified_at": NULL, "verified_by": NULL},
    }
    email_groups = channel_field_groups(
        agency_id=None, person_id=person, kind="email", value="elena.rusu@police.md.example", label=None,
        preference=2, is_24x7=False, hours="Mo-Fr 08:00-17:00 Europe/Chisinau", marking="TLP:AMBER")
    mobile_groups = channel_field_groups(
        agency_id=None, person_id=person, kind="mobile", value="+37369123456", label=None,
        preference=1, is_24x7=True, hours=None, marking="TLP:RED")
    role_groups = {"designation": {
        "agency_id": NULL, "person_id": uuid_value(person), "crime_area": T("trafficking-in-persons"),
        "function": T("operational-contact"), "valid_from": T("2026-01-01"), "valid_to": NULL,
        "legal_basis": T("Law No. 241-XVI of 20 October 2005 on preventing and combating trafficking in "
                         "human beings, and the national referral mechanism (2008)"),
    }}
    return [
        ("agency", unit, ("federation",), ("upsert", unit_groups)),
        ("person", person, ("federation",), ("upsert", person_groups)),
        ("channel", email, ("federation",), ("upsert", email_groups)),
        ("channel", mobile, ("node_only",), ("upsert", mobile_groups)),      # withheld: hash only
        ("designation", role, ("federation",), ("upsert", role_groups)),
        # A group this version's tables do not list: canonical form, refused as an invalid change.
        ("person", person, ("federation",), ("upsert", {"notes": {"note": T("Speaks at the regional working group.")}})),
        ("agency", unit, ("federation",), ("upsert", {"address": {
            "address": T("str. Bucuriei 14, Chișinău, MD-2004"), "website": T("https://police.md.example/trafficking")}})),
        ("channel", CHANNEL_ID, ("federation",), ("delete",)),
    ]


SECOND_MILLISECONDS = HLC_MILLISECONDS + 60_000  # 2026-01-01T00:01:00.000Z
SECOND_WITHHELD = [3]


def check_bundle_v2(vector: dict, bundle_v1: dict):
    """Decodes bundle-v2-vector.json from the document alone and checks it against this script's
    own commits: the first is the version 1 vector's, the second is built from second_commit_changes."""
    fixture = json.loads(BUNDLE_V2_FIXTURE.read_text(encoding="utf-8"))
    public_key = bytes.fromhex(vector["public_key"])
    origin = bytes.fromhex(vector["node_id"])
    data = bytes.fromhex(fixture["bundle"])
    header, items = read_bundle_v2(data, public_key)

    # The commits this script expects, with every change's canonical bytes (withheld ones too).
    first_bodies = [bytes.fromhex(b) for b in vector["change_bytes"]]
    second_bodies = [encode_change(*change) for change in second_commit_changes()]
    for body, change in zip(second_bodies, second_commit_changes()):
        assert decode_change(body) == change, "round trip"
    second_hashes = [change_hash(body) for body in second_bodies]
    first_header = bytes.fromhex(vector["header"])
    second_header = encode_header(origin, 1, 2, header_hash(first_header), hlc(SECOND_MILLISECONDS, 0), origin,
                                  len(second_bodies), changes_digest(second_hashes))
    expected = [
        (first_header, [bytes.fromhex(h) for h in vector["change_hashes"]], first_bodies, []),
        (second_header, second_hashes, second_bodies, SECOND_WITHHELD),
    ]

    assert header["exporter"] == origin and header["created"] == SECOND_MILLISECONDS
    assert header["assumes"] == [] and header["brings"] == [(origin, 1, 2, header_hash(second_header))]
    assert header["header_length"] == fixture["header_length"]
    assert fixture["card"] == bundle_v1["card"]
    assert fixture["brings"] == {"format": "liaison-vector", "version": 1, "entries": [
        {"origin": origin.hex(), "epoch": 1, "sequence": 2, "header_hash": header_hash(second_header).hex()}]}
    assert len(items) == len(fixture["commits"]) == 2

    for item, stored, (head, hashes, bodies, withheld) in zip(items, fixture["commits"], expected):
        travelling = [None if index in withheld else body for index, body in enumerate(bodies)]
        assert item["header"] == head, "header"
        assert item["hashes"] == hashes, "change hashes"
        assert item["bodies"] == travelling, "change bytes"
        # The writer's choices, as the document describes them, give the stored bytes exactly.
        assert encode_compact(hashes, travelling) == item["compact"], "compact bytes"
        assert stored["compact"] == item["compact"].hex() and stored["deflated"] == item["deflated"].hex()
        assert stored["header"] == head.hex() and stored["signature"] == item["signature"].hex()
        assert stored["header_hash"] == header_hash(head).hex()
        assert stored["changes_digest"] == changes_digest(hashes).hex()
        assert stored["change_hashes"] == [h.hex() for h in hashes]
        assert stored["change_bytes"] == [b.hex() for b in bodies] and stored["withheld"] == withheld

    # Where it should, the version 2 bundle matches the version 1 results: the first commit is the
    # vector's commit, with its signature, byte for byte the frame of bundle-vector.json.
    first = items[0]
    frame = first["header"] + first["signature"] + u32(len(first["hashes"]))
    for digest, body in zip(first["hashes"], first["bodies"]):
        frame += digest + u8(1) + u32(len(body)) + body
    assert frame.hex() == bundle_v1["frame"], "the first commit is the version 1 frame"
    assert first["signature"].hex() == vector["signature"]
    # The chain: the second commit follows the first.
    assert items[1]["header"][29:61] == header_hash(items[0]["header"])
    assert struct.unpack(">Q", items[1]["header"][61:69])[0] > vector["hlc"]


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
        check_bundle_v2(vector, bundle)
        print(f"{BUNDLE_V2_FIXTURE} decodes to the expected commits")
    else:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(rendered, encoding="utf-8")
        BUNDLE_FIXTURE.write_text(rendered_bundle, encoding="utf-8")
        print(f"wrote {FIXTURE} and {BUNDLE_FIXTURE}")
        check_bundle_v2(vector, bundle)
        print(f"{BUNDLE_V2_FIXTURE} decodes to the expected commits")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
