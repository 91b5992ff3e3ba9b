/**
 * The admission chain asks only the plugins whose `handles` takes a write's target; each built-in plugin's
 * `handles` must never skip a write the plugin would act on: where it says no, the plugin given that write (with
 * sources that throw if read) leaves the object as it was and allows it.
 */
import { describe, expect, it } from 'vitest';
import { AdmissionChain } from '../../../../src/control/api/admission/chain.js';
import { DefaultStorageClass } from '../../../../src/control/api/admission/default-storage-class.js';
import { LimitRanger } from '../../../../src/control/api/admission/limit-ranger.js';
import { PodSecurityAdmission } from '../../../../src/control/api/admission/pod-security.js';
import { PriorityAdmission } from '../../../../src/control/api/admission/priority.js';
import { ServiceAccountAdmission } from '../../../../src/control/api/admission/service-account.js';
import { ResourceQuotaAdmission } from '../../../../src/control/api/admission/resource-quota.js';
import { ValidatingAdmissionPolicyAdmission } from '../../../../src/control/api/admission/validating-policy.js';
import type { Admission, AdmissionAttributes, AdmissionOperation, AdmissionTarget } from '../../../../src/control/api/admission/types.js';
import { EscalationCheck } from '../../../../src/control/api/authz/escalation.js';
import { RbacPolicy } from '../../../../src/control/api/authz/rbac.js';
import { builtinResources } from '../../../../src/control/api/kinds/index.js';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';

const read = (): never => {
  throw new Error('a skipped plugin read its source');
};
const plugins: Record<string, Admission> = {
  LimitRanger: new LimitRanger({ limitRanges: read }),
  ServiceAccount: new ServiceAccountAdmission({ serviceAccount: read }),
  PodSecurity: new PodSecurityAdmission({ namespace: read, pods: read }),
  Priority: new PriorityAdmission({ priorityClasses: read }),
  DefaultStorageClass: new DefaultStorageClass({ storageClasses: read }),
  Escalation: new EscalationCheck(new RbacPolicy(), { authorize: read }),
};

const resource = (group: string, plural: string): ResourceType => {
  const r = builtinResources.find((x) => x.group === group && x.plural === plural);
  if (!r) throw new Error(`no ${group}/${plural}`);
  return r;
};
const RESOURCES = [
  resource('', 'pods'), resource('', 'persistentvolumeclaims'), resource('', 'namespaces'), resource('', 'configmaps'),
  resource('', 'podtemplates'), resource('apps', 'deployments'), resource('batch', 'cronjobs'), resource('coordination.k8s.io', 'leases'),
  resource('scheduling.k8s.io', 'priorityclasses'), resource('rbac.authorization.k8s.io', 'roles'),
  resource('rbac.authorization.k8s.io', 'clusterrolebindings'),
];
const SUBRESOURCES = ['', 'status', 'ephemeralcontainers', 'binding'];
const OPERATIONS: AdmissionOperation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** An object with something for every plugin to act on, whatever its kind. */
const rich = (): KubeObject => {
  const podSpec = { containers: [{ name: 'c', image: 'i', securityContext: { privileged: true } }], priorityClassName: 'high' };
  return {
    metadata: { name: 'x', namespace: 'ns', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    spec: { ...podSpec, template: { spec: podSpec }, jobTemplate: { spec: { template: { spec: podSpec } } }, resources: { requests: { storage: '1Gi' } } },
    template: { spec: podSpec },
    rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'User', name: 'u' }],
    globalDefault: true,
  };
};

/** Plugins whose sources are read on every write they are asked about (a quota, a policy binding could exist). */
const dynamic: Record<string, Admission> = {
  ResourceQuota: new ResourceQuotaAdmission({ quotas: read, fresh: read, charge: read }),
  ValidatingAdmissionPolicy: new ValidatingAdmissionPolicyAdmission({ policies: read, bindings: read, namespace: read, paramResource: read, params: read }),
};

