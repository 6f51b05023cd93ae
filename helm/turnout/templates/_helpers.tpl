{{/* Names: everything the release creates starts with the full name. */}}
{{- define "turnout.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "turnout.webhookName" -}}
{{- printf "%s-webhook" (include "turnout.fullname" .) -}}
{{- end -}}

{{- define "turnout.tlsSecret" -}}
{{- printf "%s-webhook-tls" (include "turnout.fullname" .) -}}
{{- end -}}

{{- define "turnout.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "turnout.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "turnout.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "turnout.sidecarImage" -}}
{{- default (include "turnout.image" .) .Values.sidecar.image -}}
{{- end -}}

{{/* native sidecars (restartPolicy Always init containers) are on by default from 1.29 */}}
{{- define "turnout.sidecarMode" -}}
{{- if eq .Values.sidecar.mode "auto" -}}
{{- if semverCompare ">=1.29.0-0" .Capabilities.KubeVersion.Version -}}native{{- else -}}container{{- end -}}
{{- else -}}
{{- .Values.sidecar.mode -}}
{{- end -}}
{{- end -}}

{{/* The Service's DNS names, which the serving certificate must carry. */}}
{{- define "turnout.dnsNames" -}}
{{- $svc := include "turnout.webhookName" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson -}}
{{- end -}}

{{/*
The generated CA and serving certificate, as a dict of base64 PEM strings
(ca.crt, tls.crt, tls.key). An existing Secret is read back so upgrades keep
the same certificate and caBundle; only a missing Secret is generated anew.
Computed once per render and cached in .Values so the Secret and the
webhook configuration agree.
*/}}
{{- define "turnout.certs" -}}
{{- if not (hasKey .Values "_generatedCerts") -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "turnout.tlsSecret" .) -}}
{{- if and $existing (hasKey $existing "data") (hasKey $existing.data "ca.crt") (hasKey $existing.data "tls.crt") (hasKey $existing.data "tls.key") -}}
{{- $_ := set .Values "_generatedCerts" (dict "ca.crt" (index $existing.data "ca.crt") "tls.crt" (index $existing.data "tls.crt") "tls.key" (index $existing.data "tls.key")) -}}
{{- else -}}
{{- $ca := genCA (printf "%s-ca" (include "turnout.webhookName" .)) (int .Values.certValidityDays) -}}
{{- $names := include "turnout.dnsNames" . | fromJsonArray -}}
{{- $cert := genSignedCert (index $names 2) nil $names (int .Values.certValidityDays) $ca -}}
{{- $_ := set .Values "_generatedCerts" (dict "ca.crt" ($ca.Cert | b64enc) "tls.crt" ($cert.Cert | b64enc) "tls.key" ($cert.Key | b64enc)) -}}
{{- end -}}
{{- end -}}
{{- toJson .Values._generatedCerts -}}
{{- end -}}
