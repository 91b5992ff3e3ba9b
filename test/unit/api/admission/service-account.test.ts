/**
 * The ServiceAccount admission plugin as a value: default name, refusal of a missing ServiceAccount (after the
 * retries for `default`), the projected token volume and its mounts, automount opt-outs, imagePullSecrets.
 */
import { describe, expect, it } from 'vitest';
import { ServiceAccountAdmission, tokenVolumeSource, volumeSuffix } from '../../../../src/control/api/admission/service-account.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';
import { pods } from '../../../../src/control/api/kinds/core.js';
import { ApiError } from '../../../../src/control/api/status.js';
import { cloneJson } from '../../../../src/control/api/clone.js';

const accounts = new Map<string, KubeObject>([
  ['ns/default', { metadata: { name: 'default', namespace: 'ns' }, imagePullSecrets: [{ name: 'regcred' }] }],
  ['ns/quiet', { metadata: { name: 'quiet', namespace: 'ns' }, automountServiceAccountToken: false }],
]);
let looks = 0;
const slept: number[] = [];
const plugin = new ServiceAccountAdmission(
  { serviceAccount: async (ns, name) => { looks++; return accounts.get(`${ns}/${name}`); } },
  { suffix: () => 'abcde', sleep: async (ms) => { slept.push(ms); } },
);
const attrs = (object: KubeObject, namespace = 'ns', resource: ResourceType = pods): AdmissionAttributes => ({
  operation: 'CREATE', resource, subresource: '', namespace, name: object.metadata?.name ?? '', object, oldObject: null, dryRun: false,
});
const pod = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
  metadata: { name: 'p', namespace: 'ns', ...(annotations ? { annotations } : {}) }, spec,
});
const MOUNT = { name: 'kube-api-access-abcde', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };

