#!/usr/bin/env bash
# chainkms_promtool_test: the observability deliverables stay true to the code.
#
#   tests/ops/promtool_test.sh
#
# 1. promtool check rules deploy/prometheus/alerts.yml
# 2. promtool test rules deploy/prometheus/alerts_test.yml (the alerts fire, and stay silent, as the
#    unit tests say)
# 3. deploy/grafana/chainkms.json is valid JSON with a ${datasource} Prometheus variable, and every
#    panel query parses (promtool, as recording rules, Grafana variables substituted)
# 4. every metric registered in lib/ and services/ (prometheus::Build* ... .Name("...") and the
#    "chainkms_..." names next to them) has a row in docs/metrics.md, every chainkms_ row is still
#    registered, and the dashboard and the alert rules query only documented metrics (or the
#    Prometheus built-ins up, scrape_*)
#
# promtool is the Debian package `prometheus` (scripts/setup installs it); without it this test
# FAILS, it never skips. Needs python3 (standard library only). Writes only to a temporary
# directory, removed on exit.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$SRC"

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v promtool >/dev/null 2>&1 ||
  fail "promtool not found: install the Debian package 'prometheus' (scripts/setup does; or: apt-get install --no-install-recommends prometheus)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found"
echo "promtool: $(promtool --version 2>&1 | head -1)"

RULES=deploy/prometheus/alerts.yml
RULES_TEST=deploy/prometheus/alerts_test.yml
DASHBOARD=deploy/grafana/chainkms.json
DOC=docs/metrics.md
for f in "$RULES" "$RULES_TEST" "$DASHBOARD" "$DOC"; do
  [ -f "$f" ] || fail "$f missing"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chainkms-promtool-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

promtool check rules "$RULES" || fail "promtool check rules $RULES"
promtool test rules "$RULES_TEST" || fail "promtool test rules $RULES_TEST"

python3 - "$RULES" "$DASHBOARD" "$DOC" "$WORK/dashboard_rules.yml" <<'EOF' || fail "metric names / dashboard check"
import json
import os
import re
import sys

rules_path, dashboard_path, doc_path, out_rules = sys.argv[1:5]
errors = []

