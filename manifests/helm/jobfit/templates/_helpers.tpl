{{/*
Labels of jobfit's objects: what manifests/default sets (name, component,
part-of) plus Helm's. Object names are fixed (jobfit-webhook, the
MutatingWebhookConfiguration jobfit, ...) because the binary and the
alerts refer to them, so one release per cluster.
*/}}
{{- define "jobfit.labels" -}}
app.kubernetes.io/name: jobfit
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{ include "jobfit.helmLabels" .root }}
{{- end -}}

{{/*
Labels of every object, the Namespace included: part-of, as manifests/base
sets it, and Helm's own.
*/}}
{{- define "jobfit.helmLabels" -}}
app.kubernetes.io/part-of: jobfit
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ include "jobfit.version" . | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Selector labels: the same as manifests/base, so that a kustomize install
can be taken over by the chart (Deployment selectors are immutable).
*/}}
{{- define "jobfit.selectorLabels" -}}
app.kubernetes.io/name: jobfit
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "jobfit.version" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.digest | trimPrefix "sha256:" | trunc 12 }}
{{- else -}}
{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The image reference: a digest pins it and wins over the tag. */}}
{{- define "jobfit.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/*
The pod template's metadata and the scheduling fields shared by the
webhook and the scaler.
*/}}
{{- define "jobfit.podMetadata" -}}
labels:
  {{- include "jobfit.selectorLabels" . | nindent 2 }}
  app.kubernetes.io/part-of: jobfit
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .root.Values.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "jobfit.podScheduling" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{/*
jobfit.policyDocument turns .value (a bare policy document, or a ConfigMap
carrying one under data["policy.yaml"]) into the document, and fails with
a message naming .name when it is neither, or not of kind .kind.
*/}}
{{- define "jobfit.policyDocument" -}}
{{- $doc := fromYaml .value -}}
{{- if hasKey $doc "Error" -}}
{{- fail (printf "%s: not valid YAML: %s" .name (get $doc "Error")) -}}
{{- end -}}
{{- $text := .value -}}
{{- if eq (get $doc "kind" | toString) "ConfigMap" -}}
{{- $data := get $doc "data" | default dict -}}
{{- if not (hasKey $data "policy.yaml") -}}
{{- fail (printf "%s: the ConfigMap has no data[\"policy.yaml\"]" .name) -}}
{{- end -}}
{{- $text = get $data "policy.yaml" -}}
{{- $doc = fromYaml $text -}}
{{- if hasKey $doc "Error" -}}
{{- fail (printf "%s: data[\"policy.yaml\"] is not valid YAML: %s" .name (get $doc "Error")) -}}
{{- end -}}
{{- end -}}
{{- if ne (get $doc "apiVersion" | toString) "jobfit.dev/v1alpha1" -}}
{{- fail (printf "%s: apiVersion must be jobfit.dev/v1alpha1, got %q" .name (get $doc "apiVersion" | toString)) -}}
{{- end -}}
{{- if ne (get $doc "kind" | toString) .kind -}}
{{- fail (printf "%s: kind must be %s (or a ConfigMap carrying one), got %q" .name .kind (get $doc "kind" | toString)) -}}
{{- end -}}
{{- $text -}}
{{- end -}}

{{/*
jobfit.checkExisting fails when an existing policy ConfigMap named by a
value is in the cluster without the label the webhook or scaler selects
on. lookup sees the cluster only during install and upgrade; helm
template and --dry-run skip the check.
*/}}
{{- define "jobfit.checkExisting" -}}
{{- $cm := lookup "v1" "ConfigMap" .root.Release.Namespace .configMap -}}
{{- if $cm -}}
{{- $labels := $cm.metadata.labels | default dict -}}
{{- if ne (get $labels "jobfit.dev/policy" | toString) .label -}}
{{- fail (printf "%s: ConfigMap %s/%s must carry the label jobfit.dev/policy=%s" .name .root.Release.Namespace .configMap .label) -}}
{{- end -}}
{{- end -}}
{{- end -}}
