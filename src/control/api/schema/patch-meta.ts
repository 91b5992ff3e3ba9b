/**
 * List and patch semantics of the built-in kinds' fields: the facts upstream declares as struct tags in k8s.io/api
 * (`patchStrategy`, `patchMergeKey`) and as `+listType` / `+listMapKey` markers, which kube-apiserver publishes
 * as the x-kubernetes-patch-strategy / -patch-merge-key / -list-type / -list-map-keys extensions.
 *
 * Why a table here: the npm packages that ship the object schemas (@kubernetes/client-node's models, which the
 * catalog reads, kubernetes-models, kubernetes-types) drop every x-kubernetes-* extension, and no maintained npm
 * package carries them. The facts are transcribed per field from the upstream API types (release 1.32–1.36); the
 * catalog overlays them onto the package schemas, so the OpenAPI documents and the strategic-merge patcher read
 * one and the same schema. Only fields of the kinds Skiff serves (and the types they reach) are listed.
 */

export interface FieldPatchMeta {
  /** x-kubernetes-patch-strategy: 'merge', 'retainKeys', 'merge,retainKeys', 'replace'. */
  strategy?: string;
  /** x-kubernetes-patch-merge-key. */
  mergeKey?: string;
  /** x-kubernetes-list-type. */
  listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys. */
  mapKeys?: string[];
}

const mapBy = (key: string, ...more: string[]): FieldPatchMeta => ({
  strategy: 'merge', mergeKey: key, listType: 'map', mapKeys: [key, ...more],
});
const atomic: FieldPatchMeta = { listType: 'atomic' };
const conditions = mapBy('type');

const containerFields: Record<string, FieldPatchMeta> = {
  args: atomic,
  command: atomic,
  ports: mapBy('containerPort', 'protocol'),
  env: mapBy('name'),
  envFrom: atomic,
  volumeMounts: mapBy('mountPath'),
  volumeDevices: mapBy('devicePath'),
  resizePolicy: atomic,
};

/** Keyed by OpenAPI definition name, then by JSON field name. */
export const patchMeta: Record<string, Record<string, FieldPatchMeta>> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    finalizers: { strategy: 'merge', listType: 'set' },
    ownerReferences: mapBy('uid'),
    managedFields: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector': { matchExpressions: atomic },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': { values: atomic },

  'io.k8s.api.core.v1.PodSpec': {
    volumes: { ...mapBy('name'), strategy: 'merge,retainKeys' },
    initContainers: mapBy('name'),
    containers: mapBy('name'),
    ephemeralContainers: mapBy('name'),
    imagePullSecrets: mapBy('name'),
    hostAliases: mapBy('ip'),
    topologySpreadConstraints: mapBy('topologyKey', 'whenUnsatisfiable'),
    schedulingGates: mapBy('name'),
    resourceClaims: { ...mapBy('name'), strategy: 'merge,retainKeys' },
    tolerations: atomic,
    readinessGates: atomic,
  },
  'io.k8s.api.core.v1.Container': containerFields,
  'io.k8s.api.core.v1.EphemeralContainer': containerFields,
  'io.k8s.api.core.v1.PodStatus': {
    conditions,
    podIPs: mapBy('ip'),
    hostIPs: mapBy('ip'),
    resourceClaimStatuses: { ...mapBy('name'), strategy: 'merge,retainKeys' },
    containerStatuses: atomic,
    initContainerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
  },
  'io.k8s.api.core.v1.PodSecurityContext': { supplementalGroups: atomic, sysctls: atomic },
  'io.k8s.api.core.v1.Capabilities': { add: atomic, drop: atomic },
  'io.k8s.api.core.v1.ResourceRequirements': { claims: { listType: 'map', mapKeys: ['name'] } },
  'io.k8s.api.core.v1.NodeSpec': { podCIDRs: { strategy: 'merge', listType: 'set' }, taints: atomic },
  'io.k8s.api.core.v1.NodeStatus': {
    conditions,
    addresses: mapBy('type'),
    images: atomic,
    volumesInUse: atomic,
    volumesAttached: atomic,
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    ports: mapBy('port', 'protocol'),
    clusterIPs: atomic,
    externalIPs: atomic,
    ipFamilies: atomic,
  },
  'io.k8s.api.core.v1.ServiceStatus': { conditions },
  'io.k8s.api.core.v1.ServiceAccount': { secrets: mapBy('name'), imagePullSecrets: atomic },
  'io.k8s.api.core.v1.NamespaceSpec': { finalizers: atomic },
  'io.k8s.api.core.v1.NamespaceStatus': { conditions },
  'io.k8s.api.core.v1.Endpoints': { subsets: atomic },
  'io.k8s.api.core.v1.EndpointSubset': { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': { conditions },

  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { strategy: 'retainKeys' } },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions },
  'io.k8s.api.apps.v1.StatefulSetSpec': { volumeClaimTemplates: atomic },
  'io.k8s.api.apps.v1.StatefulSetStatus': { conditions },
  'io.k8s.api.apps.v1.DaemonSetStatus': { conditions },

  'io.k8s.api.batch.v1.JobStatus': { conditions: { strategy: 'merge', mergeKey: 'type', listType: 'atomic' } },
  'io.k8s.api.batch.v1.CronJobStatus': { active: atomic },

  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec': { metrics: atomic },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions, currentMetrics: atomic },

  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: atomic, ports: atomic },
  'io.k8s.api.discovery.v1.Endpoint': { addresses: { listType: 'set' } },
};
