/**
 * Hand-checked k8s.io/api wire format of fields newer than the generated table (generated-messages.ts, from
 * upstream v1.20.2): message → field number → JSON name and type, laid over it by table.ts (only numbers the
 * generated message lacks; messages it lacks are added). Numbers are upstream's generated.proto (core/v1, batch/v1,
 * apps/v1, autoscaling/v1, meta/v1, ...) and checked against kubectl's own bytes (test/unit/api/protobuf.test.ts).
 */

export type ScalarType =
  /** length-delimited UTF-8 */
  | 'string'
  /** repeated string */
  | 'strings'
  /** bytes, as base64 in JSON */
  | 'bytes'
  /** int32/int64 (negative values arrive as 10-byte two's complement) */
  | 'int'
  /** repeated int32/int64, packed or not */
  | 'ints'
  | 'bool'
  /** meta/v1 Time {seconds, nanos} → RFC 3339 text */
  | 'time'
  /** map<string,string> */
  | 'map'
  /** map<string,bytes>, values base64 in JSON */
  | 'bytesmap'
  /** resource.Quantity → its text */
  | 'quantity'
  /** map<string,Quantity> */
  | 'quantitymap'
  /** intstr.IntOrString → a number or a string */
  | 'intorstring'
  /** meta/v1 FieldsV1 {raw bytes} → the JSON object those bytes hold (managedFields' fieldsV1) */
  | 'fieldsv1';

export type ProtoField =
  | {
      name: string;
      type: ScalarType;
      /** Go pointer fields: present means set, so a zero value is kept (replicas: 0, optional: false). */
      keepZero?: boolean;
    }
  | {
      name: string;
      type: 'message';
      message: string;
      repeated?: boolean;
      /** An embedded Go struct (json:",inline"): its fields land in the parent's JSON object. */
      inline?: boolean;
    };

type Fields = Record<number, ProtoField>;

const s = (name: string, keepZero?: boolean): ProtoField => ({ name, type: 'string', ...(keepZero ? { keepZero } : {}) });
const ss = (name: string): ProtoField => ({ name, type: 'strings' });
const i = (name: string, keepZero?: boolean): ProtoField => ({ name, type: 'int', ...(keepZero ? { keepZero } : {}) });
const b = (name: string, keepZero?: boolean): ProtoField => ({ name, type: 'bool', ...(keepZero ? { keepZero } : {}) });
const t = (name: string, type: ScalarType): ProtoField => ({ name, type });
const m = (name: string, message: string): ProtoField => ({ name, type: 'message', message });
const ms = (name: string, message: string): ProtoField => ({ name, type: 'message', message, repeated: true });
const inline = (message: string): ProtoField => ({ name: message, type: 'message', message, inline: true });

/** An object kind: metadata, spec, status. */
const kind = (spec: string, status: string): Fields => ({ 1: m('metadata', 'ObjectMeta'), 2: m('spec', spec), 3: m('status', status) });