describe('admission plugins: handles never skips a write the plugin acts on', () => {
  for (const [name, plugin] of [...Object.entries(plugins), ...Object.entries(dynamic)]) {
    it(name, async () => {
      let skipped = 0;
      let asked = 0;
      for (const r of RESOURCES) for (const subresource of SUBRESOURCES) for (const operation of OPERATIONS) {
        const t: AdmissionTarget = { operation, resource: r, subresource };
        for (const phase of ['admit', 'validate'] as const) {
          if (plugin.handles!(phase, t)) {
            asked++;
            continue;
          }
          skipped++;
          const object = rich();
          const a: AdmissionAttributes = {
            ...t, namespace: r.namespaced ? 'ns' : undefined, name: 'x', object, oldObject: operation === 'UPDATE' ? { ...rich(), metadata: { name: 'x', namespace: 'ns' }, rules: [] } : null,
            dryRun: false, user: { name: 'u', groups: ['system:authenticated'] }, warnings: [],
          };
          const where = `${phase} ${operation} ${r.group}/${r.plural}${subresource ? `/${subresource}` : ''}`;
          if (phase === 'admit') {
            // A plugin may answer without a promise (Admission.admit); a refusal either way is caught.
            const out = await Promise.resolve().then(() => plugin.admit(a)).catch((e: Error) => e);
            expect(out, where).toBe(object);
            expect(out, where).toEqual(rich());
          } else {
            await expect(plugin.validate(a), where).resolves.toBeUndefined();
            expect(a.warnings, where).toEqual([]);
          }
        }
      }
      // Each plugin is asked somewhere and skipped elsewhere.
      expect(asked).toBeGreaterThan(0);
      expect(skipped).toBeGreaterThan(asked);
    });
  }

  it('the targets a pod create, a lease update and an RBAC write reach', () => {
    const chain = new AdmissionChain(Object.values(plugins));
    const names = (t: AdmissionTarget, phase: 'admit' | 'validate') => chain.pluginsFor(t)[phase].map((p) => Object.keys(plugins).find((k) => plugins[k] === p));
    const pods = resource('', 'pods');
    expect(names({ operation: 'CREATE', resource: pods, subresource: '' }, 'admit')).toEqual(['LimitRanger', 'ServiceAccount', 'Priority']);
    expect(names({ operation: 'CREATE', resource: pods, subresource: '' }, 'validate')).toEqual(['LimitRanger', 'PodSecurity']);
    expect(names({ operation: 'UPDATE', resource: pods, subresource: 'status' }, 'validate')).toEqual([]);
    expect(names({ operation: 'UPDATE', resource: resource('coordination.k8s.io', 'leases'), subresource: '' }, 'admit')).toEqual([]);
    expect(names({ operation: 'CREATE', resource: resource('rbac.authorization.k8s.io', 'roles'), subresource: '' }, 'validate')).toEqual(['Escalation']);
    expect(names({ operation: 'CREATE', resource: resource('', 'persistentvolumeclaims'), subresource: '' }, 'admit')).toEqual(['DefaultStorageClass']);
  });
});

describe('AdmissionChain', () => {
  it('asks plugins without handles about everything, in order, and each handles once per target', async () => {
    const order: string[] = [];
    let handled = 0;
    const plugin = (name: string, kinds?: string[]): Admission => ({
      async admit(a) {
        order.push(`admit ${name}`);
        return { ...a.object!, metadata: { ...a.object!.metadata, labels: { ...a.object!.metadata?.labels, [name]: 'y' } } };
      },
      async validate() {
        order.push(`validate ${name}`);
      },
      ...(kinds ? { handles: (_phase: 'admit' | 'validate', t: AdmissionTarget) => (handled++, kinds.includes(t.resource.plural)) } : {}),
    });
    const chain = new AdmissionChain([plugin('a'), plugin('pods-only', ['pods']), plugin('b')]);
    const attrs = (r: ResourceType): AdmissionAttributes => ({
      operation: 'CREATE', resource: r, subresource: '', namespace: 'ns', name: 'x', object: { metadata: { name: 'x' } }, oldObject: null, dryRun: false,
    });
    const pods = resource('', 'pods');
    const cms = resource('', 'configmaps');
    expect((await chain.admit(attrs(pods)))?.metadata?.labels).toEqual({ a: 'y', 'pods-only': 'y', b: 'y' });
    await chain.validate(attrs(pods));
    expect((await chain.admit(attrs(cms)))?.metadata?.labels).toEqual({ a: 'y', b: 'y' });
    await chain.validate(attrs(cms));
    await chain.admit(attrs(pods));
    expect(order).toEqual([
      'admit a', 'admit pods-only', 'admit b', 'validate a', 'validate pods-only', 'validate b',
      'admit a', 'admit b', 'validate a', 'validate b',
      'admit a', 'admit pods-only', 'admit b',
    ]);
    // Two targets × two phases, asked once each.
    expect(handled).toBe(4);
    expect(chain.handles('admit', { operation: 'CREATE', resource: cms, subresource: '' })).toBe(true);
  });
});
