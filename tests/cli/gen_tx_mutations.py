#!/usr/bin/env python3
"""Prints decode-transaction cases for cases.txt: field-by-field mutations of signed transactions.

Each base transaction below is signed with anvil's first dev key; each mutation changes one thing
(a leading zero, one byte too many or too few, a value one past its field's width, a
non-canonical RLP header, a wrong shape, trailing bytes) and keeps the rest canonical, so
compare_with_cast.sh checks that chainkms-eth refuses exactly what cast refuses and prints the
same thing otherwise. Deterministic, standard library only:

    python3 tests/cli/gen_tx_mutations.py   # paste the output over the generated block in cases.txt
"""

# In the commands below, $K is anvil's first dev key
# 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 and
# $TO is 0x70997970C51812dc3A010C7d01b50e0d4dc79C88.

# Pre-EIP-155 legacy (v = 28), from cli/CAST_SPEC.md §12.
LEGACY = (
    "f86c808504a817c8008252089470997970c51812dc3a010c7d01b50e0d17dc79c8880de0b6b3a7640000801ca06c"
    "ee251fc4cbc3473ff2e429386625672605b907371779183cd07cca40a3568fa06520987dc3a95c696c67c049a547"
    "4837cfecd6efd74526fa0ff053010dcada68"
)
# cast mktx --private-key $K --chain 1 --nonce 7 --gas-limit 50000 --gas-price 30000000000
#   --legacy --value 1000000000000000000 $TO
EIP155 = (
    "f86c078506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c88880de0b6b3a76400008026a04b"
    "08af734035d7a728d1ce1df789f7b327a506501b582c5b8fa8fbc8803e7d9fa04cf5be89d8d7398d4e53f6a716f7"
    "46ce6113f44ac6ef38632f3c243879285787"
)
# cast mktx ... --legacy --access-list '[{"address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
#   "storageKeys":["0x00…01"]}]' $TO   (same flags as EIP155, no --value)
EIP2930 = (
    "01f89f01078506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c888080f838f7943c44cdddb6"
    "a900fa2b585dd299e03d12fa4293bce1a0000000000000000000000000000000000000000000000000000000000000"
    "000101a01a8be5663a110f8650cee3ab6aed8bae7b1b882b84df0cd89703f52282381764a055e81e7761336f0ec8"
    "3145c91715cd0a59aae12ed05ec0ebe4ac52f1c5d03de0"
)
# cast mktx ... --priority-gas-price 2000000000 --value 1000000000000000000 --access-list (as
#   above) $TO "transfer(address,uint256)" 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 5
EIP1559 = (
    "02f8f1010784773594008506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c88880de0b6b3a7"
    "640000b844a9059cbb0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc0000000000"
    "000000000000000000000000000000000000000000000000000005f838f7943c44cdddb6a900fa2b585dd299e03d"
    "12fa4293bce1a0000000000000000000000000000000000000000000000000000000000000000101a02789636c07"
    "dc47c960f39274d4adeb79bcbce9a728bfcaea40fcf29cc15836c2a04c63a4f916d3541f6df3cf00a0842bfe8b19"
    "e5a5927c6b756f0d35fafaa29feb"
)
# cast mktx ... --priority-gas-price 2000000000 --blob --eip4844 --path <file "hello blob">
#   --blob-gas-price 3 $TO, without its sidecar (the signature covers the transaction alone).
EIP4844 = (
    "03f88e010784773594008506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c888080c003e1a0"
    "01aaaea0836e7f66cd04e6db5b7177ac106fb61ab8252aad42850389be29a38e01a0a871c60e9fef67abab96a232"
    "474995d219200b16261e71ca0557d8c6cfb459f1a009bfb7bfe14e340a35b66c59c810742c3435f3a3fc7466b3e6"
    "171444bbd9357e"
)
# cast mktx ... --priority-gas-price 2000000000 --auth 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC $TO
EIP7702 = (
    "04f8c9010784773594008506fc23ac0082c3509470997970c51812dc3a010c7d01b50e0d4dc79c888080c0f85cf8"
    "5a01943c44cdddb6a900fa2b585dd299e03d12fa4293bc0880a068c7e0cfb681474e1c5bba0c82f44279a7ababfe"
    "c4b0b8f27b69dfd30d3eb2dea03cdbf138556cc8b86d4c0e21324d34d1262f3dba902009750209fc65f3c67efb01"
    "a07c8848f9b4447db8170b3823b934386def0a57782e15739dd678ed0c249de069a073b79b3d25b6f489893bc283"
    "e2064386a9597abed20634cb415a3dff098677d8"
)