export const PROTO_MESSAGES: Record<string, Fields> = {
  // ---- meta/v1
  ObjectMeta: {
    1: s('name'), 2: s('generateName'), 3: s('namespace'), 4: s('selfLink'), 5: s('uid'), 6: s('resourceVersion'), 7: i('generation'),
    8: t('creationTimestamp', 'time'), 9: t('deletionTimestamp', 'time'), 10: i('deletionGracePeriodSeconds', true), 11: t('labels', 'map'),
    12: t('annotations', 'map'), 13: ms('ownerReferences', 'OwnerReference'), 14: ss('finalizers'), 17: ms('managedFields', 'ManagedFieldsEntry'),
  },
  // Sent back by kubectl commands that GET then PUT a whole object (`kubectl certificate approve`).
  ManagedFieldsEntry: {
    1: s('manager'), 2: s('operation'), 3: s('apiVersion'), 4: t('time', 'time'), 6: s('fieldsType'), 7: t('fieldsV1', 'fieldsv1'), 8: s('subresource'),
  },
  OwnerReference: { 1: s('kind'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: b('controller', true), 7: b('blockOwnerDeletion', true) },
  LabelSelector: { 1: t('matchLabels', 'map'), 2: ms('matchExpressions', 'LabelSelectorRequirement') },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: ss('values') },
  Time: { 1: i('seconds'), 2: i('nanos') },
  IntOrString: { 1: i('type'), 2: i('intVal'), 3: s('strVal') },
  Quantity: { 1: s('string') },

  // ---- core/v1 kinds
  Namespace: kind('NamespaceSpec', 'NamespaceStatus'),
  NamespaceSpec: { 1: ss('finalizers') },
  NamespaceStatus: { 1: s('phase') },
  ConfigMap: { 1: m('metadata', 'ObjectMeta'), 2: t('data', 'map'), 3: t('binaryData', 'bytesmap'), 4: b('immutable', true) },
  Secret: { 1: m('metadata', 'ObjectMeta'), 2: t('data', 'bytesmap'), 3: s('type'), 4: t('stringData', 'map'), 5: b('immutable', true) },
  ServiceAccount: { 1: m('metadata', 'ObjectMeta'), 3: ms('imagePullSecrets', 'LocalObjectReference'), 4: b('automountServiceAccountToken', true) },
  LocalObjectReference: { 1: s('name') },
  Service: kind('ServiceSpec', 'ServiceStatus'),
  ServiceSpec: {
    1: ms('ports', 'ServicePort'), 2: t('selector', 'map'), 3: s('clusterIP'), 4: s('type'), 5: ss('externalIPs'), 7: s('sessionAffinity'),
    8: s('loadBalancerIP'), 9: ss('loadBalancerSourceRanges'), 10: s('externalName'), 11: s('externalTrafficPolicy'), 12: i('healthCheckNodePort'),
    13: b('publishNotReadyAddresses'),
  },
  ServicePort: { 1: s('name'), 2: s('protocol'), 3: i('port'), 4: t('targetPort', 'intorstring'), 5: i('nodePort'), 6: s('appProtocol', true) },
  ServiceStatus: { 1: m('loadBalancer', 'LoadBalancerStatus') },
  LoadBalancerStatus: {},

  // ---- core/v1 pod template
  PodTemplateSpec: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'PodSpec') },
  PodSpec: {
    1: ms('volumes', 'Volume'), 2: ms('containers', 'Container'), 3: s('restartPolicy'), 4: i('terminationGracePeriodSeconds', true),
    5: i('activeDeadlineSeconds', true), 6: s('dnsPolicy'), 7: t('nodeSelector', 'map'), 8: s('serviceAccountName'), 9: s('serviceAccount'),
    10: s('nodeName'), 11: b('hostNetwork'), 12: b('hostPID'), 13: b('hostIPC'), 14: m('securityContext', 'PodSecurityContext'),
    15: ms('imagePullSecrets', 'LocalObjectReference'), 16: s('hostname'), 17: s('subdomain'), 18: m('affinity', 'Affinity'), 19: s('schedulerName'),
    20: ms('initContainers', 'Container'), 21: b('automountServiceAccountToken', true), 22: ms('tolerations', 'Toleration'),
    23: ms('hostAliases', 'HostAlias'), 24: s('priorityClassName'), 25: i('priority', true), 26: m('dnsConfig', 'PodDNSConfig'),
    27: b('shareProcessNamespace', true), 28: ms('readinessGates', 'PodReadinessGate'), 29: s('runtimeClassName', true),
    30: b('enableServiceLinks', true), 31: s('preemptionPolicy', true), 32: t('overhead', 'quantitymap'),
    33: ms('topologySpreadConstraints', 'TopologySpreadConstraint'), 35: b('setHostnameAsFQDN', true), 36: m('os', 'PodOS'),
    37: b('hostUsers', true), 38: ms('schedulingGates', 'PodSchedulingGate'),
  },
  Container: {
    1: s('name'), 2: s('image'), 3: ss('command'), 4: ss('args'), 5: s('workingDir'), 6: ms('ports', 'ContainerPort'), 7: ms('env', 'EnvVar'),
    8: m('resources', 'ResourceRequirements'), 9: ms('volumeMounts', 'VolumeMount'), 10: m('livenessProbe', 'Probe'), 11: m('readinessProbe', 'Probe'),
    12: m('lifecycle', 'Lifecycle'), 13: s('terminationMessagePath'), 14: s('imagePullPolicy'), 15: m('securityContext', 'SecurityContext'),
    16: b('stdin'), 17: b('stdinOnce'), 18: b('tty'), 19: ms('envFrom', 'EnvFromSource'), 20: s('terminationMessagePolicy'),
    21: ms('volumeDevices', 'VolumeDevice'), 22: m('startupProbe', 'Probe'), 23: ms('resizePolicy', 'ContainerResizePolicy'), 24: s('restartPolicy', true),
  },
  VolumeDevice: { 1: s('name'), 2: s('devicePath') },
  ContainerResizePolicy: { 1: s('resourceName'), 2: s('restartPolicy') },
  ContainerPort: { 1: s('name'), 2: i('hostPort'), 3: i('containerPort'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: s('name'), 2: s('value'), 3: m('valueFrom', 'EnvVarSource') },
  EnvVarSource: { 1: m('fieldRef', 'ObjectFieldSelector'), 2: m('resourceFieldRef', 'ResourceFieldSelector'), 3: m('configMapKeyRef', 'ConfigMapKeySelector'), 4: m('secretKeyRef', 'SecretKeySelector') },
  ObjectFieldSelector: { 1: s('apiVersion'), 2: s('fieldPath') },
  ResourceFieldSelector: { 1: s('containerName'), 2: s('resource'), 3: t('divisor', 'quantity') },
  ConfigMapKeySelector: { 1: inline('LocalObjectReference'), 2: s('key'), 3: b('optional', true) },
  SecretKeySelector: { 1: inline('LocalObjectReference'), 2: s('key'), 3: b('optional', true) },
  EnvFromSource: { 1: s('prefix'), 2: m('configMapRef', 'ConfigMapEnvSource'), 3: m('secretRef', 'SecretEnvSource') },
  ConfigMapEnvSource: { 1: inline('LocalObjectReference'), 2: b('optional', true) },
  SecretEnvSource: { 1: inline('LocalObjectReference'), 2: b('optional', true) },
  ResourceRequirements: { 1: t('limits', 'quantitymap'), 2: t('requests', 'quantitymap') },
  VolumeMount: { 1: s('name'), 2: b('readOnly'), 3: s('mountPath'), 4: s('subPath'), 5: s('mountPropagation', true), 6: s('subPathExpr'), 7: s('recursiveReadOnly', true) },
  SecurityContext: {
    1: m('capabilities', 'Capabilities'), 2: b('privileged', true), 3: m('seLinuxOptions', 'SELinuxOptions'), 4: i('runAsUser', true),
    5: b('runAsNonRoot', true), 6: b('readOnlyRootFilesystem', true), 7: b('allowPrivilegeEscalation', true), 8: i('runAsGroup', true),
    9: s('procMount', true), 11: m('seccompProfile', 'SeccompProfile'), 12: m('appArmorProfile', 'AppArmorProfile'),
  },
  Capabilities: { 1: ss('add'), 2: ss('drop') },
  SELinuxOptions: { 1: s('user'), 2: s('role'), 3: s('type'), 4: s('level') },
  SeccompProfile: { 1: s('type'), 2: s('localhostProfile', true) },
  AppArmorProfile: { 1: s('type'), 2: s('localhostProfile', true) },
  PodSecurityContext: {
    1: m('seLinuxOptions', 'SELinuxOptions'), 2: i('runAsUser', true), 3: b('runAsNonRoot', true), 4: t('supplementalGroups', 'ints'),
    5: i('fsGroup', true), 6: i('runAsGroup', true), 7: ms('sysctls', 'Sysctl'), 9: s('fsGroupChangePolicy', true),
    10: m('seccompProfile', 'SeccompProfile'), 11: m('appArmorProfile', 'AppArmorProfile'), 12: s('supplementalGroupsPolicy', true),
  },
  Sysctl: { 1: s('name'), 2: s('value') },
  Toleration: { 1: s('key'), 2: s('operator'), 3: s('value'), 4: s('effect'), 5: i('tolerationSeconds', true) },
  HostAlias: { 1: s('ip'), 2: ss('hostnames') },
  PodDNSConfig: { 1: ss('nameservers'), 2: ss('searches'), 3: ms('options', 'PodDNSConfigOption') },
  PodDNSConfigOption: { 1: s('name'), 2: s('value', true) },
  PodReadinessGate: { 1: s('conditionType') },
  PodSchedulingGate: { 1: s('name') },
  PodOS: { 1: s('name') },
  TopologySpreadConstraint: {
    1: i('maxSkew'), 2: s('topologyKey'), 3: s('whenUnsatisfiable'), 4: m('labelSelector', 'LabelSelector'), 5: i('minDomains', true),
    6: s('nodeAffinityPolicy', true), 7: s('nodeTaintsPolicy', true), 8: ss('matchLabelKeys'),
  },
  Affinity: { 1: m('nodeAffinity', 'NodeAffinity'), 2: m('podAffinity', 'PodAffinity'), 3: m('podAntiAffinity', 'PodAffinity') },
  NodeAffinity: { 1: m('requiredDuringSchedulingIgnoredDuringExecution', 'NodeSelector'), 2: ms('preferredDuringSchedulingIgnoredDuringExecution', 'PreferredSchedulingTerm') },
  NodeSelector: { 1: ms('nodeSelectorTerms', 'NodeSelectorTerm') },
  NodeSelectorTerm: { 1: ms('matchExpressions', 'NodeSelectorRequirement'), 2: ms('matchFields', 'NodeSelectorRequirement') },
  NodeSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: ss('values') },
  PreferredSchedulingTerm: { 1: i('weight'), 2: m('preference', 'NodeSelectorTerm') },
  // PodAntiAffinity has the same two fields as PodAffinity.
  PodAffinity: { 1: ms('requiredDuringSchedulingIgnoredDuringExecution', 'PodAffinityTerm'), 2: ms('preferredDuringSchedulingIgnoredDuringExecution', 'WeightedPodAffinityTerm') },
  PodAffinityTerm: { 1: m('labelSelector', 'LabelSelector'), 2: ss('namespaces'), 3: s('topologyKey'), 4: m('namespaceSelector', 'LabelSelector'), 5: ss('matchLabelKeys'), 6: ss('mismatchLabelKeys') },
  WeightedPodAffinityTerm: { 1: i('weight'), 2: m('podAffinityTerm', 'PodAffinityTerm') },
  Probe: {
    1: inline('ProbeHandler'), 2: i('initialDelaySeconds'), 3: i('timeoutSeconds'), 4: i('periodSeconds'), 5: i('successThreshold'),
    6: i('failureThreshold'), 7: i('terminationGracePeriodSeconds', true),
  },
  ProbeHandler: { 1: m('exec', 'ExecAction'), 2: m('httpGet', 'HTTPGetAction'), 3: m('tcpSocket', 'TCPSocketAction'), 4: m('grpc', 'GRPCAction') },
  ExecAction: { 1: ss('command') },
  HTTPGetAction: { 1: s('path'), 2: t('port', 'intorstring'), 3: s('host'), 4: s('scheme'), 5: ms('httpHeaders', 'HTTPHeader') },
  HTTPHeader: { 1: s('name'), 2: s('value') },
  TCPSocketAction: { 1: t('port', 'intorstring'), 2: s('host') },
  GRPCAction: { 1: i('port'), 2: s('service', true) },
  Lifecycle: { 1: m('postStart', 'LifecycleHandler'), 2: m('preStop', 'LifecycleHandler') },
  LifecycleHandler: { 1: m('exec', 'ExecAction'), 2: m('httpGet', 'HTTPGetAction'), 3: m('tcpSocket', 'TCPSocketAction'), 4: m('sleep', 'SleepAction') },
  SleepAction: { 1: i('seconds') },
  Volume: { 1: s('name'), 2: inline('VolumeSource') },
  VolumeSource: {
    1: m('hostPath', 'HostPathVolumeSource'), 2: m('emptyDir', 'EmptyDirVolumeSource'), 6: m('secret', 'SecretVolumeSource'), 7: m('nfs', 'NFSVolumeSource'),
    10: m('persistentVolumeClaim', 'PersistentVolumeClaimVolumeSource'), 16: m('downwardAPI', 'DownwardAPIVolumeSource'), 19: m('configMap', 'ConfigMapVolumeSource'),
    26: m('projected', 'ProjectedVolumeSource'), 28: m('csi', 'CSIVolumeSource'),
  },
  HostPathVolumeSource: { 1: s('path'), 2: s('type', true) },
  EmptyDirVolumeSource: { 1: s('medium'), 2: t('sizeLimit', 'quantity') },
  SecretVolumeSource: { 1: s('secretName'), 2: ms('items', 'KeyToPath'), 3: i('defaultMode', true), 4: b('optional', true) },
  ConfigMapVolumeSource: { 1: inline('LocalObjectReference'), 2: ms('items', 'KeyToPath'), 3: i('defaultMode', true), 4: b('optional', true) },
  KeyToPath: { 1: s('key'), 2: s('path'), 3: i('mode', true) },
  NFSVolumeSource: { 1: s('server'), 2: s('path'), 3: b('readOnly') },
  PersistentVolumeClaimVolumeSource: { 1: s('claimName'), 2: b('readOnly') },
  DownwardAPIVolumeSource: { 1: ms('items', 'DownwardAPIVolumeFile'), 2: i('defaultMode', true) },
  DownwardAPIVolumeFile: { 1: s('path'), 2: m('fieldRef', 'ObjectFieldSelector'), 3: m('resourceFieldRef', 'ResourceFieldSelector'), 4: i('mode', true) },
  ProjectedVolumeSource: { 1: ms('sources', 'VolumeProjection'), 2: i('defaultMode', true) },
  VolumeProjection: { 1: m('secret', 'SecretProjection'), 2: m('downwardAPI', 'DownwardAPIProjection'), 3: m('configMap', 'ConfigMapProjection'), 4: m('serviceAccountToken', 'ServiceAccountTokenProjection') },
  SecretProjection: { 1: inline('LocalObjectReference'), 2: ms('items', 'KeyToPath'), 4: b('optional', true) },
  ConfigMapProjection: { 1: inline('LocalObjectReference'), 2: ms('items', 'KeyToPath'), 4: b('optional', true) },
  DownwardAPIProjection: { 1: ms('items', 'DownwardAPIVolumeFile') },
  ServiceAccountTokenProjection: { 1: s('audience'), 2: i('expirationSeconds', true), 3: s('path') },
  CSIVolumeSource: { 1: s('driver'), 2: b('readOnly', true), 3: s('fsType', true), 4: t('volumeAttributes', 'map'), 5: m('nodePublishSecretRef', 'LocalObjectReference') },

  // ---- apps/v1
  Deployment: kind('DeploymentSpec', 'DeploymentStatus'),
  DeploymentSpec: {
    1: i('replicas', true), 2: m('selector', 'LabelSelector'), 3: m('template', 'PodTemplateSpec'), 4: m('strategy', 'DeploymentStrategy'),
    5: i('minReadySeconds'), 6: i('revisionHistoryLimit', true), 7: b('paused'), 9: i('progressDeadlineSeconds', true),
  },
  DeploymentStrategy: { 1: s('type'), 2: m('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: t('maxUnavailable', 'intorstring'), 2: t('maxSurge', 'intorstring') },
  DeploymentStatus: {
    1: i('observedGeneration'), 2: i('replicas'), 3: i('updatedReplicas'), 4: i('availableReplicas'), 5: i('unavailableReplicas'), 7: i('readyReplicas'),
  },

  // ---- batch/v1
  Job: kind('JobSpec', 'JobStatus'),
  JobSpec: {
    1: i('parallelism', true), 2: i('completions', true), 3: i('activeDeadlineSeconds', true), 4: m('selector', 'LabelSelector'),
    5: b('manualSelector', true), 6: m('template', 'PodTemplateSpec'), 7: i('backoffLimit', true), 8: i('ttlSecondsAfterFinished', true),
    9: s('completionMode', true), 10: b('suspend', true), 11: m('podFailurePolicy', 'PodFailurePolicy'), 12: i('backoffLimitPerIndex', true),
    13: i('maxFailedIndexes', true), 14: s('podReplacementPolicy', true), 15: s('managedBy', true), 16: m('successPolicy', 'SuccessPolicy'),
  },
  PodFailurePolicy: { 1: ms('rules', 'PodFailurePolicyRule') },
  PodFailurePolicyRule: { 1: s('action'), 2: m('onExitCodes', 'PodFailurePolicyOnExitCodesRequirement'), 3: ms('onPodConditions', 'PodFailurePolicyOnPodConditionsPattern') },
  PodFailurePolicyOnExitCodesRequirement: { 1: s('containerName', true), 2: s('operator'), 3: t('values', 'ints') },
  PodFailurePolicyOnPodConditionsPattern: { 1: s('type'), 2: s('status') },
  SuccessPolicy: { 1: ms('rules', 'SuccessPolicyRule') },
  SuccessPolicyRule: { 1: s('succeededIndexes', true), 2: i('succeededCount', true) },
  JobStatus: { 4: i('active'), 5: i('succeeded'), 6: i('failed'), 7: s('completedIndexes') },
  CronJob: kind('CronJobSpec', 'CronJobStatus'),
  CronJobSpec: {
    1: s('schedule'), 2: i('startingDeadlineSeconds', true), 3: s('concurrencyPolicy'), 4: b('suspend', true), 5: m('jobTemplate', 'JobTemplateSpec'),
    6: i('successfulJobsHistoryLimit', true), 7: i('failedJobsHistoryLimit', true), 8: s('timeZone', true),
  },
  CronJobStatus: {},
  JobTemplateSpec: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'JobSpec') },

  // ---- autoscaling/v1 (`kubectl autoscale`)
  HorizontalPodAutoscaler: kind('HorizontalPodAutoscalerSpec', 'HorizontalPodAutoscalerStatus'),
  HorizontalPodAutoscalerSpec: {
    1: m('scaleTargetRef', 'CrossVersionObjectReference'), 2: i('minReplicas', true), 3: i('maxReplicas'), 4: i('targetCPUUtilizationPercentage', true),
  },
  CrossVersionObjectReference: { 1: s('kind'), 2: s('name'), 3: s('apiVersion') },
  HorizontalPodAutoscalerStatus: {
    1: i('observedGeneration', true), 2: t('lastScaleTime', 'time'), 3: i('currentReplicas'), 4: i('desiredReplicas'), 5: i('currentCPUUtilizationPercentage', true),
  },

  // ---- rbac.authorization.k8s.io/v1 (`kubectl create role|rolebinding|clusterrole|clusterrolebinding`)
  Role: { 1: m('metadata', 'ObjectMeta'), 2: ms('rules', 'PolicyRule') },
  ClusterRole: { 1: m('metadata', 'ObjectMeta'), 2: ms('rules', 'PolicyRule'), 3: m('aggregationRule', 'AggregationRule') },
  PolicyRule: { 1: ss('verbs'), 2: ss('apiGroups'), 3: ss('resources'), 4: ss('resourceNames'), 5: ss('nonResourceURLs') },
  AggregationRule: { 1: ms('clusterRoleSelectors', 'LabelSelector') },
  RoleBinding: { 1: m('metadata', 'ObjectMeta'), 2: ms('subjects', 'Subject'), 3: m('roleRef', 'RoleRef') },
  Subject: { 1: s('kind'), 2: s('apiGroup'), 3: s('name'), 4: s('namespace') },
  RoleRef: { 1: s('apiGroup'), 2: s('kind'), 3: s('name') },

  // ---- certificates.k8s.io/v1 (`kubectl certificate approve|deny` PUT the whole object to /approval)
  CertificateSigningRequest: kind('CertificateSigningRequestSpec', 'CertificateSigningRequestStatus'),
  CertificateSigningRequestSpec: {
    1: t('request', 'bytes'), 2: s('username'), 3: s('uid'), 4: ss('groups'), 5: ss('usages'), 7: s('signerName'), 8: i('expirationSeconds', true),
  },
  CertificateSigningRequestStatus: { 1: ms('conditions', 'CertificateSigningRequestCondition'), 2: t('certificate', 'bytes') },
  CertificateSigningRequestCondition: {
    1: s('type'), 2: s('reason'), 3: s('message'), 4: t('lastUpdateTime', 'time'), 5: t('lastTransitionTime', 'time'), 6: s('status'),
  },

  // ---- `kubectl create quota|priorityclass|ingress` (core/v1, scheduling.k8s.io/v1, networking.k8s.io/v1)
  ResourceQuota: kind('ResourceQuotaSpec', 'ResourceQuotaStatus'),
  ResourceQuotaSpec: { 1: t('hard', 'quantitymap'), 2: ss('scopes'), 3: m('scopeSelector', 'ScopeSelector') },
  ScopeSelector: { 1: ms('matchExpressions', 'ScopedResourceSelectorRequirement') },
  ScopedResourceSelectorRequirement: { 1: s('scopeName'), 2: s('operator'), 3: ss('values') },
  ResourceQuotaStatus: { 1: t('hard', 'quantitymap'), 2: t('used', 'quantitymap') },
  PriorityClass: {
    1: m('metadata', 'ObjectMeta'), 2: i('value', true), 3: b('globalDefault', true), 4: s('description'), 5: s('preemptionPolicy', true),
  },
  Ingress: kind('IngressSpec', 'IngressStatus'),
  IngressSpec: { 1: m('defaultBackend', 'IngressBackend'), 2: ms('tls', 'IngressTLS'), 3: ms('rules', 'IngressRule'), 4: s('ingressClassName', true) },
  IngressTLS: { 1: ss('hosts'), 2: s('secretName') },
  IngressRule: { 1: s('host'), 2: inline('IngressRuleValue') },
  IngressRuleValue: { 1: m('http', 'HTTPIngressRuleValue') },
  HTTPIngressRuleValue: { 1: ms('paths', 'HTTPIngressPath') },
  HTTPIngressPath: { 1: s('path'), 2: m('backend', 'IngressBackend'), 3: s('pathType', true) },
  IngressBackend: { 3: m('resource', 'TypedLocalObjectReference'), 4: m('service', 'IngressServiceBackend') },
  IngressServiceBackend: { 1: s('name'), 2: m('port', 'ServiceBackendPort') },
  ServiceBackendPort: { 1: s('name'), 2: i('number') },
  TypedLocalObjectReference: { 1: s('apiGroup', true), 2: s('kind'), 3: s('name') },
  IngressStatus: { 1: m('loadBalancer', 'IngressLoadBalancerStatus') },
  IngressLoadBalancerStatus: {},
  // authentication/v1 (`kubectl create token`).
  TokenRequest: kind('TokenRequestSpec', 'TokenRequestStatus'),
  TokenRequestSpec: { 1: ss('audiences'), 3: m('boundObjectRef', 'BoundObjectReference'), 4: i('expirationSeconds', true) },
  BoundObjectReference: { 1: s('kind'), 2: s('apiVersion'), 3: s('name'), 4: s('uid') },
  TokenRequestStatus: { 1: s('token'), 2: t('expirationTimestamp', 'time') },
  // authorization/v1 (`kubectl auth can-i [--list]`).
  SelfSubjectAccessReview: kind('SelfSubjectAccessReviewSpec', 'SubjectAccessReviewStatus'),
  SelfSubjectAccessReviewSpec: { 1: m('resourceAttributes', 'ResourceAttributes'), 2: m('nonResourceAttributes', 'NonResourceAttributes') },
  SubjectAccessReview: kind('SubjectAccessReviewSpec', 'SubjectAccessReviewStatus'),
  SubjectAccessReviewSpec: {
    1: m('resourceAttributes', 'ResourceAttributes'), 2: m('nonResourceAttributes', 'NonResourceAttributes'), 3: s('user'), 4: ss('groups'), 6: s('uid'),
  },
  ResourceAttributes: { 1: s('namespace'), 2: s('verb'), 3: s('group'), 4: s('version'), 5: s('resource'), 6: s('subresource'), 7: s('name') },
  NonResourceAttributes: { 1: s('path'), 2: s('verb') },
  SubjectAccessReviewStatus: { 1: b('allowed'), 2: s('reason'), 3: s('evaluationError'), 4: b('denied') },
  SelfSubjectRulesReview: kind('SelfSubjectRulesReviewSpec', 'SubjectRulesReviewStatus'),
  SelfSubjectRulesReviewSpec: { 1: s('namespace') },
  SubjectRulesReviewStatus: { 1: ms('resourceRules', 'ResourceRule'), 2: ms('nonResourceRules', 'NonResourceRule'), 3: b('incomplete'), 4: s('evaluationError') },
  ResourceRule: { 1: ss('verbs'), 2: ss('apiGroups'), 3: ss('resources'), 4: ss('resourceNames') },
  NonResourceRule: { 1: ss('verbs'), 2: ss('nonResourceURLs') },
};
