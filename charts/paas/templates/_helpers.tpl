{{/* Name of every object of this release, DNS-1123 and at most 63 characters. */}}
{{- define "paas.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "paas.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: call with (list . "server"). */}}
{{- define "paas.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "paas.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- include "paas.fullname" . -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "paas.registryHost" -}}
{{- if .Values.registry.host -}}
{{- .Values.registry.host -}}
{{- else if .Values.registry.enabled -}}
{{- printf "127.0.0.1:%v" .Values.registry.service.nodePort -}}
{{- end -}}
{{- end -}}

{{/* Where the build engine pushes: the bundled registry's in-cluster Service. */}}
{{- define "paas.registryPushHost" -}}
{{- if .Values.registry.enabled -}}
{{- printf "%s-registry.%s.svc.cluster.local:%v" (include "paas.fullname" .) .Release.Namespace .Values.registry.service.port -}}
{{- else -}}
{{- include "paas.registryHost" . -}}
{{- end -}}
{{- end -}}

{{- define "paas.brokerUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s-redis.%s.svc:6379/0" (include "paas.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.redis.externalUrl -}}
{{- end -}}
{{- end -}}

{{/* Pod and container security for the components that need no privilege. */}}
{{- define "paas.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "paas.containerSecurity" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Namespace of the Gateway app routes attach to. */}}
{{- define "paas.gatewayNamespace" -}}
{{- .Values.apps.gateway.namespace | default .Release.Namespace -}}
{{- end -}}