# Field kinds as alloy decodes them: an integer width in bits, or a shape.
U64, U128, U256 = 64, 128, 256
TO_OR_CREATE, ADDRESS, BYTES, ACCESS_LIST, AUTHS, HASHES, PARITY, LEGACY_V = (
    "to|create", "address", "bytes", "accessList", "auths", "hashes", "parity", "v")
FEES_1559 = [("chainId", U64), ("nonce", U64), ("maxPriorityFeePerGas", U128),
             ("maxFeePerGas", U128), ("gas", U64)]
SIG = [("yParity", PARITY), ("r", U256), ("s", U256)]
LAYOUTS = {
    "legacy": [("nonce", U64), ("gasPrice", U128), ("gas", U64), ("to", TO_OR_CREATE),
               ("value", U256), ("input", BYTES), ("v", LEGACY_V), ("r", U256), ("s", U256)],
    "eip2930": [("chainId", U64), ("nonce", U64), ("gasPrice", U128), ("gas", U64),
                ("to", TO_OR_CREATE), ("value", U256), ("input", BYTES),
                ("accessList", ACCESS_LIST)] + SIG,
    "eip1559": FEES_1559 + [("to", TO_OR_CREATE), ("value", U256), ("input", BYTES),
                            ("accessList", ACCESS_LIST)] + SIG,
    "eip4844": FEES_1559 + [("to", ADDRESS), ("value", U256), ("input", BYTES),
                            ("accessList", ACCESS_LIST), ("maxFeePerBlobGas", U128),
                            ("blobVersionedHashes", HASHES)] + SIG,
    "eip7702": FEES_1559 + [("to", ADDRESS), ("value", U256), ("input", BYTES),
                            ("accessList", ACCESS_LIST), ("authorizationList", AUTHS)] + SIG,
}


class Raw:
    """Bytes that are already an RLP encoding (possibly a non-canonical one)."""

    def __init__(self, b):
        self.b = b


