/** The DefaultStorageClass admission step: claims without a class get the default one (the newest of several). */
import { describe, expect, it } from 'vitest';
import { admitClaimClass, defaultStorageClass } from '../../../src/control/api/admission/default-storage-class.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

const sc = (name: string, created: string, isDefault: boolean, beta = false): KubeObject => ({
  apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
  metadata: { name, creationTimestamp: created, annotations: isDefault ? { [beta ? 'storageclass.beta.kubernetes.io/is-default-class' : 'storageclass.kubernetes.io/is-default-class']: 'true' } : { 'storageclass.kubernetes.io/is-default-class': 'false' } },
  provisioner: 'x.io/y',
});
const claim = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'default', ...(annotations ? { annotations } : {}) }, spec,
});

describe('DefaultStorageClass', () => {
  it('picks the newest default class, by name on a tie; none when no class is marked', () => {
    expect(defaultStorageClass([sc('a', '2026-01-01T00:00:00Z', true), sc('b', '2026-02-01T00:00:00Z', true, true), sc('c', '2026-03-01T00:00:00Z', false)])?.metadata?.name).toBe('b');
    expect(defaultStorageClass([sc('z', '2026-01-01T00:00:00Z', true), sc('y', '2026-01-01T00:00:00Z', true)])?.metadata?.name).toBe('y');
    expect(defaultStorageClass([sc('c', '2026-03-01T00:00:00Z', false)])).toBeUndefined();
  });

  it('fills only a missing class: an explicit "" or the beta annotation stays', () => {
    const classes = [sc('local-path', '2026-01-01T00:00:00Z', true)];
    const none = claim({ accessModes: ['ReadWriteOnce'] });
    admitClaimClass(none, classes);
    expect(none['spec']).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'local-path' });
    const empty = claim({ storageClassName: '' });
    admitClaimClass(empty, classes);
    expect(empty['spec']).toEqual({ storageClassName: '' });
    const beta = claim({}, { 'volume.beta.kubernetes.io/storage-class': 'fast' });
    admitClaimClass(beta, classes);
    expect(beta['spec']).toEqual({});
    const nothing = claim({});
    admitClaimClass(nothing, []);
    expect(nothing['spec']).toEqual({});
  });
});
