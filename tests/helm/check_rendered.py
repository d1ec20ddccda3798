#!/usr/bin/env python3
"""Assertions on `helm template` output of helm/chainkms (run by tests/helm/helm_test.sh).

  check_rendered.py --source DIR --profile P --release R --namespace NS RENDERED.yaml
  check_rendered.py --source DIR --self-test

Profiles: defaults, production, minimal, dev (see helm_test.sh for the values of each). Every
failure is printed; the exit code is 1 when there is any. On success one line says what was checked.
--self-test feeds hand-made bad objects to the checks and fails unless each check fires.
"""
import argparse
import copy
import json
import re
import sys

import yaml

SERVICES = ["gateway", "provisioning", "registry", "kms"]
GRPC_PORTS = {"gateway": 50050, "registry": 50051, "kms": 50052, "provisioning": 50053}
METRICS_PORTS = {"gateway": 9460, "registry": 9464, "kms": 9465, "provisioning": 9466}
# Who may call whom (DESIGN §2).
CLIENTS = {"gateway": set(), "provisioning": {"gateway"}, "registry": {"gateway", "provisioning"},
           "kms": {"gateway"}}
PUBLIC_CIDRS = {"0.0.0.0/0", "::/0"}
# Profiles rendered from values-minimal.yaml: one replica each, no HPA, no topology spread.
SINGLE = ("minimal", "dev")

# Secret-looking text. A ConfigMap must contain none of these; the non-hex ones must appear
# nowhere in the rendered manifests.
HEX_PRIVATE_KEY = re.compile(r"0x[0-9a-fA-F]{64}(?![0-9a-fA-F])")
SECRET_TEXT = [
    ("a chainkms API key", re.compile(r"ck_[0-9a-f]{16}_[0-9a-f]{64}")),
    ("a commit token", re.compile(r"ckt_[0-9a-f]{64}")),
    ("a webhook secret", re.compile(r"whsec_[0-9a-f]{16,}")),
    ("a PEM private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a database URL with credentials", re.compile(r"postgres(?:ql)?://[^\s:/@]+:[^\s@]+@")),
    ("a V3 keystore", re.compile(r'"ciphertext"\s*:')),
]
SECRET_KEY_NAME = re.compile(r"(passw(or)?d|secret|token|api[_-]?key|private[_-]?key|credential)",
                             re.IGNORECASE)
# Env names that must come from a Secret when set.
SECRET_ENV = re.compile(r"(PASSWORD|TOKEN|SECRET|DATABASE_URL|PRIVATE|API_KEY|^CHAINKMS_CHAIN$|"
                        r"^CHAINKMS_NODE$)")


class Failures:
    def __init__(self):
        self.items = []

    def __call__(self, cond, msg):
        if not cond:
            self.items.append(msg)
        return cond


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def index(docs):
    by = {}
    for d in docs:
        by.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    return by


def known_flags(source, svc):
    """Flag names the binary registers, read from its config.cc and lib/server/config.cc."""
    pat = re.compile(r'flags\.Add\w+\(\s*"([a-z0-9-]+)"')
    names = set()
    for path in (f"{source}/services/{svc}/config.cc", f"{source}/lib/server/config.cc"):
        with open(path) as f:
            names |= set(pat.findall(f.read()))
    return names


# --- checks -----------------------------------------------------------------------------------


