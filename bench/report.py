#!/usr/bin/env python3
"""Turns the results of bench/run into a Markdown table of ratios against the baselines."""
import glob
import json
import os
import sys

out = sys.argv[1]
gb = json.load(open(os.path.join(out, "gbench.json")))
ns = {}
for b in gb["benchmarks"]:
    if b.get("aggregate_name") == "median":
        scale = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
        ns[b["run_name"]] = b["real_time"] * scale
ethers = json.load(open(os.path.join(out, "ethers.json")))

# (ours, baseline, what a ratio above 1 means)
pairs = [
    ("BM_Keccak256/32", "BM_BaselineOpenSslSha3_256/32"),
    ("BM_Keccak256/1024", "BM_BaselineOpenSslSha3_256/1024"),
    ("BM_SignEip1559Transaction", "BM_BaselineRawSecp256k1SignRecoverable"),
    ("BM_SignRecoverable", "BM_BaselineRawSecp256k1SignRecoverable"),
    ("BM_Ecrecover", "BM_BaselineRawSecp256k1Recover"),
    ("BM_DecodeTransaction", "BM_BaselineKeccakOfRawTransaction"),
    ("BM_KmsDeriveAppKeySet", "BM_BaselineRawAppKeyOps"),
]
tdx = [
    ("BM_TdxVerifyQuote", "a platform seen before (PCK chain verdict memoized)"),
    ("BM_TdxVerifyQuoteNewPlatform", "a new platform (PCK chain verified afresh)"),
]
dcap_path = os.path.join(out, "dcap_qvl.json")
dcap = json.load(open(dcap_path))["ns_per_op"] if os.path.exists(dcap_path) else None
floor = ns.get("BM_BaselineOpenSslP256Floor")
if floor:
    print("| TDX quote verification (collateral parsed and cached) | ours (µs) | "
          "× OpenSSL P-256 floor (4 verifies, %.0f µs) | speed vs @phala/dcap-qvl JS |" % (floor / 1e3))
    print("|---|---:|---:|---:|")
    for name, what in tdx:
        if name in ns:
            js = f"{dcap / ns[name]:.1f}x ({dcap / 1e3:.0f} µs)" if dcap else "n/a"
            print(f"| {what} | {ns[name] / 1e3:.0f} | {ns[name] / floor:.2f} | {js} |")
    print()
print("| benchmark | ours (ns) | baseline | baseline (ns) | speed vs baseline |")
print("|---|---:|---|---:|---:|")
for o, b in pairs:
    if o in ns and b in ns:
        print(f"| {o} | {ns[o]:.0f} | {b} | {ns[b]:.0f} | {ns[b] / ns[o]:.2f}x |")
for name, e in ethers.items():
    o = "BM_" + name
    if o in ns:
        print(f"| {o} | {ns[o]:.0f} | ethers v6 (Node) | {e:.0f} | {e / ns[o]:.1f}x |")
print()
print("| command | chainkms-eth (ms) | cast (ms) | time ratio ours/cast |")
print("|---|---:|---:|---:|")
for f in sorted(glob.glob(os.path.join(out, "hyperfine-*.json"))):
    r = json.load(open(f))["results"]
    ours, cast = r[0], r[1]
    cmd = ours["command"].replace("chainkms-eth ", "", 1)
    if len(cmd) > 60:
        cmd = cmd[:57] + "..."
    print(f"| `{cmd}` | {ours['median'] * 1e3:.2f} | {cast['median'] * 1e3:.2f} | "
          f"{ours['median'] / cast['median']:.2f} |")

chain_path = os.path.join(out, "chain.json")
if os.path.exists(chain_path):
    chain = json.load(open(chain_path))
    t = chain["transactions"]
    print()
    print("| chain (anvil, 250 ms blocks) | ours | baseline | speed vs baseline |")
    print("|---|---:|---:|---:|")
    print(f"| {t['txs']} txs from one sender: pipelined through TxManager vs send-and-wait "
          f"(nonces consecutive: {t['nonces_consecutive']}) | {t['pipelined_s']:.2f} s | "
          f"{t['sequential_s']:.2f} s | {t['speedup']:.1f}x |")
    for p in chain["prerequisites"]:
        print(f"| CheckPrerequisites, {p['items']} item(s): one Multicall3 eth_call vs "
              f"{p['items']} sequential eth_call(s), p50 (p99) | {p['ours_p50_ms']:.2f} "
              f"({p['ours_p99_ms']:.2f}) ms | {p['baseline_p50_ms']:.2f} "
              f"({p['baseline_p99_ms']:.2f}) ms | {p['baseline_p50_ms'] / p['ours_p50_ms']:.2f}x |")

