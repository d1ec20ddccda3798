{{/*
What differs between the services, as YAML that templates/deployment.yaml reads with fromYaml:
  args            the service's own flags (the common ones are added by deployment.yaml)
  env             more env entries (secrets only ever as secretKeyRef)
  volumes         more pod volumes
  volumeMounts    more mounts of the service's container
  initContainers  (kms only) copies each chain's root keys out of its Secret
Every template takes the ctx dict (root, name, svc).
*/}}

{{- define "chainkms.spec.gateway" -}}
{{- $root := .root -}}
{{- $s := .svc -}}
args:
  - --http-listen={{ include "chainkms.listenAddr" (dict "root" $root "port" $s.ports.http) }}
  - --provisioning={{ include "chainkms.backendAddr" (dict "root" $root "target" "provisioning") }}
  - --registry={{ include "chainkms.backendAddr" (dict "root" $root "target" "registry") }}
  - --kms={{ include "chainkms.backendAddr" (dict "root" $root "target" "kms") }}
  - --rate-limit={{ int64 $s.rateLimit }}
  - --rate-burst={{ int64 $s.rateBurst }}
  - --backend-timeout={{ $s.backendTimeout }}
{{- with $s.corsOrigins }}
  - --cors-origins={{ join "," . }}
{{- end }}
{{- if $s.custodialSigners }}
{{- $specs := list }}
{{- range $ws := keys $s.custodialSigners | sortAlpha }}
{{- $specs = append $specs (printf "%s=%s" $ws (join "," (index $s.custodialSigners $ws))) }}
{{- end }}
  - --custodial-signers={{ join " " $specs }}
{{- end }}
{{- end -}}

{{- define "chainkms.spec.provisioning" -}}
{{- $root := .root -}}
{{- $s := .svc -}}
{{- $kms := list -}}
{{- range $root.Values.chains -}}
{{- $url := default $root.Values.services.kms.publicUrl .kmsUrl -}}
{{- if $url -}}
{{- $kms = append $kms (printf "%s=%d;url=%s" .slug (int64 .id) $url) -}}
{{- else -}}
{{- $kms = append $kms (printf "%s=%d" .slug (int64 .id)) -}}
{{- end -}}
{{- end -}}
args:
  - --registry={{ include "chainkms.backendAddr" (dict "root" $root "target" "registry") }}
{{- if $kms }}
  - --kms={{ join " " $kms }}
{{- end }}
{{- if and $s.nodes (not $s.nodesSecret.name) }}
  - --node={{ join " " $s.nodes }}
{{- end }}
{{- with $s.publicUrl }}
  - --public-url={{ . }}
{{- end }}
  - --commit-token-ttl={{ $s.commitTokenTtl }}
  - --webhook-retry-delays={{ join "," $s.webhookRetryDelays }}
  - --replica=$(POD_NAME)
{{- if eq $s.database.type "sqlite" }}
  - --database-url=sqlite:/var/lib/chainkms/provisioning/provisioning.db
{{- else }}
  - --database-pool-size={{ int64 $s.database.poolSize }}
{{- end }}
{{- if $s.vmmToken.existingSecret }}
  - --vmm-token-env=VMM_BEARER_TOKEN
{{- end }}
env:
{{- if ne $s.database.type "sqlite" }}
{{ include "chainkms.secretEnv" (dict "name" "CHAINKMS_DATABASE_URL" "secret" $s.database.existingSecret "key" $s.database.key) | indent 2 }}
{{- end }}
{{- if $s.nodesSecret.name }}
{{ include "chainkms.secretEnv" (dict "name" "CHAINKMS_NODE" "secret" $s.nodesSecret.name "key" $s.nodesSecret.key) | indent 2 }}
{{- end }}
{{- if $s.vmmToken.existingSecret }}
{{ include "chainkms.secretEnv" (dict "name" "VMM_BEARER_TOKEN" "secret" $s.vmmToken.existingSecret "key" $s.vmmToken.key) | indent 2 }}
{{- end }}
volumes:
{{- if eq $s.database.type "sqlite" }}
  - name: sqlite
{{- if $s.database.sqlite.existingClaim }}
    persistentVolumeClaim:
      claimName: {{ $s.database.sqlite.existingClaim }}
{{- else }}
    emptyDir: {}
{{- end }}
{{- end }}
volumeMounts:
{{- if eq $s.database.type "sqlite" }}
  - name: sqlite
    mountPath: /var/lib/chainkms/provisioning
{{- end }}
{{- end -}}

