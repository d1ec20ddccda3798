#!/usr/bin/env python3
"""Writes tests/attestation/event_log_vectors.json: dstack event logs with the boot info they
prove, computed here independently of lib/attestation (Python hashlib, json).

  python3 tests/attestation/gen_event_log_vectors.py > tests/attestation/event_log_vectors.json

The first case is a capture from a dstack-0.6.0 CVM (its runtime events and the measurements of
its quote; its RTMR3 is the quote's); the others are synthetic and exercise v2 digests, mixed
versions, boot-time events, events after system-ready and RFC 8785 escaping of event names.
"""
import hashlib
import json

RUNTIME = 0x08000001


def d1(name, payload):
    return hashlib.sha384(RUNTIME.to_bytes(4, "little") + b":" + name.encode() + b":" + payload).digest()


def jcs_string(s):
    out = '"'
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out += '\\"'
        elif ch == "\\":
            out += "\\\\"
        elif ch in "\b\f\n\r\t":
            out += {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch]
        elif c < 0x20:
            out += "\\u%04x" % c
        else:
            out += ch
    return out + '"'


def d2(name, payload):
    doc = '{"name":' + jcs_string(name) + ',"payload":"' + payload.hex() + '","type":%d}' % RUNTIME
    return hashlib.sha384(doc.encode("utf-8")).digest()


def replay(events):
    mr = bytes(48)
    for e in events:
        if e["event_type"] != RUNTIME:
            continue
        payload = bytes.fromhex(e["event_payload"])
        d = d2(e["event"], payload) if e.get("version", 1) == 2 else d1(e["event"], payload)
        mr = hashlib.sha384(mr + d).digest()
    return mr


def find(events, name):
    for e in events:
        if e["event_type"] != RUNTIME:
            continue
        if e["event"] == "system-ready":
            break
        if e["event"] == name:
            return bytes.fromhex(e["event_payload"])
    raise KeyError(name)


def ev(name, payload=b"", version=1):
    e = {"imr": 3, "event_type": RUNTIME, "digest": "", "event": name, "event_payload": payload.hex()}
    if version != 1:
        e["version"] = version
    return e


def h48(tag):
    return hashlib.sha384(tag.encode()).digest()


def case(name, events, report, ppid, rtmr3_from_log=True):
    if rtmr3_from_log:
        report = dict(report, rtmr3=replay(events).hex())
    r = {k: bytes.fromhex(v) for k, v in report.items()}
    kp = find(events, "key-provider")
    kpj = json.loads(kp)
    mkp = hashlib.sha256(kp).digest()
    mr_system = hashlib.sha256(r["mr_td"] + r["rtmr0"] + r["rtmr1"] + r["rtmr2"] + mkp).digest()
    extra = r["mr_config_id"] + r["mr_owner"] + r["mr_owner_config"]
    agg = r["mr_td"] + r["rtmr0"] + r["rtmr1"] + r["rtmr2"] + r["rtmr3"]
    if any(extra):
        agg += extra
    return {
        "name": name,
        "event_log": events,
        "report": report,
        "ppid": ppid.hex(),
        "expected": {
            "rtmr3": replay(events).hex(),
            "app_id": find(events, "app-id").hex(),
            "compose_hash": find(events, "compose-hash").hex(),
            "instance_id": (find(events, "instance-id") or bytes(20)).hex(),
            "key_provider_id": kpj["id"],
            "mr_key_provider": mkp.hex(),
            "device_id": hashlib.sha256(ppid).hexdigest(),
            "mr_system": mr_system.hex(),
            "mr_aggregated": hashlib.sha256(agg).hexdigest(),
        },
    }