def check_container_hardening(ok, where, c):
    sc = c.get("securityContext") or {}
    ok(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation is not false")
    ok(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem is not true")
    ok("ALL" in ((sc.get("capabilities") or {}).get("drop") or []), f"{where}: capabilities do not drop ALL")
    ok(sc.get("privileged") in (None, False), f"{where}: privileged")
    res = c.get("resources") or {}
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            ok(r in (res.get(kind) or {}), f"{where}: resources.{kind}.{r} missing")


def check_pod_hardening(ok, where, pod):
    psc = pod.get("securityContext") or {}
    ok(psc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot is not true")
    ok(psc.get("runAsUser") == 10001, f"{where}: pod runAsUser is not 10001")
    ok(isinstance(psc.get("fsGroup"), int), f"{where}: pod fsGroup missing")
    ok((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
       f"{where}: seccompProfile is not RuntimeDefault")
    ok(pod.get("automountServiceAccountToken") is False, f"{where}: pod mounts a service account token")
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        check_container_hardening(ok, f"{where} container {c['name']}", c)
        for e in c.get("env", []):
            if SECRET_ENV.search(e["name"]):
                ok("secretKeyRef" in (e.get("valueFrom") or {}),
                   f"{where} container {c['name']}: env {e['name']} is not a secretKeyRef")


def is_public_peer_list(rule):
    """True when an ingress rule admits sources outside the cluster at large."""
    peers = rule.get("from")
    if not peers:
        return True
    return any((p.get("ipBlock") or {}).get("cidr") in PUBLIC_CIDRS for p in peers)


def check_network_policies(ok, by, rel, profile):
    nps = by.get("NetworkPolicy", {})
    fullname = f"{rel}-chainkms"
    deny = nps.get(f"{fullname}-default-deny")
    if ok(deny is not None, "NetworkPolicy default-deny missing"):
        spec = deny["spec"]
        ok(spec.get("ingress") in ([], None) and "Ingress" in spec.get("policyTypes", []),
           "default-deny admits something")
        ok(spec["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/instance") == rel,
           "default-deny does not select the release's pods")
    public_services = set()
    for name, np in nps.items():
        comp = np["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component")
        for rule in np["spec"].get("ingress") or []:
            ports = {p.get("port") for p in rule.get("ports") or []}
            if is_public_peer_list(rule):
                public_services.add(comp)
                ok(comp == "gateway", f"NetworkPolicy {name} admits the public to {comp}")
                ok(ports and ports <= {"grpc", "http"},
                   f"NetworkPolicy {name}: the public rule opens ports {sorted(map(str, ports))}")
            if "metrics" in ports:
                for p in rule.get("from") or []:
                    ok("namespaceSelector" in p and "podSelector" in p,
                       f"NetworkPolicy {name}: metrics admitted from a peer that is not Prometheus")
    ok(public_services == {"gateway"},
       f"the public reaches {sorted(map(str, public_services))}, not only the gateway")
    for svc in SERVICES:
        np = nps.get(f"{fullname}-{svc}")
        if not ok(np is not None, f"NetworkPolicy for {svc} missing"):
            continue
        rules = np["spec"].get("ingress") or []
        callers = set()
        cidrs = set()
        has_metrics = False
        for rule in rules:
            ports = {p.get("port") for p in rule.get("ports") or []}
            for p in rule.get("from") or []:
                comp = ((p.get("podSelector") or {}).get("matchLabels") or {}).get(
                    "app.kubernetes.io/component")
                if comp and "namespaceSelector" not in p and "grpc" in ports:
                    callers.add(comp)
                if "ipBlock" in p:
                    cidrs.add(p["ipBlock"]["cidr"])
            has_metrics |= "metrics" in ports
        ok(callers == CLIENTS[svc], f"NetworkPolicy {svc}: gRPC callers {sorted(callers)}, "
                                    f"want {sorted(CLIENTS[svc])}")
        ok(has_metrics, f"NetworkPolicy {svc}: Prometheus not admitted to metrics")
        if svc == "kms":
            want = {"production": {"10.64.0.0/16", "10.65.0.0/16"}, "minimal": {"192.168.100.0/24"},
                    "dev": {"192.168.100.0/24"}}.get(profile, set())
            ok(cidrs == want, f"NetworkPolicy kms: CVM networks {sorted(cidrs)}, want {sorted(want)}")


def check_configmaps(ok, by):
    n = 0
    for name, cm in by.get("ConfigMap", {}).items():
        for key, value in (cm.get("data") or {}).items():
            n += 1
            where = f"ConfigMap {name} key {key}"
            ok(not SECRET_KEY_NAME.search(key), f"{where}: a secret-looking key name")
            text = str(value)
            ok(not HEX_PRIVATE_KEY.search(text), f"{where}: holds 0x + 64 hex (a private key?)")
            for what, pat in SECRET_TEXT:
                ok(not pat.search(text), f"{where}: holds {what}")
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None

            def walk(o, path):
                if isinstance(o, dict):
                    for k, v in o.items():
                        ok(not SECRET_KEY_NAME.search(str(k)), f"{where}: field {path}{k} looks secret")
                        walk(v, f"{path}{k}.")
                elif isinstance(o, list):
                    for v in o:
                        walk(v, path)
            walk(doc, "")
    return n


def check_no_secret_text(ok, raw):
    for what, pat in SECRET_TEXT:
        ok(not pat.search(raw), f"the rendered manifests hold {what}")


def arg_map(args):
    out = {}
    for a in args:
        name, _, value = a[2:].partition("=")
        out.setdefault(name, []).append(value)
    return out


def check_service(ok, by, rel, ns, svc, profile, source):
    name = f"{rel}-chainkms-{svc}"
    dep = by.get("Deployment", {}).get(name)
    if not ok(dep is not None, f"Deployment {name} missing"):
        return None
    pod = dep["spec"]["template"]["spec"]
    check_pod_hardening(ok, f"Deployment {name}", pod)
    labels = dep["spec"]["selector"]["matchLabels"]
    ok(labels.get("app.kubernetes.io/component") == svc, f"Deployment {name}: selector")
    containers = {c["name"]: c for c in pod["containers"]}
    c = containers.get(svc)
    if not ok(c is not None, f"Deployment {name}: container {svc} missing"):
        return None
    port = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    ok(port.get("grpc") == GRPC_PORTS[svc], f"{name}: gRPC port {port.get('grpc')}")
    ok(port.get("metrics") == METRICS_PORTS[svc], f"{name}: metrics port {port.get('metrics')}")
    for probe in ("livenessProbe", "readinessProbe"):
        ok((c.get(probe) or {}).get("grpc", {}).get("port") == GRPC_PORTS[svc],
           f"{name}: {probe} is not a native grpc probe on the gRPC port")
    ok(c["command"] == [f"/usr/local/bin/chainkms-{svc}"], f"{name}: command {c['command']}")
    args = c.get("args", [])
    ok(all(a.startswith("--") for a in args), f"{name}: an argument is not a --flag")
    am = arg_map(args)
    flags = known_flags(source, svc)
    for f in am:
        ok(f in flags, f"{name}: --{f} is not a flag of chainkms-{svc}")
    for f, values in am.items():
        ok(len(values) == 1, f"{name}: --{f} given {len(values)} times")
    for e in c.get("env", []):
        if e["name"].startswith("CHAINKMS_"):
            flag = e["name"][len("CHAINKMS_"):].lower().replace("_", "-")
            ok(flag in flags, f"{name}: env {e['name']} is no flag's twin")
            ok(flag not in am, f"{name}: --{flag} given both as a flag and as {e['name']}")
    ok(am.get("listen") == [f"0.0.0.0:{GRPC_PORTS[svc]}"], f"{name}: --listen {am.get('listen')}")
    ok(am.get("metrics-listen") == [f"0.0.0.0:{METRICS_PORTS[svc]}"], f"{name}: --metrics-listen")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    tmp = mounts.get("/tmp")
    ok(tmp is not None and "emptyDir" in vols.get(tmp["name"], {}), f"{name}: no emptyDir on /tmp")
    if profile not in SINGLE:
        tsc = pod.get("topologySpreadConstraints") or []
        keys = {t["topologyKey"] for t in tsc if t.get("whenUnsatisfiable") == "ScheduleAnyway"}
        ok(keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"},
           f"{name}: topologySpreadConstraints {sorted(keys)}")
    # The Kubernetes objects around it.
    sa = by.get("ServiceAccount", {}).get(name)
    if ok(sa is not None, f"ServiceAccount {name} missing"):
        ok(sa.get("automountServiceAccountToken") is False, f"ServiceAccount {name} mounts its token")
    ok(pod.get("serviceAccountName") == name, f"{name}: serviceAccountName")
    svc_obj = by.get("Service", {}).get(name)
    if ok(svc_obj is not None, f"Service {name} missing"):
        ok(svc_obj["spec"].get("type", "ClusterIP") == "ClusterIP" and
           svc_obj["spec"].get("clusterIP") != "None", f"Service {name} is not a ClusterIP Service")
        ok(svc_obj["spec"]["selector"] == labels, f"Service {name}: selector")
        ok({"grpc", "metrics"} <= {p["name"] for p in svc_obj["spec"]["ports"]}, f"Service {name}: ports")
    hl = by.get("Service", {}).get(f"{name}-headless")
    if ok(hl is not None, f"headless Service {name}-headless missing"):
        ok(hl["spec"].get("clusterIP") == "None", f"Service {name}-headless is not headless")
        ok(hl["spec"]["selector"] == labels, f"Service {name}-headless: selector")
        ok([p["port"] for p in hl["spec"]["ports"]] == [GRPC_PORTS[svc]], f"{name}-headless: ports")
    hpa = by.get("HorizontalPodAutoscaler", {}).get(name)
    if profile in SINGLE:
        ok(hpa is None, f"HPA {name} rendered with autoscaling off")
        ok(dep["spec"].get("replicas") == 1, f"{name}: replicas {dep['spec'].get('replicas')}, want 1")
    elif ok(hpa is not None, f"HPA {name} missing"):
        ok(hpa["apiVersion"] == "autoscaling/v2", f"HPA {name}: {hpa['apiVersion']}")
        s = hpa["spec"]
        ok(s["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
           f"HPA {name}: target")
        ok(1 <= s["minReplicas"] <= s["maxReplicas"], f"HPA {name}: min/max")
        ok(any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in s["metrics"]),
           f"HPA {name}: no CPU target")
        ok("replicas" not in dep["spec"], f"{name}: replicas set although the HPA owns them")
    pdb = by.get("PodDisruptionBudget", {}).get(name)
    if ok(pdb is not None, f"PDB {name} missing"):
        ok(pdb["apiVersion"] == "policy/v1", f"PDB {name}: {pdb['apiVersion']}")
        ok(pdb["spec"]["selector"]["matchLabels"] == labels, f"PDB {name}: selector")
        ok(("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"]),
           f"PDB {name}: exactly one of minAvailable and maxUnavailable")
    ok("--insecure-dev-attestation" not in args or (svc == "kms" and profile == "dev"),
       f"{name}: --insecure-dev-attestation rendered")
    return dep, pod, c, am


def backend(rel, ns, svc):
    return f"dns:///{rel}-chainkms-{svc}-headless.{ns}.svc.cluster.local:{GRPC_PORTS[svc]}"


def check_profile(ok, by, rel, ns, profile, got):
    gw, prov, reg, kms = (got.get(s) for s in SERVICES)
    if gw:
        _, _, c, am = gw
        for s in ("provisioning", "registry", "kms"):
            ok(am.get(s) == [backend(rel, ns, s)], f"gateway: --{s} {am.get(s)}")
        ok(am.get("http-listen") == ["0.0.0.0:8080"], "gateway: --http-listen")
    if prov:
        _, pod, c, am = prov
        ok(am.get("registry") == [backend(rel, ns, "registry")], f"provisioning: --registry {am.get('registry')}")
        ok(am.get("replica") == ["$(POD_NAME)"], "provisioning: --replica is not the pod name")
        env = {e["name"]: e for e in c.get("env", [])}
        ok(env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name",
           "provisioning: POD_NAME is not from the downward API")
        db = env.get("CHAINKMS_DATABASE_URL")
        if profile in ("defaults", "production"):
            ok(db is not None and db["valueFrom"]["secretKeyRef"] == {"name": "chainkms-database", "key": "url"},
               "provisioning: CHAINKMS_DATABASE_URL is not the chainkms-database Secret")
        else:
            ok(db is None and am.get("database-url", [""])[0].startswith("sqlite:/var/lib/"),
               "provisioning: not SQLite on a volume")
    if kms:
        _, pod, c, am = kms
        ok(am.get("replica") == ["$(POD_NAME)"], "kms: --replica is not the pod name")
        ok(am.get("attestation") == ["tdx"], f"kms: --attestation {am.get('attestation')}")
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        secrets = {v["secret"]["secretName"]: n for n, v in vols.items() if "secret" in v}
        init_mounts = {m["name"]: m for ic in pod.get("initContainers", []) for m in ic.get("volumeMounts", [])}
        chains = {"production": {8453: "chainkms-kms-root-keys-base", 1: "chainkms-kms-root-keys-ethereum"},
                  "minimal": {11155111: "chainkms-kms-root-keys-sepolia"},
                  "dev": {11155111: "chainkms-kms-root-keys-sepolia"}}.get(profile, {})
        for cid, secret in chains.items():
            vol = secrets.get(secret)
            if ok(vol is not None, f"kms: the root key Secret {secret} of chain {cid} is not a volume"):
                m = init_mounts.get(vol)
                ok(m is not None and m.get("readOnly") is True,
                   f"kms: the root key Secret {secret} is not mounted read-only")
        want_dirs = " ".join(f"{cid}=/var/run/chainkms/kms-keys/{cid}" for cid in chains)
        ok(am.get("key-dir") == ([want_dirs] if chains else None), f"kms: --key-dir {am.get('key-dir')}")
        keys_mount = next((m for m in c.get("volumeMounts", []) if m["mountPath"] == "/var/run/chainkms/kms-keys"), None)
        if chains:
            ok(keys_mount is not None and keys_mount.get("readOnly") is True,
               "kms: the copied root keys are not mounted read-only")
            ok(vols.get("kms-keys", {}).get("emptyDir", {}).get("medium") == "Memory",
               "kms: root keys are not on a memory emptyDir")
            script = "\n".join(" ".join(ic["command"]) for ic in pod.get("initContainers", []))
            ok("-m 0400" in script, "kms: root keys are not copied with mode 0400")
        audit = am.get("audit-log", [""])[0]
        if profile in ("minimal", "dev"):
            ok(audit == "-", f"kms: --audit-log {audit}")
        else:
            ok(audit == "/var/lib/chainkms/audit/$(POD_NAME).log", f"kms: --audit-log {audit}")
            audit_mount = next((m for m in c.get("volumeMounts", []) if m["mountPath"] == "/var/lib/chainkms/audit"), None)
            ok(audit_mount is not None and not audit_mount.get("readOnly"), "kms: audit log dir not writable")
        dev = "insecure-dev-attestation" in am
        ok(dev == (profile == "dev"), f"kms: --insecure-dev-attestation {'present' if dev else 'absent'}")
        if profile == "dev":
            ann = pod_annotations(kms[0])
            ok("chainkms.dev/insecure-dev-attestation" in ann, "kms: dev attestation without the warning annotation")
    if profile == "production":
        for s, got_s in (("registry", reg), ("kms", kms)):
            if got_s:
                env = {e["name"]: e for e in got_s[2].get("env", [])}
                ok(env.get("CHAINKMS_CHAIN", {}).get("valueFrom", {}).get("secretKeyRef") ==
                   {"name": "chainkms-chains", "key": "chain-spec"}, f"{s}: CHAINKMS_CHAIN not from the Secret")
                ok("chain" not in got_s[3], f"{s}: --chain given although the spec is in a Secret")
        if reg:
            _, pod, c, am = reg
            vols = {v["name"]: v for v in pod.get("volumes", [])}
            ok(vols.get("keystore", {}).get("secret", {}).get("secretName") == "chainkms-registry-keystores",
               "registry: keystore Secret not mounted")
            ok(am.get("keystore-dir") == ["/etc/chainkms/keystore"], "registry: --keystore-dir")
            ok(am.get("keystore-password-file") == ["/etc/chainkms/keystore-password/password"],
               "registry: --keystore-password-file")
        if prov:
            env = {e["name"]: e for e in prov[2].get("env", [])}
            ok(env.get("VMM_BEARER_TOKEN", {}).get("valueFrom", {}).get("secretKeyRef", {}).get("name") ==
               "chainkms-vmm-token", "provisioning: VMM token not from its Secret")
            ok(prov[3].get("vmm-token-env") == ["VMM_BEARER_TOKEN"], "provisioning: --vmm-token-env")
            ok(prov[3].get("kms") == ["base=8453;url=https://kms.example.com:443 "
                                      "ethereum=1;url=https://kms.example.com:443"],
               f"provisioning: --kms {prov[3].get('kms')}")
        sms = by.get("ServiceMonitor", {})
        ok(len(sms) == 4, f"{len(sms)} ServiceMonitors, want 4")
        for s in SERVICES:
            sm = sms.get(f"{rel}-chainkms-{s}")
            if ok(sm is not None, f"ServiceMonitor {s} missing"):
                ok(sm["apiVersion"] == "monitoring.coreos.com/v1", f"ServiceMonitor {s}: apiVersion")
                ok(sm["spec"]["endpoints"][0]["port"] == "metrics", f"ServiceMonitor {s}: port")
        rules = by.get("PrometheusRule", {})
        if ok(len(rules) == 1, f"{len(rules)} PrometheusRules, want 1"):
            pr = next(iter(rules.values()))
            ok(pr["apiVersion"] == "monitoring.coreos.com/v1", "PrometheusRule: apiVersion")
            exprs = [r["expr"] for g in pr["spec"]["groups"] for r in g["rules"]]
            alerts = {r["alert"] for g in pr["spec"]["groups"] for r in g["rules"]}
            for a in ("ChainkmsServiceDown", "ChainkmsGrpcErrorRate", "ChainkmsGrpcLatencyP99",
                      "ChainkmsKmsChainNotServing"):
                ok(a in alerts, f"PrometheusRule: alert {a} missing")
            ok(any("chainkms_rpc_requests_total" in e for e in exprs), "PrometheusRule: no error-rate rule")
            ok(any("chainkms_rpc_latency_seconds_bucket" in e for e in exprs), "PrometheusRule: no latency rule")
            ok(not any("{{" in e for e in exprs), "PrometheusRule: an unrendered template in an expression")
        ok(len(by.get("ConfigMap", {})) == 1, "production: the OS image measurements ConfigMap is missing")
        ext = by.get("Service", {})
        ok(f"{rel}-chainkms-gateway-external" in ext and f"{rel}-chainkms-kms-external" in ext,
           "production: external Services of gateway and kms missing")
        pdb = by.get("PodDisruptionBudget", {}).get(f"{rel}-chainkms-provisioning", {})
        ok(pdb.get("spec", {}).get("minAvailable") == 2, "production: provisioning PDB minAvailable")
    else:
        ok(not by.get("ServiceMonitor") and not by.get("PrometheusRule"),
           f"{profile}: monitoring objects rendered although off")
    if profile in ("minimal", "dev"):
        for s, got_s in (("registry", reg), ("kms", kms)):
            if got_s:
                ok(got_s[3].get("chain") == ["11155111=https://ethereum-sepolia-rpc.publicnode.com,"
                                             "https://rpc.sepolia.org;kms=0x5FbDB2315678afecb367f032d93F642f64180aa3"],
                   f"{s}: --chain {got_s[3].get('chain')}")


def pod_annotations(dep):
    return dep["spec"]["template"]["metadata"].get("annotations") or {}


def run(path, source, profile, rel, ns):
    with open(path) as f:
        raw = f.read()
    docs = [d for d in yaml.safe_load_all(raw) if d]
    by = index(docs)
    ok = Failures()
    ok("Secret" not in by, f"Secret objects rendered: {sorted(by.get('Secret', {}))}")
    got = {}
    for svc in SERVICES:
        r = check_service(ok, by, rel, ns, svc, profile, source)
        if r:
            got[svc] = r
    ok(len(by.get("Deployment", {})) == 4, f"{len(by.get('Deployment', {}))} Deployments, want 4")
    check_profile(ok, by, rel, ns, profile, got)
    check_network_policies(ok, by, rel, profile)
    ncm = check_configmaps(ok, by)
    check_no_secret_text(ok, raw)
    for d in docs:
        ok(d["metadata"].get("namespace") == ns, f"{d['kind']} {d['metadata']['name']}: namespace")
    if ok.items:
        for m in ok.items:
            print(f"FAIL [{profile}] {m}")
        return 1
    kinds = {k: len(v) for k, v in sorted(by.items())}
    print(f"ok [{profile}] {len(docs)} objects {kinds}; {ncm} ConfigMap entries scanned")
    return 0


def self_test(source):
    """Each check must fire on an object built to break it."""
    rel, ns = "t", "default"
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "t-chainkms-kms", "namespace": ns},
           "spec": {"selector": {"matchLabels": {"app.kubernetes.io/component": "kms"}},
                    "template": {"metadata": {}, "spec": {
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "automountServiceAccountToken": False,
                        "containers": [{"name": "kms", "securityContext": {
                            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
                            "resources": {"requests": {"cpu": "1", "memory": "1"},
                                          "limits": {"cpu": "1", "memory": "1"}},
                            "env": [{"name": "CHAINKMS_DATABASE_URL", "valueFrom": {"secretKeyRef": {}}}]}]}}}}
    fired = []

    def expect(name, fn):
        ok = Failures()
        fn(ok)
        fired.append(name)
        if not ok.items:
            print(f"FAIL self-test: the check for {name} did not fire")
            return False
        return True

    good = Failures()
    check_pod_hardening(good, "good", dep["spec"]["template"]["spec"])
    all_ok = not good.items
    if good.items:
        print(f"FAIL self-test: a good pod fails: {good.items}")
    breakers = {
        "runAsNonRoot": lambda p: p["securityContext"].update(runAsNonRoot=False),
        "seccomp": lambda p: p["securityContext"].update(seccompProfile={"type": "Unconfined"}),
        "readOnlyRootFilesystem": lambda p: p["containers"][0]["securityContext"].update(readOnlyRootFilesystem=False),
        "drop ALL": lambda p: p["containers"][0]["securityContext"].update(capabilities={}),
        "limits": lambda p: p["containers"][0]["resources"].pop("limits"),
        "plain secret env": lambda p: p["containers"][0]["env"].append({"name": "KEYSTORE_PASSWORD", "value": "x"}),
    }
    for what, breaker in breakers.items():
        pod = copy.deepcopy(dep["spec"]["template"]["spec"])
        breaker(pod)
        all_ok &= expect(what, lambda ok, pod=pod: check_pod_hardening(ok, "bad", pod))
    samples = {
        "0x private key": "key: 0x" + "ab" * 32 + "\n",
        "API key": "ck_0123456789abcdef_" + "0" * 64,
        "postgres credentials": "url: postgres://chainkms:hunter2@db:5432/chainkms",
        "PEM key": "-----BEGIN PRIVATE KEY-----\nMII...",
        "password field": '{"password": "x"}',
        "webhook secret": "whsec_" + "1" * 64,
    }
    for what, text in samples.items():
        cm = {"ConfigMap": {"c": {"metadata": {"name": "c"}, "data": {"config.json": text}}}}
        all_ok &= expect(what, lambda ok, cm=cm: check_configmaps(ok, cm))
    np_public_kms = {"NetworkPolicy": {"t-chainkms-kms": {"metadata": {"name": "t-chainkms-kms"}, "spec": {
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "kms"}},
        "ingress": [{"ports": [{"port": "grpc"}]}]}}}}
    all_ok &= expect("public kms", lambda ok: check_network_policies(ok, np_public_kms, rel, "defaults"))
    all_ok &= expect("unknown flag", lambda ok: ok("no-such-flag" in known_flags(source, "kms"), "x"))
    if all_ok:
        print(f"ok self-test: {len(fired)} checks fire on broken objects")
    return 0 if all_ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--profile", choices=["defaults", "production", "minimal", "dev"])
    p.add_argument("--release", default="t")
    p.add_argument("--namespace", default="default")
    p.add_argument("--self-test", action="store_true")
    p.add_argument("rendered", nargs="?")
    a = p.parse_args()
    if a.self_test:
        return self_test(a.source)
    return run(a.rendered, a.source, a.profile, a.release, a.namespace)


if __name__ == "__main__":
    sys.exit(main())
