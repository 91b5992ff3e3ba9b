import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/control/api/resource.js';
import type { KeyValue } from '../../../src/control/storage/store.js';
import { decodeKV, rawEntry } from '../../../src/control/api/watch/cache.js';
import { aliasStored, storedMayLackAlias } from '../../../src/control/api/watch/stored-alias.js';

const kv = (key: string, obj: unknown): KeyValue => ({ key, value: Buffer.from(JSON.stringify(obj)), createRevision: 1, modRevision: 7, version: 1 } as KeyValue);
const pod = (spec: Record<string, unknown>, labels: Record<string, string> = {}) =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } });
const deployment = (spec: Record<string, unknown>) =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas: 1, template: { metadata: {}, spec } } });
const cronJob = (spec: Record<string, unknown>) =>
  ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'ns' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec } } } } });
const POD_KEY = '/registry/pods/ns/p';

describe('objects stored before the serviceAccount alias, read from storage', () => {
  it('gain the alias where each kind keeps its pod spec, as a write would give it', () => {
    const p = decodeKV(kv(POD_KEY, pod({ serviceAccountName: 'sa' })));
    expect(p.spec).toMatchObject({ serviceAccountName: 'sa', serviceAccount: 'sa' });
    expect(p.metadata?.resourceVersion).toBe('7');
    const d = decodeKV(kv('/registry/apps/deployments/ns/d', deployment({ serviceAccountName: 'sa' })));
    expect((d.spec as { template: { spec: unknown } }).template.spec).toEqual({ serviceAccountName: 'sa', serviceAccount: 'sa' });
    const c = decodeKV(kv('/registry/batch/cronjobs/ns/c', cronJob({ serviceAccount: 'old' })));
    // The alias alone names the account (a template stored with only the deprecated field).
    expect(c.spec).toMatchObject({ jobTemplate: { spec: { template: { spec: { serviceAccountName: 'old', serviceAccount: 'old' } } } } });
    // An alias that does not follow the name is made to, an empty one dropped.
    expect(decodeKV(kv(POD_KEY, pod({ serviceAccountName: 'a', serviceAccount: 'b' }))).spec).toMatchObject({ serviceAccountName: 'a', serviceAccount: 'a' });
    expect(decodeKV(kv(POD_KEY, pod({ serviceAccount: '' }))).spec).not.toHaveProperty('serviceAccount');
  });

  it('leaves other kinds and other prefixes as stored', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: { serviceAccountName: 'sa' } };
    expect(decodeKV(kv('/registry/configmaps/ns/x', cm)).spec).toEqual({ serviceAccountName: 'sa' });
    const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, data: { spec: { template: { spec: { serviceAccountName: 'sa' } } } } };
    expect(aliasStored('/registry/apps/controllerrevisions/ns/r', rev as unknown as KubeObject)).toBe(false);
    // A custom resource under another group named like a built-in one.
    expect(aliasStored('/registry/example.com/pods/ns/p', pod({ serviceAccountName: 'sa' }) as KubeObject)).toBe(false);
  });

  it('tell whether the decoded object changed', () => {
    expect(aliasStored(POD_KEY, pod({ serviceAccountName: 'sa' }) as KubeObject)).toBe(true);
    expect(aliasStored(POD_KEY, pod({ serviceAccountName: 'sa', serviceAccount: 'sa' }) as KubeObject)).toBe(false);
    expect(aliasStored(POD_KEY, pod({}) as KubeObject)).toBe(false);
    expect(aliasStored(POD_KEY, pod({ serviceAccount: '' }) as KubeObject)).toBe(true);
  });

  it('are sent from a storage list as stored bytes only when the text shows the written form', () => {
    const written = pod({ serviceAccountName: 'sa', serviceAccount: 'sa' });
    expect(rawEntry(kv(POD_KEY, written))?.json).toContain('"serviceAccount":"sa"');
    expect(rawEntry(kv(POD_KEY, pod({})))).not.toBeNull();
    expect(rawEntry(kv(POD_KEY, pod({ serviceAccountName: 'sa' })))).toBeNull();
    expect(rawEntry(kv('/registry/configmaps/ns/x', pod({ serviceAccountName: 'sa' })))).not.toBeNull();
    const text = (o: unknown) => JSON.stringify(o);
    expect(storedMayLackAlias(POD_KEY, text(pod({ serviceAccount: 'sa' })))).toBe(true);
    expect(storedMayLackAlias(POD_KEY, text(pod({ serviceAccountName: 'a', serviceAccount: 'b' })))).toBe(true);
    expect(storedMayLackAlias(POD_KEY, text(pod({ serviceAccountName: '', serviceAccount: '' })))).toBe(true);
    // A label spelled like the alias makes the text ambiguous: decoded.
    expect(storedMayLackAlias(POD_KEY, text(pod({ serviceAccountName: 'sa' }, { serviceAccount: 'sa' })))).toBe(true);
    expect(storedMayLackAlias(POD_KEY, text(pod({ serviceAccountName: 'sa', serviceAccount: 'sa' }, { serviceAccount: 'sa' })))).toBe(true);
    // Each once in one object, with objects, arrays and strings holding braces between them: the written form.
    const between = { serviceAccountName: 'sa', containers: [{ name: 'c', image: 'i', args: ['}', '{"', ']'] }], nodeSelector: { a: 'b' }, serviceAccount: 'sa' };
    expect(storedMayLackAlias(POD_KEY, text(pod(between)))).toBe(false);
    // Both only in a label map: the spec has neither, nothing to mirror.
    expect(storedMayLackAlias(POD_KEY, text(pod({}, { serviceAccountName: 'sa', serviceAccount: 'sa' })))).toBe(false);
    // Whatever the text decides, the decoded object is the written form.
    for (const p of [pod({ serviceAccountName: 'sa' }, { serviceAccount: 'sa' }), pod({ serviceAccount: 'x' }, { serviceAccountName: 'x' })]) {
      const e = rawEntry(kv(POD_KEY, p));
      const o = e ? JSON.parse(e.json!) as KubeObject : decodeKV(kv(POD_KEY, p));
      expect(o.spec).toMatchObject({ serviceAccountName: p.spec.serviceAccountName ?? 'x', serviceAccount: p.spec.serviceAccountName ?? 'x' });
    }
  });
});
