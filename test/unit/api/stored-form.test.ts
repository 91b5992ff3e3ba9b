import { describe, expect, it } from 'vitest';
import { encodeText } from '../../../src/control/api/routes/engine/stored-form.js';
import type { KubeObject } from '../../../src/control/api/resource.js';
import { admitPodServiceAccount, tokenVolumeSource } from '../../../src/control/api/admission/service-account.js';

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

describe('encodeText of pods holding a shared token volume source', () => {
  const saPod = (): KubeObject => {
    const pod: KubeObject = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'web', namespace: 'ns', resourceVersion: '7', annotations: { note: 'projected' } },
      spec: { containers: [{ name: 'c', image: 'nginx' }], volumes: [{ name: 'data', emptyDir: {} }] },
      status: { phase: 'Pending' },
    };
    admitPodServiceAccount(pod, { metadata: { name: 'default' } }, () => 'abcde');
    return pod;
  };
  const volumes = (p: KubeObject) => (p['spec'] as { volumes: { name: string; projected?: unknown }[] }).volumes;

  it('is the reference text, and the pod keeps the shared source (same object, same key order)', () => {
    const pod = saPod();
    expect(volumes(pod)[1]!.projected).toBe(tokenVolumeSource());
    const { text, bytes } = encodeText(pod);
    expect(text).toBe(reference(saPod()));
    expect(text).toContain('"projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}');
    expect(bytes.toString('utf8')).toBe(text);
    expect(volumes(pod)[1]!.projected).toBe(tokenVolumeSource());
    expect(Object.keys(volumes(pod)[1]!)).toEqual(['name', 'projected']);
    expect(pod.metadata!.resourceVersion).toBe('7');
  });

  it('is the reference text reordered, with frozen metadata, with a frozen volume, and with the source twice', () => {
    const shuffled = saPod();
    const { apiVersion, kind, ...rest } = shuffled;
    const reordered = { ...rest, apiVersion, kind } as KubeObject;
    expect(encodeText(reordered).text).toBe(reference(saPod()));
    const frozenMeta = saPod();
    Object.freeze(frozenMeta.metadata);
    expect(encodeText(frozenMeta).text).toBe(reference(saPod()));
    const frozenVolume = saPod();
    Object.freeze(volumes(frozenVolume)[1]);
    expect(encodeText(frozenVolume).text).toBe(reference(saPod()));
    const twice = saPod();
    volumes(twice).unshift({ name: 'again', projected: tokenVolumeSource() });
    const text = encodeText(twice).text;
    expect(text).toBe(reference(twice));
    expect(text).not.toContain('skiff-shared-json');
    expect(volumes(twice)[0]!.projected).toBe(tokenVolumeSource());
    expect(volumes(twice)[2]!.projected).toBe(tokenVolumeSource());
  });

  it('serialises a copy of the source, and a non-pod holding it, as JSON.stringify does', () => {
    const copied = saPod();
    volumes(copied)[1]!.projected = JSON.parse(JSON.stringify(tokenVolumeSource()));
    expect(encodeText(copied).text).toBe(reference(copied));
    const template: KubeObject = { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 't' }, spec: { volumes: [{ name: 'v', projected: tokenVolumeSource() }] } };
    expect(encodeText(template).text).toBe(reference(template));
  });
});