# --- Metrics the C++ code registers -------------------------------------------------------------
# Files under lib/ and services/ (tests excluded) that use prometheus-cpp: every .Name("...") of
# a builder, and every "chainkms_..." string literal (a name kept in a constant still counts).
registered = {}
for top in ("lib", "services"):
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".cc", ".h", ".cpp", ".hpp")) or name.endswith("_test.cc"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if "prometheus::" not in text:
                continue
            names = set(re.findall(r'\.Name\(\s*"([^"]+)"', text))
            names |= set(re.findall(r'"(chainkms_[a-z0-9_]+)"', text))
            for n in names:
                registered.setdefault(n, path)
if len(registered) < 10:
    errors.append(f"only {len(registered)} registered metric names found in lib/ and services/: "
                  "the scan is stale (how are metrics registered now?)")

# --- The table of docs/metrics.md ---------------------------------------------------------------
with open(doc_path, encoding="utf-8") as f:
    doc = f.read()
documented = set(re.findall(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|", doc, re.M))
if not documented:
    errors.append(f"{doc_path}: no metric table rows (| `name` | ...)")
for n, path in sorted(registered.items()):
    if n not in documented:
        errors.append(f"{n} (registered in {path}) has no row in {doc_path}")
for n in sorted(documented):
    if n.startswith("chainkms_") and n not in registered:
        errors.append(f"{doc_path} documents {n}, which no source in lib/ or services/ registers")

BUILTINS = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
            "and", "or", "unless", "inf", "nan", "atan2"}


def metric_names(expr):
    """Metric names a PromQL expression selects (functions, labels and keywords left out)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"'(?:[^'\\]|\\.)*'", "''", e)
    e = re.sub(r"`[^`]*`", "``", e)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    out = set()
    for m in re.finditer(r"(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:])(?!\s*\()", e):
        if m.group(1).lower() not in KEYWORDS:
            out.add(m.group(1))
    return out


def known(name):
    if name in BUILTINS or name in documented:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in documented:
            return True
    return False


# --- The alert rules: only documented metrics ----------------------------------------------------
# alerts.yml keeps `expr:` either on one line or as a block scalar (|, |-, >, >-).
def rule_exprs(path):
    exprs = []
    lines = open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:-\s+)?expr:\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, rest = len(m.group(1)), m.group(2).strip()
        if rest in ("|", "|-", "|+", ">", ">-", ">+"):
            block = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                i += 1
            exprs.append(" ".join(block))
        else:
            if len(rest) >= 2 and rest[0] == rest[-1] and rest[0] in "'\"":
                rest = rest[1:-1]
            exprs.append(rest)
            i += 1
    return exprs


alert_exprs = rule_exprs(rules_path)
if not alert_exprs:
    errors.append(f"{rules_path}: no expr found")
for expr in alert_exprs:
    for n in sorted(metric_names(expr)):
        if not known(n):
            errors.append(f"{rules_path}: {n} is not in {doc_path} (expr: {expr[:100]}...)")

# --- The dashboard -------------------------------------------------------------------------------
try:
    with open(dashboard_path, encoding="utf-8") as f:
        dash = json.load(f)
except (OSError, ValueError) as e:
    print(f"FAIL: {dashboard_path}: {e}", file=sys.stderr)
    sys.exit(1)

if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
    errors.append(f"{dashboard_path}: schemaVersion {dash.get('schemaVersion')!r} (want >= 36)")
for key in ("title", "uid", "panels", "templating"):
    if key not in dash:
        errors.append(f"{dashboard_path}: no {key}")
variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
ds = variables.get("datasource")
if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
    errors.append(f"{dashboard_path}: no 'datasource' variable of type datasource/prometheus")
if "service" not in variables:
    errors.append(f"{dashboard_path}: no 'service' variable")


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


ids = []
queries = []
for p in all_panels(dash.get("panels", [])):
    ids.append(p.get("id"))
    if "gridPos" not in p:
        errors.append(f"{dashboard_path}: panel {p.get('title')!r} has no gridPos")
    for t in p.get("targets", []):
        expr = t.get("expr", "")
        if not expr.strip():
            errors.append(f"{dashboard_path}: panel {p.get('title')!r} has a target without expr")
            continue
        uid = (t.get("datasource") or p.get("datasource") or {}).get("uid")
        if uid != "${datasource}":
            errors.append(f"{dashboard_path}: panel {p.get('title')!r}: datasource uid {uid!r}, "
                          "want ${datasource}")
        queries.append((p.get("title"), expr))
        for n in sorted(metric_names(expr)):
            if not known(n):
                errors.append(f"{dashboard_path}: panel {p.get('title')!r} queries {n}, "
                              f"which is not in {doc_path}")
if len(ids) != len(set(ids)):
    errors.append(f"{dashboard_path}: duplicate panel ids")
if not queries:
    errors.append(f"{dashboard_path}: no panel queries")

# Every query as a recording rule, so that promtool parses it.
subst = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "${service}": ".*",
         "$service": ".*"}
with open(out_rules, "w", encoding="utf-8") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (_, expr) in enumerate(queries):
        for k, v in subst.items():
            expr = expr.replace(k, v)
        f.write(f"      - record: dashboard:query_{i}\n        expr: {json.dumps(expr)}\n")

for e in errors:
    print(f"  {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"metrics: {len(registered)} registered in the sources, all in {doc_path}; "
      f"{len(alert_exprs)} alert expressions and {len(queries)} dashboard queries use documented "
      "metrics only")
EOF

promtool check rules "$WORK/dashboard_rules.yml" >"$WORK/dashboard_check.txt" 2>&1 ||
  { cat "$WORK/dashboard_check.txt" >&2; fail "a dashboard query does not parse (promtool)"; }
echo "dashboard: every query parses"
echo "PASS: chainkms_promtool_test"
