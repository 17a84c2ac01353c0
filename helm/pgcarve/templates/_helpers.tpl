{{/*
The chart name, or nameOverride.
*/}}
{{- define "pgcarve.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full resource name: fullnameOverride, else the release name when it already contains the
chart name, else <release>-<chart>. It is also the Service name, so Prometheus's `job` label.
*/}}
{{- define "pgcarve.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pgcarve.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the sidecar's pod (stable across upgrades: never add the version here).
*/}}
{{- define "pgcarve.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pgcarve.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: sidecar
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "pgcarve.labels" -}}
helm.sh/chart: {{ include "pgcarve.chart" . }}
app.kubernetes.io/name: {{ include "pgcarve.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pgcarve
{{- end }}

{{- define "pgcarve.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The ServiceAccount of the sidecar.
*/}}
{{- define "pgcarve.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pgcarve.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Non-secret settings as a map of environment variable to value: the ConfigMap's data, and the
migrate Job's env (a pre-install hook runs before the ConfigMap exists).
*/}}
{{- define "pgcarve.settings" -}}
PGCARVE_SLOT: {{ .Values.config.slot | quote }}
PGCARVE_PUBLICATION: {{ .Values.config.publication | quote }}
PGCARVE_HTTP_PORT: {{ .Values.config.httpPort | int | quote }}
PGCARVE_HTTP_HOST: {{ .Values.config.httpHost | quote }}
PGCARVE_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
PGCARVE_DRIFT_INTERVAL_SECONDS: {{ .Values.config.driftIntervalSeconds | int | quote }}
PGCARVE_BATCH_MAX_TRANSACTIONS: {{ .Values.config.batchMaxTransactions | int | quote }}
PGCARVE_BATCH_MAX_LATENCY_MS: {{ .Values.config.batchMaxLatencyMs | int | quote }}
PGCARVE_BACKFILL_CONCURRENCY: {{ .Values.config.backfillConcurrency | int | quote }}
PGCARVE_TARGET_QUEUE_BYTES: {{ .Values.config.targetQueueBytes | int | quote }}
{{- end }}

{{/*
The six database URLs, each from the existing Secret (never from values).
*/}}
{{- define "pgcarve.databaseEnv" -}}
{{- $secret := .Values.database.existingSecret }}
{{- $keys := .Values.database.secretKeys }}
{{- range $env, $key := dict "DATABASE_URL_LEGACY" $keys.legacy "DATABASE_URL_USER_SERVICE" $keys.userService "DATABASE_URL_DOCUMENT_SERVICE" $keys.documentService "DATABASE_URL_FREEZONE_SERVICE" $keys.freezoneService "DATABASE_URL_AI_RESEARCH_SERVICE" $keys.aiResearchService "DATABASE_URL_SCRAPER_SERVICE" $keys.scraperService }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- end }}
