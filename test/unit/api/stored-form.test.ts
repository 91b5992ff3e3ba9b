import { describe, expect, it } from 'vitest';
import { encodeText } from '../../../src/control/api/routes/engine/stored-form.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

/** The stored form as first defined: apiVersion, kind, metadata without resourceVersion, then the rest. */
function reference(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...body } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...body });
}

const lease = (): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'n1', namespace: 'kube-node-lease', resourceVersion: '42', uid: 'u' },
  spec: { holderIdentity: 'n1', renewTime: '2026-01-01T00:00:00.000000Z' },
});

describe('encodeText', () => {
  it('leaves resourceVersion out and gives the object back unchanged, key order included', () => {
    const obj = lease();
    const before = JSON.stringify(obj);
    const { text, bytes } = encodeText(obj);
    expect(text).toBe(reference(lease()));
    expect(text).not.toContain('resourceVersion');
    expect(bytes.toString('utf8')).toBe(text);
    expect(JSON.stringify(obj)).toBe(before);
    expect(Object.keys(obj.metadata!)).toEqual(['name', 'namespace', 'resourceVersion', 'uid']);
  });

  it('puts apiVersion, kind and metadata first whatever order the object holds them in', () => {
    const l = lease();
    const shuffled = { spec: l.spec, metadata: l.metadata, kind: l.kind, apiVersion: l.apiVersion } as KubeObject;
    expect(encodeText(shuffled).text).toBe(reference(lease()));
    expect(encodeText(shuffled).text.startsWith('{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":')).toBe(true);
  });

  it('matches the reference without a resourceVersion, without apiVersion, and with frozen metadata', () => {
    const noRv = lease();
    delete noRv.metadata!.resourceVersion;
    expect(encodeText(noRv).text).toBe(reference(noRv));
    const noApi = lease();
    delete noApi.apiVersion;
    expect(encodeText(noApi).text).toBe(reference(noApi));
    const frozen = lease();
    Object.freeze(frozen.metadata);
    expect(encodeText(frozen).text).toBe(reference(frozen));
    expect(frozen.metadata!.resourceVersion).toBe('42');
  });
});