registry_path = os.path.join(out, "registry.json")
if os.path.exists(registry_path):
    reg = json.load(open(registry_path))
    print()
    print("| registry (in-process gRPC server, loopback) | ours | baseline | ratio | goal |")
    print("|---|---:|---:|---:|---|")
    for p in reg["prerequisites"]:
        print(f"| CheckPrerequisites, {p['items']} item(s): through gRPC vs the lib call, "
              f"p50 (p99), {p['rounds']} rounds | {p['grpc_p50_ms']:.2f} ({p['grpc_p99_ms']:.2f}) ms | "
              f"{p['direct_p50_ms']:.2f} ({p['direct_p99_ms']:.2f}) ms | "
              f"{p['overhead_p50']:.2f}x ({p['overhead_p99']:.2f}x) time, "
              f"+{p['grpc_p50_ms'] - p['direct_p50_ms']:.2f} ms at p50 | |")
    h = reg["health"]
    for level, key in (("warn (no per-RPC line)", "warn"), ("info (1 JSON line per RPC)", "info")):
        ratio = h[f"ratio_{key}"]
        mark = "✓" if ratio >= 0.7 else "✗"
        print(f"| grpc.health.v1 Check QPS, our GrpcServer at log level {level} vs a bare "
              f"grpc::Server, {h['threads']} client threads, median of {h['passes']} x "
              f"{h['seconds']:g} s | {h[f'ours_{key}_qps']:.0f} | {h['bare_qps']:.0f} | "
              f"{ratio:.2f}x | ≥ 0.7x {mark} |")

prov_path = os.path.join(out, "provisioning.json")
if os.path.exists(prov_path):
    p = json.load(open(prov_path))
    print()
    print("| provisioning: prepare-only → commit-update cycles/s (gRPC, real Store, registry in "
          "memory) | ours | raw Store ops of a cycle | ratio | registry round trips / cycle |")
    print("|---|---:|---:|---:|---|")
    for engine, r in p["engines"].items():
        raw = r["raw_store"]["cycles_per_s"]
        for key, label in (("one_instance", "one instance"), ("two_instances", "two instances")):
            if key not in r:
                continue
            c = r[key]
            print(f"| {engine}, {label}, {p['threads']} client threads x {p['cycles_per_thread']} "
                  f"cycles ({c['failures']} failures) | {c['cycles_per_s']:.0f} | {raw:.0f} | "
                  f"{c['cycles_per_s'] / raw:.2f}x | {c['registry_round_trips_per_cycle']:g} "
                  f"(minimum 2: one status read at prepare, one at commit) |")

gw_path = os.path.join(out, "gateway.json")
if os.path.exists(gw_path):
    g = json.load(open(gw_path))
    print()
    print("| gateway overhead: GetCvm, {} client threads x {} (loopback, one process) | QPS | p50 ms "
          "| p99 ms | vs direct | goal |".format(g["threads"], g["requests_per_thread"]))
    print("|---|---:|---:|---:|---:|---|")
    for key, label in (("direct_grpc", "direct to provisioning (gRPC)"),
                       ("gateway_grpc", "through the gateway, gRPC proxy"),
                       ("gateway_rest", "through the gateway, REST /api/v1/cvms/{id}")):
        r = g[key]
        goal = "" if key == "direct_grpc" else ("≥ 0.7x " + ("✓" if r["vs_direct"] >= 0.7 else "✗"))
        print(f"| {label} | {r['qps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['vs_direct']:.2f}x | {goal} |")

kms_path = os.path.join(out, "kms.json")
if os.path.exists(kms_path):
    k = json.load(open(kms_path))
    g = k["get_app_key"]
    e = k["env_pubkey"]
    print()
    print("| kms (in-process gRPC server, loopback, anvil) | ours | baseline | ratio | goal |")
    print("|---|---:|---:|---:|---|")
    cold_path = os.path.join(out, "kms_cold.json")
    rows = [("warm: the app's keys cached, disk key derived", g)]
    if os.path.exists(cold_path):
        rows.append(("cold: every key derived (--app-key-cache 0)",
                     json.load(open(cold_path))["get_app_key"]))
    for label, g in rows:
      mark = "✓" if g["server_beyond_chain_p99_ms"] <= 1.0 else "✗"
      print(f"| GetAppKey, {label}: server time beyond its one chain read (total − chain read − the same "
            f"round's bare gRPC hop), p50 (p99), {g['rounds']} calls; total "
            f"{g['total_p50_ms']:.2f} ({g['total_p99_ms']:.2f}) ms, chain read "
            f"{g['chain_read_p50_ms']:.2f} ({g['chain_read_p99_ms']:.2f}) ms | "
            f"{g['server_beyond_chain_p50_ms']:.3f} ({g['server_beyond_chain_p99_ms']:.3f}) ms | "
            f"gRPC hop {g['grpc_hop_p50_ms']:.3f} ({g['grpc_hop_p99_ms']:.3f}) ms | "
            f"with the hop: {g['beyond_chain_p50_ms']:.3f} ({g['beyond_chain_p99_ms']:.3f}) ms | "
            f"p99 ≤ 1 ms {mark} |")
    mark = "✓" if e["ratio"] >= 0.7 else "✗"
    print(f"| GetAppEnvEncryptPubKey QPS vs a bare grpc::Server answering it with a canned "
          f"response, {e['threads']} client threads, median of {e['passes']} x "
          f"{e['seconds']:g} s (bare Health/Check: {e['bare_health_qps']:.0f}, "
          f"{e['ratio_vs_health']:.2f}x) | {e['ours_qps']:.0f} | {e['bare_qps']:.0f} | "
          f"{e['ratio']:.2f}x | ≥ 0.7x {mark} |")
