import { describe, expect, it } from 'vitest';
import { WebhookAdmission, type WebhookSource } from '../../../../src/control/api/admission/webhooks.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { leases } from '../../../../src/control/api/kinds/coordination.js';

/** A source whose configurations the test sets, counting the asynchronous reads. */
function source(configs: KubeObject[], now: boolean): WebhookSource & { reads: number } {
  const s = {
    reads: 0,
    async configurations() { s.reads++; return configs; },
    ...(now ? { configurationsNow: () => configs } : {}),
    async namespaceLabels() { return {}; },
    async serviceURL() { return undefined; },
  };
  return s;
}

const lease: KubeObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' } };
const attrs = (): AdmissionAttributes => ({ operation: 'UPDATE', resource: leases, subresource: '', namespace: 'kube-node-lease', name: 'n1', object: lease, oldObject: lease, dryRun: false });

describe('WebhookAdmission with no webhook to call', () => {
  it('answers from the configurations known now, without reading them asynchronously', async () => {
    const s = source([], true);
    const w = new WebhookAdmission(s);
    expect(await w.admit(attrs())).toBe(lease);
    await w.validate(attrs());
    expect(s.reads).toBe(0);
  });

  it('reads them asynchronously when they are not known now, or when a configuration has webhooks', async () => {
    const unknown = source([], false);
    expect(await new WebhookAdmission(unknown).admit(attrs())).toBe(lease);
    expect(unknown.reads).toBe(1);
    // A webhook for pods only: matched (and not called) on the asynchronous path.
    const hook = { name: 'pods.example.com', rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], clientConfig: { url: 'https://127.0.0.1:1/' }, sideEffects: 'None', admissionReviewVersions: ['v1'] };
    const some = source([{ metadata: { name: 'c' }, webhooks: [hook] } as KubeObject], true);
    const w = new WebhookAdmission(some);
    expect(await w.admit(attrs())).toBe(lease);
    await w.validate(attrs());
    expect(some.reads).toBe(2);
  });
});