describe('ServiceAccount admission', () => {
  it('sets default, mounts the projected volume in every container and init container, copies pull secrets', async () => {
    const out = await plugin.admit(attrs(pod({ initContainers: [{ name: 'i' }], containers: [{ name: 'a' }, { name: 'b', volumeMounts: [{ name: 'd', mountPath: '/d' }] }] })));
    const spec = out!['spec'] as Record<string, any>;
    expect(spec['serviceAccountName']).toBe('default');
    // The deprecated alias repeats the name the plugin set, as upstream's v1 output has it.
    expect(spec['serviceAccount']).toBe('default');
    expect(spec['initContainers'][0].volumeMounts).toEqual([MOUNT]);
    expect(spec['containers'][0].volumeMounts).toEqual([MOUNT]);
    expect(spec['containers'][1].volumeMounts).toEqual([{ name: 'd', mountPath: '/d' }, MOUNT]);
    expect(spec['volumes']).toEqual([{ name: 'kube-api-access-abcde', projected: tokenVolumeSource() }]);
    expect(tokenVolumeSource()).toEqual({
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    });
    expect(spec['imagePullSecrets']).toEqual([{ name: 'regcred' }]);
  });

  it('gives every pod the one frozen projected source, which copies of the pod may change', async () => {
    const a = await plugin.admit(attrs(pod({ containers: [{ name: 'a' }] })));
    const b = await plugin.admit(attrs(pod({ containers: [{ name: 'b' }] })));
    const projected = (o: KubeObject | null) => (o!['spec'] as any).volumes[0].projected;
    expect(projected(a)).toBe(projected(b));
    expect(projected(a)).toBe(tokenVolumeSource());
    expect(Object.isFrozen(projected(a).sources[2].downwardAPI.items[0].fieldRef)).toBe(true);
    expect(() => { projected(a).defaultMode = 0o600; }).toThrow(TypeError);
    // The pod's own parts are its own: the volume and the mounts are plain objects.
    expect(Object.isFrozen((a!['spec'] as any).volumes[0])).toBe(false);
    const copy = cloneJson(a!);
    (copy['spec'] as any).volumes[0].projected.defaultMode = 0o600;
    expect(projected(copy).defaultMode).toBe(0o600);
    expect(tokenVolumeSource()['defaultMode']).toBe(420);
  });

  it('leaves containers with something at the mount path, and pods or ServiceAccounts that opt out', async () => {
    const own = await plugin.admit(attrs(pod({ containers: [{ name: 'a', volumeMounts: [{ name: 'x', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }], imagePullSecrets: [{ name: 'mine' }] })));
    expect((own!['spec'] as any).volumes).toBeUndefined();
    expect((own!['spec'] as any).imagePullSecrets).toEqual([{ name: 'mine' }]);
    const optOut = await plugin.admit(attrs(pod({ automountServiceAccountToken: false, containers: [{ name: 'a' }] })));
    expect((optOut!['spec'] as any).containers[0].volumeMounts).toBeUndefined();
    const quiet = await plugin.admit(attrs(pod({ serviceAccountName: 'quiet', containers: [{ name: 'a' }] })));
    expect((quiet!['spec'] as any).volumes).toBeUndefined();
    // The deprecated serviceAccount field names the ServiceAccount when serviceAccountName is empty.
    const alias = await plugin.admit(attrs(pod({ serviceAccount: 'quiet', containers: [{ name: 'a' }] })));
    expect((alias!['spec'] as any).serviceAccountName).toBe('quiet');
    // The pod's word wins over the ServiceAccount's.
    const podWins = await plugin.admit(attrs(pod({ serviceAccountName: 'quiet', automountServiceAccountToken: true, containers: [{ name: 'a' }] })));
    expect((podWins!['spec'] as any).containers[0].volumeMounts).toEqual([MOUNT]);
  });

  it('refuses a pod whose ServiceAccount does not exist, looking for `default` ten times first', async () => {
    looks = 0;
    slept.length = 0;
    let err: unknown;
    try {
      await plugin.admit(attrs(pod({ containers: [{ name: 'a' }] }), 'empty'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(403);
    expect((err as ApiError).message).toBe('pods "p" is forbidden: error looking up service account empty/default: serviceaccount "default" not found');
    expect(looks).toBe(10);
    expect(slept).toHaveLength(9);
    looks = 0;
    await expect(plugin.admit(attrs(pod({ serviceAccountName: 'ghost', containers: [{ name: 'a' }] })))).rejects.toThrow('serviceaccount "ghost" not found');
    expect(looks).toBe(1);
  });

  it('leaves mirror pods alone and refuses one that names a ServiceAccount; ignores updates and other kinds', async () => {
    const mirror = pod({ containers: [{ name: 'a' }] }, { 'kubernetes.io/config.mirror': 'x' });
    expect(((await plugin.admit(attrs(mirror)))!['spec'] as any).serviceAccountName).toBeUndefined();
    await expect(plugin.admit(attrs(pod({ serviceAccountName: 'default' }, { 'kubernetes.io/config.mirror': 'x' })))).rejects.toThrow('a mirror pod may not reference service accounts');
    const upd = pod({ containers: [{ name: 'a' }] });
    expect(await plugin.admit({ ...attrs(upd), operation: 'UPDATE', oldObject: upd })).toBe(upd);
    expect(((upd['spec'] as any).serviceAccountName)).toBeUndefined();
  });
});

describe('ServiceAccount admission with a source that answers at once', () => {
  it('takes what it knows without the waiting lookup, and asks that lookup (with its retries) only when it knows nothing', async () => {
    let nowLooks = 0;
    let asyncLooks = 0;
    const source = {
      serviceAccountNow: (ns: string, name: string) => { nowLooks++; return name === 'late' ? undefined : accounts.get(`${ns}/${name}`); },
      serviceAccount: async (ns: string, name: string) => {
        asyncLooks++;
        return name === 'late' ? { metadata: { name: 'late', namespace: ns }, automountServiceAccountToken: false } : accounts.get(`${ns}/${name}`);
      },
    };
    const sleeps: number[] = [];
    const p = new ServiceAccountAdmission(source, { suffix: () => 'abcde', sleep: async (ms) => { sleeps.push(ms); } });
    const out = await p.admit(attrs(pod({ containers: [{ name: 'a' }] })));
    expect((out!['spec'] as any).volumes).toEqual([{ name: 'kube-api-access-abcde', projected: tokenVolumeSource() }]);
    expect((out!['spec'] as any).imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect([nowLooks, asyncLooks]).toEqual([1, 0]);
    const late = await p.admit(attrs(pod({ serviceAccountName: 'late', containers: [{ name: 'a' }] })));
    expect((late!['spec'] as any).volumes).toBeUndefined();
    expect([nowLooks, asyncLooks]).toEqual([2, 1]);
    // Not there now: the same refusal, after the same ten looks for `default`, as with the waiting source alone.
    await expect(p.admit(attrs(pod({ containers: [{ name: 'a' }] }), 'empty')))
      .rejects.toThrow('pods "p" is forbidden: error looking up service account empty/default: serviceaccount "default" not found');
    expect([nowLooks, asyncLooks]).toEqual([3, 11]);
    expect(sleeps).toHaveLength(9);
  });
});

describe('the token volume name suffix', () => {
  it('is n characters from utilrand.String\'s alphabet (no vowels or look-alikes), each of them reachable', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const s = volumeSuffix(`account-${i}`);
      expect(s).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      for (const c of s) seen.add(c);
    }
    expect(seen.size).toBe(27);
    expect(volumeSuffix('default', 8)).toHaveLength(8);
  });

  it('is the ServiceAccount\'s: the same for its pods, different for other accounts', () => {
    expect(volumeSuffix('default')).toBe(volumeSuffix('default'));
    const names = new Set(Array.from({ length: 1000 }, (_, i) => volumeSuffix(`sa-${i}`)));
    expect(names.size).toBeGreaterThan(990);
  });

  it('names the volume of every pod of an account alike, so equal pods have equal containers', async () => {
    const p = new ServiceAccountAdmission({ serviceAccount: async (ns, name) => accounts.get(`${ns}/${name}`) }, { sleep: async () => {} });
    const spec = (o: KubeObject | null) => o!['spec'] as any;
    const a = spec(await p.admit(attrs(pod({ containers: [{ name: 'a', image: 'x' }] }))));
    const b = spec(await p.admit(attrs(pod({ containers: [{ name: 'a', image: 'x' }] }))));
    expect(a.volumes[0].name).toBe(`kube-api-access-${volumeSuffix('default')}`);
    expect(b.containers).toEqual(a.containers);
    expect(b.volumes).toEqual(a.volumes);
    // A pod's own kube-api-access-* volume is the token volume: the account's name never collides with it.
    const own = spec(await p.admit(attrs(pod({
      volumes: [{ name: `kube-api-access-${volumeSuffix('default')}`, emptyDir: {} }], containers: [{ name: 'a' }],
    }))));
    expect(own.volumes).toEqual([{ name: `kube-api-access-${volumeSuffix('default')}`, emptyDir: {} }]);
    expect(own.containers[0].volumeMounts[0].name).toBe(`kube-api-access-${volumeSuffix('default')}`);
  });
});