def be(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def header(offset, n):
    if n < 56:
        return bytes([offset + n])
    return bytes([offset + 55 + len(be(n))]) + be(n)


def enc(x):
    if isinstance(x, Raw):
        return x.b
    if isinstance(x, int):
        x = be(x)
    if isinstance(x, bytes):
        return x if len(x) == 1 and x[0] < 0x80 else header(0x80, len(x)) + x
    payload = b"".join(enc(i) for i in x)
    return header(0xC0, len(payload)) + payload


def dec(b, i=0):
    """Decodes the item at b[i:] (the inputs here are canonical); returns (item, end)."""
    c = b[i]
    if c < 0x80:
        return b[i:i + 1], i + 1
    if c < 0xC0:
        n, s = (c - 0x80, i + 1) if c < 0xB8 else (
            int.from_bytes(b[i + 1:i + c - 0xB6], "big"), i + c - 0xB6)
        return b[s:s + n], s + n
    n, s = (c - 0xC0, i + 1) if c < 0xF8 else (
        int.from_bytes(b[i + 1:i + c - 0xF6], "big"), i + c - 0xF6)
    items, j = [], s
    while j < s + n:
        item, j = dec(b, j)
        items.append(item)
    return items, s + n


def long_form(b, offset=0x80):
    """A long-form header for a payload shorter than 56 bytes (non-canonical)."""
    return Raw(bytes([offset + 56, len(b)]) + b)


def int_mutations(value, bits):
    v = int.from_bytes(value, "big")
    out = [("leading zero byte", b"\x00" + value),
           (f"2^{bits} (one past the width)", 1 << bits),
           (f"2^{bits}-1 (widest value)", (1 << bits) - 1)]
    if 0 < v < 0x80:
        out.append(("single byte as 0x81xx", Raw(b"\x81" + value)))
    else:
        out.append(("long-form length for a short integer", long_form(value)))
    return out


def fixed_mutations(value):
    return [("one byte too long", value + b"\x11"), ("one byte too short", value[:-1]),
            ("leading zero byte", b"\x00" + value)]


N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # secp256k1 order
ADDR = bytes.fromhex("3c44cdddb6a900fa2b585dd299e03d12fa4293bc")
KEY = bytes(31) + b"\x01"


def field_mutations(name, kind, value):
    if isinstance(kind, int):
        muts = int_mutations(value, kind)
        if name in ("r", "s"):
            muts += [("one byte too short", value[:-1]), ("one byte too long", value + b"\x11"),
                     ("zero", b""), ("the curve order n", N)]
        if name == "s":  # cast accepts high s but prints no signer
            muts.append(("n - s (the high-S twin)", N - int.from_bytes(value, "big")))
        return muts
    if kind in (TO_OR_CREATE, ADDRESS):
        return fixed_mutations(value) + [("empty (creation)", b""), ("a list", [])]
    if kind == BYTES:
        return [("long-form length for short data", long_form(value[:4])),
                ("single byte < 0x80 as 0x81xx", Raw(b"\x81\x05")), ("a list", [])]
    if kind == PARITY:
        return [("2", 2), ("27", 27), ("0x00 (leading zero)", b"\x00"),
                ("1 as 0x8101", Raw(b"\x81\x01"))]
    if kind == LEGACY_V:
        return [(str(v), v) for v in (0, 1, 26, 29, 34, 35, 36)] + [
            ("2^65+34 (chain id 2^64-1)", (1 << 65) + 34),
            ("2^65+35 (chain id 2^64)", (1 << 65) + 35),
            ("leading zero byte", b"\x00" + value)]
    if kind == ACCESS_LIST:
        return [("address 19 bytes", [[ADDR[:-1], [KEY]]]),
                ("address 21 bytes", [[ADDR + b"\x11", [KEY]]]),
                ("address with a leading zero", [[b"\x00" + ADDR, [KEY]]]),
                ("storage key 31 bytes", [[ADDR, [KEY[1:]]]]),
                ("storage key 33 bytes", [[ADDR, [KEY + b"\x01"]]]),
                ("storage key 0x0001", [[ADDR, [b"\x00\x01"]]]),
                ("entry without keys", [[ADDR]]),
                ("entry with a third element", [[ADDR, [KEY], b""]]),
                ("keys as a string", [[ADDR, b""]]),
                ("a string", b""),
                ("entry with a long-form list header", [long_form(enc(ADDR) + enc([]), 0xC0)]),
                ("entry without storage keys", [[ADDR, []]])]
    if kind == HASHES:
        h = b"\x01" + bytes(31)
        return [("empty", []), ("hash 31 bytes", [h[:-1]]), ("hash 33 bytes", [h + b"\x00"]),
                ("a string", b""), ("version byte 0x02", [b"\x02" + bytes(31)])]
    if kind == AUTHS:
        chain, addr, nonce, parity, r, s = value[0]

        def auth(i, v):
            a = [chain, addr, nonce, parity, r, s]
            a[i] = v
            return [a]

        return [("empty", []), ("a string", b""),
                ("chain id 2^256-1", auth(0, (1 << 256) - 1)),
                ("chain id 33 bytes", auth(0, 1 << 256)),
                ("chain id leading zero", auth(0, b"\x00\x01")),
                ("address 19 bytes", auth(1, addr[:-1])), ("address 21 bytes", auth(1, addr + b"\x11")),
                ("nonce 2^64", auth(2, 1 << 64)), ("nonce 2^64-1", auth(2, (1 << 64) - 1)),
                ("yParity 27", auth(3, 27)), ("yParity 255", auth(3, 255)),
                ("yParity 256", auth(3, 256)), ("r 33 bytes", auth(4, 1 << 256)),
                ("r zero", auth(4, b"")), ("5 elements", [value[0][:5]]),
                ("7 elements", [value[0] + [b""]])]
    raise ValueError(kind)


def emit(label, raw):
    print(f"# {label}")
    print(f"decode-transaction 0x{raw.hex()}")


def mutate(base_label, type_byte, fields, layout):
    prefix = bytes([type_byte]) if type_byte is not None else b""
    for i, (name, kind) in enumerate(layout):
        for what, value in field_mutations(name, kind, fields[i]):
            changed = list(fields)
            changed[i] = value
            emit(f"{base_label} {name}: {what}", prefix + enc(changed))
    body = enc(fields)
    payload = b"".join(enc(f) for f in fields)
    whole = [("trailing 0x00 after the list (cast ignores it)", body + b"\x00"),
             ("trailing 0xdeadbeef after the list", body + bytes.fromhex("deadbeef")),
             ("trailing empty list after the list", body + b"\xc0"),
             ("list length with a leading zero byte",
              bytes([0xF9, 0, len(payload)]) + payload),
             ("list length one byte past the input", bytes([0xF8, len(payload) + 1]) + payload),
             ("list length one byte short", bytes([0xF8, len(payload) - 1]) + payload),
             ("an extra empty field", enc(fields + [b""])),
             ("the last field missing", enc(fields[:-1]))]
    for what, b in whole:
        emit(f"{base_label}: {what}", prefix + b)


def main():
    print("# Generated by tests/cli/gen_tx_mutations.py; regenerate rather than edit.")
    bases = [("legacy pre-EIP-155", LEGACY, "legacy"), ("legacy EIP-155", EIP155, "legacy"),
             ("EIP-2930", EIP2930, "eip2930"), ("EIP-1559", EIP1559, "eip1559"),
             ("EIP-4844", EIP4844, "eip4844"), ("EIP-7702", EIP7702, "eip7702")]
    for label, hex_raw, layout in bases:
        raw = bytes.fromhex(hex_raw)
        type_byte = None if raw[0] >= 0xC0 else raw[0]
        fields, _ = dec(raw, 0 if type_byte is None else 1)
        mutate(label, type_byte, fields, LAYOUTS[layout])

    # The envelope: alloy reads an explicit type 0 as legacy and knows types 0 to 4 only.
    eip155, eip1559 = bytes.fromhex(EIP155), bytes.fromhex(EIP1559)
    emit("type byte 0x00 before a legacy transaction (cast decodes it)", b"\x00" + eip155)
    emit("type byte 0x00 before an EIP-2930 body", b"\x00" + bytes.fromhex(EIP2930)[1:])
    emit("EIP-1559 body under type byte 0x01", b"\x01" + eip1559[1:])
    emit("EIP-1559 body under type byte 0x05", b"\x05" + eip1559[1:])
    emit("EIP-1559 body under type byte 0x7f", b"\x7f" + eip1559[1:])
    emit("a string instead of a list after type 0x02", b"\x02" + enc(eip1559[1:10]))

    # EIP-4844 network form: [tx, blobs, commitments, proofs] or [tx, 1, blobs, commitments,
    # cell_proofs]; a real blob is 128 KiB, too long for one argument, so the lists stay small.
    tx, _ = dec(bytes.fromhex(EIP4844), 1)
    kzg = b"\xc0" + bytes(47)
    sidecars = [("empty EIP-4844 sidecar", [tx, [], [], []]),
                ("empty EIP-7594 sidecar", [tx, 1, [], [], []]),
                ("EIP-7594 sidecar, version 2", [tx, 2, [], [], []]),
                ("EIP-7594 sidecar, version 0", [tx, b"", [], [], []]),
                ("sidecar counts that do not match (cast does not compare them)",
                 [tx, [], [kzg], [kzg, kzg]]),
                ("EIP-7594 sidecar with commitments and cell proofs", [tx, 1, [], [kzg], [kzg]]),
                ("sidecar commitment 47 bytes", [tx, [], [kzg[:-1]], []]),
                ("sidecar proof 49 bytes", [tx, [], [], [kzg + b"\x00"]]),
                ("sidecar blob of 10 bytes", [tx, [bytes(10)], [], []]),
                ("sidecar with a fifth list", [tx, [], [], [], []]),
                ("sidecar without proofs", [tx, [], []])]
    for what, item in sidecars:
        emit(f"EIP-4844 {what}", b"\x03" + enc(item))


if __name__ == "__main__":
    main()