def main():
    kms_spki = ("3059301306072a8648ce3d020106082a8648ce3d030107034200042f71e234d7339a1ceaca09c3c391eb81"
                "6c533f980adaab34f16ead093ff0ac100d9c03253a3056f6d27735125433180b3e61c54a78f3fd133378"
                "69e0051dee06")
    kp = json.dumps({"name": "kms", "id": kms_spki}, separators=(",", ":")).encode()
    capture = [
        ev("system-preparing"),
        ev("app-id", bytes.fromhex("86b0e55f2fa8e4fb69d890f14f54d5612707646e")),
        ev("compose-hash", bytes.fromhex("86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9")),
        ev("instance-id", bytes.fromhex("050bf89570575fe8fab4cb8f0a62a9e64efe8ead")),
        ev("boot-mr-done"),
        ev("os-image-hash", bytes.fromhex("07a2388c7a6a1b6a646d443f1517990a4ec294471d63146cda9d56972765051d")),
        ev("key-provider", kp),
        ev("storage-fs", b"zfs"),
        ev("system-ready"),
    ]
    capture_report = {
        "mr_td": "fd685522ce791dfef67414614eb07d03fc07a32c5a66f36288b329dab92b724b1564c73d436ffb9ea84488c51ac5a1c5",
        "rtmr0": "f8438db36b96f85d8752ff7f24a89ec05c79ec9eda2ba732c897fb970ca429365b7471b1c054cb84f17b1c2b23ba6640",
        "rtmr1": "2023546e7f3b9d1228e274f70c44d481162540f8452544520a796a52f06879709b81a824a26792a7822327504b0d2aee",
        "rtmr2": "4c1b739ed451a637b0f82642e48a5ea83925d23633c72e7385c8e9aca4175e133ed1625b7d92eb39edf509c27ff392dc",
        "rtmr3": "6f24c170d0fd63fc2b1b53202eea47b013978437fa6982cf5e0438ff95c208994aaa0f4ebab2e3a66824b5b56869137e",
        "mr_config_id": "0186b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9" + "00" * 15,
        "mr_owner": "00" * 48,
        "mr_owner_config": "00" * 48,
    }
    assert replay(capture).hex() == capture_report["rtmr3"], "the capture no longer replays"
    cases = [case("dstack-0.6.0 capture (v1)", capture, capture_report, bytes(range(16)), False)]

    synthetic = {k: h48("chainkms-" + k).hex() for k in ("mr_td", "rtmr0", "rtmr1", "rtmr2")}
    synthetic.update(mr_config_id="00" * 48, mr_owner="00" * 48, mr_owner_config="00" * 48)
    app = hashlib.sha256(b"app").digest()[:20]
    compose = hashlib.sha256(b"compose").digest()
    inst = hashlib.sha256(b"instance").digest()[:20]
    v2 = [ev("system-preparing", version=2), ev("app-id", app, 2), ev("compose-hash", compose, 2),
          ev("instance-id", inst, 2), ev("boot-mr-done", version=2), ev("key-provider", kp, 2),
          ev("system-ready", version=2)]
    cases.append(case("v2 digests, zero MRCONFIGID/MROWNER/MROWNERCONFIG", v2, synthetic, b"\x42" * 16))

    boot_time = [{"imr": 0, "event_type": 0x80000001, "digest": h48("boot0").hex(), "event": "",
                  "event_payload": ""},
                 {"imr": 1, "event_type": 0xD, "digest": h48("boot1").hex(), "event": "",
                  "event_payload": "00"}]
    mixed = boot_time + [ev("system-preparing"), ev("app-id", app, 2), ev("compose-hash", compose),
                         ev("instance-id", b"", 2), ev("boot-mr-done"), ev("key-provider", kp, 2),
                         ev("storage-fs", b"ext4"), ev("system-ready"),
                         # after system-ready: replayed into RTMR3, never looked up
                         ev("app-id", bytes(20)), ev("a\"b\\c\n\x01\u00e9", b"\x00\xff", 2)]
    with_owner = dict(synthetic, mr_owner=h48("owner").hex())
    cases.append(case("mixed v1/v2, boot-time events, no instance id, events after system-ready, "
                      "escaped v2 name, MROWNER set", mixed, with_owner, b"\x07" * 16))
    print(json.dumps(cases, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
