import { describe, expect, test } from 'vitest';
import { resources } from '../../../../src/control/api/kinds/index.js';
import { groupVersion } from '../../../../src/control/api/resource.js';

const byPlural = (gv: string, plural: string) => {
  const r = resources.find((x) => groupVersion(x) === gv && x.plural === plural);
  if (!r) throw new Error(`no ${gv} ${plural}`);
  return r;
};

describe('kinds list', () => {
  test('serves every kind of the issue, each once', () => {
    const ids = resources.map((r) => `${groupVersion(r)}/${r.kind}`).sort();
    expect(ids).toEqual([
      'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration', 'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy',
      'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding', 'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration',
      'apiextensions.k8s.io/v1/CustomResourceDefinition', 'apiregistration.k8s.io/v1/APIService',
      'apps/v1/ControllerRevision', 'apps/v1/DaemonSet', 'apps/v1/Deployment', 'apps/v1/ReplicaSet', 'apps/v1/StatefulSet',
      'autoscaling/v2/HorizontalPodAutoscaler', 'batch/v1/CronJob', 'batch/v1/Job', 'certificates.k8s.io/v1/CertificateSigningRequest',
      'coordination.k8s.io/v1/Lease', 'discovery.k8s.io/v1/EndpointSlice',
      'flowcontrol.apiserver.k8s.io/v1/FlowSchema', 'flowcontrol.apiserver.k8s.io/v1/PriorityLevelConfiguration',
      'networking.k8s.io/v1/Ingress', 'networking.k8s.io/v1/IngressClass', 'networking.k8s.io/v1/NetworkPolicy',
      'node.k8s.io/v1/RuntimeClass', 'policy/v1/PodDisruptionBudget',
      'rbac.authorization.k8s.io/v1/ClusterRole', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding',
      'scheduling.k8s.io/v1/PriorityClass', 'storage.k8s.io/v1/CSIDriver', 'storage.k8s.io/v1/CSINode',
      'storage.k8s.io/v1/CSIStorageCapacity', 'storage.k8s.io/v1/StorageClass', 'storage.k8s.io/v1/VolumeAttachment',
      'v1/Binding', 'v1/ComponentStatus', 'v1/ConfigMap', 'v1/Endpoints', 'v1/Event', 'v1/LimitRange', 'v1/Namespace', 'v1/Node', 'v1/PersistentVolume',
      'v1/PersistentVolumeClaim', 'v1/Pod', 'v1/PodTemplate', 'v1/ReplicationController', 'v1/ResourceQuota',
      'v1/Secret', 'v1/Service', 'v1/ServiceAccount',
    ]);
  });

  test('short names match upstream', () => {
    const short = Object.fromEntries(resources.map((r) => [r.plural, r.shortNames]));
    expect(short).toMatchObject({
      pods: ['po'], services: ['svc'], deployments: ['deploy'], replicasets: ['rs'], statefulsets: ['sts'],
      daemonsets: ['ds'], cronjobs: ['cj'], namespaces: ['ns'], nodes: ['no'], configmaps: ['cm'],
      serviceaccounts: ['sa'], events: ['ev'], endpoints: ['ep'], horizontalpodautoscalers: ['hpa'],
      poddisruptionbudgets: ['pdb'], customresourcedefinitions: ['crd', 'crds'],
      secrets: [], jobs: [], leases: [], endpointslices: [], certificatesigningrequests: ['csr'], roles: [], clusterroles: [],
      rolebindings: [], clusterrolebindings: [], apiservices: [], validatingwebhookconfigurations: [], mutatingwebhookconfigurations: [],
      limitranges: ['limits'], resourcequotas: ['quota'], podtemplates: [], persistentvolumes: ['pv'], persistentvolumeclaims: ['pvc'],
      storageclasses: ['sc'], csidrivers: [], csinodes: [], volumeattachments: [], networkpolicies: ['netpol'], ingresses: ['ing'],
      ingressclasses: [], priorityclasses: ['pc'], runtimeclasses: [], flowschemas: [], prioritylevelconfigurations: [],
      bindings: [], componentstatuses: ['cs'], csistoragecapacities: [],
    });
  });

  test('category "all" exactly where upstream has it', () => {
    const all = resources.filter((r) => r.categories.includes('all')).map((r) => r.plural).sort();
    expect(all).toEqual(['cronjobs', 'daemonsets', 'deployments', 'horizontalpodautoscalers', 'jobs', 'pods',
      'replicasets', 'replicationcontrollers', 'services', 'statefulsets']);
  });

  test('namespaces have no deletecollection; cluster-scoped kinds are namespaces, nodes and CRDs', () => {
    expect(byPlural('v1', 'namespaces').verbs).not.toContain('deletecollection');
    expect(byPlural('v1', 'pods').verbs).toContain('deletecollection');
    expect(resources.filter((r) => !r.namespaced).map((r) => r.plural).sort()).toEqual(['apiservices', 'certificatesigningrequests',
      'clusterrolebindings', 'clusterroles', 'componentstatuses', 'csidrivers', 'csinodes', 'customresourcedefinitions', 'flowschemas', 'ingressclasses',
      'mutatingwebhookconfigurations', 'namespaces', 'nodes', 'persistentvolumes', 'priorityclasses', 'prioritylevelconfigurations', 'runtimeclasses',
      'storageclasses', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations',
      'volumeattachments']);
  });

  test('subresources, scale mappings and status flags agree', () => {
    expect(byPlural('v1', 'pods').subresources).toEqual(['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy']);
    for (const r of resources) {
      expect(r.subresources.includes('status'), r.plural).toBe(r.strategy.hasStatus === true);
      expect(r.subresources.includes('scale'), r.plural).toBe(r.scale !== undefined);
      expect(r.listKind).toBe(`${r.kind}List`);
      expect(r.singular).toBe(r.kind.toLowerCase());
      expect(r.definition.endsWith(`.${r.version}.${r.kind}`), r.definition).toBe(true);
    }
    expect(byPlural('apps/v1', 'deployments').scale?.specReplicasPath).toBe('.spec.replicas');
  });
});
