{{/*
Shared helpers. Per-service templates range over .Values.services and call these with a context
dict, "ctx" below: (dict "root" $ "name" "<service>" "svc" <its values>).
*/}}

{{- define "chainkms.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "chainkms.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "chainkms.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Who may call whom (DESIGN §2): service -> its in-cluster clients. */}}
{{- define "chainkms.clients" -}}
gateway: []
provisioning: [gateway]
registry: [gateway, provisioning]
kms: [gateway]
{{- end -}}

{{/* Name of a service's objects: <fullname>-<service>. Arg: ctx. */}}
{{- define "chainkms.svcName" -}}
{{- printf "%s-%s" (include "chainkms.fullname" .root | trunc 40 | trimSuffix "-") .name -}}
{{- end -}}

{{- define "chainkms.headlessName" -}}
{{- printf "%s-headless" (include "chainkms.svcName" .) -}}
{{- end -}}

{{/* dns:///<headless>.<ns>.svc.<domain>:<grpc port> of service .target. Arg: dict root target. */}}
{{- define "chainkms.backendAddr" -}}
{{- $ctx := dict "root" .root "name" .target -}}
{{- $port := index .root.Values.services .target "ports" "grpc" -}}
{{- printf "dns:///%s.%s.svc.%s:%d" (include "chainkms.headlessName" $ctx) .root.Release.Namespace .root.Values.clusterDomain (int64 $port) -}}
{{- end -}}

{{- define "chainkms.labels" -}}
helm.sh/chart: {{ include "chainkms.chart" . }}
app.kubernetes.io/name: {{ include "chainkms.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: chainkms
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of every pod of the release (the default-deny policy selects these). */}}
{{- define "chainkms.instanceSelector" -}}
app.kubernetes.io/name: {{ include "chainkms.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Arg: ctx. */}}
{{- define "chainkms.svcSelector" -}}
{{ include "chainkms.instanceSelector" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Arg: ctx. */}}
{{- define "chainkms.svcLabels" -}}
{{ include "chainkms.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Arg: ctx. */}}
{{- define "chainkms.image" -}}
{{- $img := mergeOverwrite (deepCopy .root.Values.image) (default (dict) .svc.image) -}}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion ($img.tag | toString) | toString) -}}
{{- end -}}

{{- define "chainkms.imagePullPolicy" -}}
{{- $img := mergeOverwrite (deepCopy .root.Values.image) (default (dict) .svc.image) -}}
{{- $img.pullPolicy -}}
{{- end -}}

{{/* Autoscaling on? Arg: ctx. Prints "true" or nothing. */}}
{{- define "chainkms.hpaEnabled" -}}
{{- if and .svc.autoscaling .svc.autoscaling.enabled -}}true{{- end -}}
{{- end -}}

{{/* A secretKeyRef env entry. Args: dict name secret key. */}}
{{- define "chainkms.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/* Checks that cannot be said in values.schema.json (they span several values). */}}
{{- define "chainkms.validate" -}}
{{- $v := .Values -}}
{{- $ids := dict -}}
{{- $slugs := dict -}}
{{- range $i, $c := $v.chains -}}
{{- $id := printf "%d" (int64 $c.id) -}}
{{- if hasKey $ids $id -}}{{- fail (printf "chains[%d]: chain id %s given twice" $i $id) -}}{{- end -}}
{{- $_ := set $ids $id true -}}
{{- if hasKey $slugs $c.slug -}}{{- fail (printf "chains[%d]: slug %q given twice" $i $c.slug) -}}{{- end -}}
{{- $_ := set $slugs $c.slug true -}}
{{- if not $v.chainSpecSecret.name -}}
{{- if or (not $c.rpcUrls) (not $c.dstackKms) -}}
{{- fail (printf "chains[%d] (%s): rpcUrls and dstackKms are required unless chainSpecSecret.name holds the --chain value" $i $id) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $p := $v.services.provisioning -}}
{{- if eq $p.database.type "sqlite" -}}
{{- if or (gt (int $p.replicas) 1) (include "chainkms.hpaEnabled" (dict "svc" $p)) -}}
{{- fail "services.provisioning.database.type=sqlite: SQLite is one file of one replica; set replicas: 1 and autoscaling.enabled: false, or use PostgreSQL" -}}
{{- end -}}
{{- else if not $p.database.existingSecret -}}
{{- fail "services.provisioning.database.existingSecret: name the Secret holding the postgres:// URL (kubectl create secret generic chainkms-database --from-literal=url=...)" -}}
{{- end -}}
{{- $r := $v.services.registry.keystore -}}
{{- if and $r.existingSecret (not $r.passwordSecret) -}}
{{- fail "services.registry.keystore.passwordSecret: the keystores need the Secret holding their password" -}}
{{- end -}}
{{- if and $r.passwordSecret (not $r.existingSecret) -}}
{{- fail "services.registry.keystore.existingSecret: a password without keystores" -}}
{{- end -}}
{{- $k := $v.services.kms -}}
{{- if and (contains "dev" $k.attestation) (not $k.insecureDevAttestation) -}}
{{- fail "services.kms.attestation: dev also needs services.kms.insecureDevAttestation: true (dev attestations prove nothing)" -}}
{{- end -}}
{{- if and $k.collateralConfigMap $k.pccsUrl -}}
{{- fail "services.kms: collateralConfigMap (air-gapped) and pccsUrl exclude each other" -}}
{{- end -}}
{{- range $name, $svc := $v.services -}}
{{- if $svc.autoscaling.enabled -}}
{{- if gt (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas) -}}
{{- fail (printf "services.%s.autoscaling: minReplicas > maxReplicas" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* host:port for a listener in the pod. Args: dict root port. */}}
{{- define "chainkms.listenAddr" -}}
{{- $h := .root.Values.listenHost -}}
{{- if contains ":" $h -}}{{- printf "[%s]:%d" $h (int64 .port) -}}{{- else -}}{{- printf "%s:%d" $h (int64 .port) -}}{{- end -}}
{{- end -}}

{{/* The --chain value built from .Values.chains (empty when none). */}}
{{- define "chainkms.chainSpec" -}}
{{- $specs := list -}}
{{- range .Values.chains -}}
{{- $specs = append $specs (printf "%d=%s;kms=%s" (int64 .id) (join "," .rpcUrls) .dstackKms) -}}
{{- end -}}
{{- join " " $specs -}}
{{- end -}}