{{- define "chainkms.spec.registry" -}}
{{- $root := .root -}}
{{- $s := .svc -}}
{{- $ks := $s.keystore -}}
args:
{{- if not $root.Values.chainSpecSecret.name }}
{{- with include "chainkms.chainSpec" $root }}
  - --chain={{ . }}
{{- end }}
{{- end }}
  - --default-confirmations={{ int64 $s.defaultConfirmations }}
  - --max-concurrent-streams={{ int64 $s.maxConcurrentStreams }}
{{- if $ks.existingSecret }}
  - --keystore-dir=/etc/chainkms/keystore
{{- if eq $ks.passwordFrom "env" }}
  - --keystore-password-env=KEYSTORE_PASSWORD
{{- else }}
  - --keystore-password-file=/etc/chainkms/keystore-password/password
{{- end }}
{{- end }}
env:
{{- if $root.Values.chainSpecSecret.name }}
{{ include "chainkms.secretEnv" (dict "name" "CHAINKMS_CHAIN" "secret" $root.Values.chainSpecSecret.name "key" $root.Values.chainSpecSecret.key) | indent 2 }}
{{- end }}
{{- if and $ks.existingSecret (eq $ks.passwordFrom "env") }}
{{ include "chainkms.secretEnv" (dict "name" "KEYSTORE_PASSWORD" "secret" $ks.passwordSecret "key" $ks.passwordKey) | indent 2 }}
{{- end }}
volumes:
{{- if $ks.existingSecret }}
  - name: keystore
    secret:
      secretName: {{ $ks.existingSecret }}
      defaultMode: 0440
{{- if ne $ks.passwordFrom "env" }}
  - name: keystore-password
    secret:
      secretName: {{ $ks.passwordSecret }}
      defaultMode: 0440
      items:
        - key: {{ $ks.passwordKey }}
          path: password
{{- end }}
{{- end }}
volumeMounts:
{{- if $ks.existingSecret }}
  - name: keystore
    mountPath: /etc/chainkms/keystore
    readOnly: true
{{- if ne $ks.passwordFrom "env" }}
  - name: keystore-password
    mountPath: /etc/chainkms/keystore-password
    readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{/*
kms root keys. The kms refuses a key file readable by group or others, but a Secret volume in a
pod with fsGroup is group-readable (0440) and without fsGroup unreadable by uid 10001; so an init
container copies each chain's files into a memory-backed emptyDir with mode 0400, owned by the
kms user. The Secrets stay mounted in the init container only.
*/}}
{{- define "chainkms.spec.kms" -}}
{{- $root := .root -}}
{{- $s := .svc -}}
{{- $keyDirs := list -}}
{{- range $root.Values.chains -}}
{{- $keyDirs = append $keyDirs (printf "%d=/var/run/chainkms/kms-keys/%d" (int64 .id) (int64 .id)) -}}
{{- end -}}
args:
{{- if not $root.Values.chainSpecSecret.name }}
{{- with include "chainkms.chainSpec" $root }}
  - --chain={{ . }}
{{- end }}
{{- end }}
{{- if $keyDirs }}
  - --key-dir={{ join " " $keyDirs }}
{{- end }}
  - --attestation={{ $s.attestation }}
{{- with $s.pccsUrl }}
  - --pccs-url={{ . }}
{{- end }}
{{- if $s.collateralConfigMap }}
  - --collateral-dir=/etc/chainkms/collateral
{{- end }}
  - --tcb-accept-status={{ join "," $s.tcbAcceptStatus }}
{{- with $s.tcbAcceptAdvisories }}
  - --tcb-accept-advisories={{ join "," . }}
{{- end }}
{{- if $s.osImageMeasurements }}
  - --os-image-measurements=/etc/chainkms/os-images/os-image-measurements.json
{{- end }}
  - --confirmations={{ int64 $s.confirmations }}
{{- if eq $s.auditLog.destination "stdout" }}
  - --audit-log=-
{{- else }}
  - --audit-log=/var/lib/chainkms/audit/$(POD_NAME).log
{{- end }}
  - --replica=$(POD_NAME)
{{- if $s.insecureDevAttestation }}
  - --insecure-dev-attestation
{{- end }}
{{- if $s.insecureUnmeasuredOsImage }}
  - --insecure-unmeasured-os-image
{{- end }}
env:
{{- if $root.Values.chainSpecSecret.name }}
{{ include "chainkms.secretEnv" (dict "name" "CHAINKMS_CHAIN" "secret" $root.Values.chainSpecSecret.name "key" $root.Values.chainSpecSecret.key) | indent 2 }}
{{- end }}
initContainers:
{{- if $root.Values.chains }}
  - name: root-keys
    command:
      - /bin/sh
      - -ec
      - |
        umask 077
{{- range $root.Values.chains }}
        for f in root-ca.key root-k256.key root-ca.crt; do install -D -m 0400 /etc/chainkms/kms-root-keys/{{ int64 .id }}/$f /var/run/chainkms/kms-keys/{{ int64 .id }}/$f; done
{{- end }}
    volumeMounts:
      - name: kms-keys
        mountPath: /var/run/chainkms/kms-keys
{{- range $root.Values.chains }}
      - name: kms-root-keys-{{ int64 .id }}
        mountPath: /etc/chainkms/kms-root-keys/{{ int64 .id }}
        readOnly: true
{{- end }}
{{- end }}
volumes:
{{- if $root.Values.chains }}
  - name: kms-keys
    emptyDir:
      medium: Memory
      sizeLimit: 1Mi
{{- range $root.Values.chains }}
  - name: kms-root-keys-{{ int64 .id }}
    secret:
      secretName: {{ .kmsRootKeysSecret }}
      defaultMode: 0440
{{- end }}
{{- end }}
{{- if ne $s.auditLog.destination "stdout" }}
  - name: audit
{{- if $s.auditLog.existingClaim }}
    persistentVolumeClaim:
      claimName: {{ $s.auditLog.existingClaim }}
{{- else }}
    emptyDir:
      sizeLimit: {{ $s.auditLog.sizeLimit }}
{{- end }}
{{- end }}
{{- if $s.osImageMeasurements }}
  - name: os-images
    configMap:
      name: {{ include "chainkms.svcName" . }}
{{- end }}
{{- with $s.collateralConfigMap }}
  - name: collateral
    configMap:
      name: {{ . }}
{{- end }}
volumeMounts:
{{- if $root.Values.chains }}
  - name: kms-keys
    mountPath: /var/run/chainkms/kms-keys
    readOnly: true
{{- end }}
{{- if ne $s.auditLog.destination "stdout" }}
  - name: audit
    mountPath: /var/lib/chainkms/audit
{{- end }}
{{- if $s.osImageMeasurements }}
  - name: os-images
    mountPath: /etc/chainkms/os-images
    readOnly: true
{{- end }}
{{- if $s.collateralConfigMap }}
  - name: collateral
    mountPath: /etc/chainkms/collateral
    readOnly: true
{{- end }}
{{- end -}}
