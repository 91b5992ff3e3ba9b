/**
 * The file-projecting volume types (secret, configMap, downwardAPI, projected) through the Pod strategy: upstream's
 * defaults (a projected token's expirationSeconds, a downward fieldRef's apiVersion) and its errors, field by field.
 */
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { pods } from '../../../../src/control/api/kinds/index.js';
import { shareJson } from '../../../../src/control/api/shared-json.js';
import { tokenVolumeSource } from '../../../../src/control/api/admission/service-account.js';

const s = pods.strategy;
const withVolumes = (volumes: unknown[]): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }], volumes } });
const defaulted = (o: KubeObject): KubeObject => { s.default!(o); return o; };
const errors = (volumes: unknown[]) => s.validate!(defaulted(withVolumes(volumes))).map((e) => `${e.field}: ${e.message}`);

/** The volume ServiceAccount admission adds, as a stock cluster shows it. */
const tokenVolume = () => ({
  name: 'kube-api-access-abcde',
  projected: {
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
    ],
  },
});

describe('file volumes: defaults', () => {
  test('a projected token lives 3600 s unless set; a downward fieldRef is v1', () => {
    const p = defaulted(withVolumes([
      { name: 'a', projected: { sources: [{ serviceAccountToken: { path: 't' } }, { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
      { name: 'b', downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'c', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 7200 } }] } },
    ]));
    const vols = (p.spec as { volumes: Record<string, Record<string, unknown>>[] }).volumes;
    expect(vols[0]!.projected).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { path: 't', expirationSeconds: 3600 } },
        { downwardAPI: { items: [{ path: 'n', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } },
      ],
    });
    expect(vols[1]!.downwardAPI).toEqual({ defaultMode: 420, items: [{ path: 'l', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] });
    expect((vols[2]!.projected!.sources as Record<string, Record<string, unknown>>[])[0]!.serviceAccountToken!.expirationSeconds).toBe(7200);
  });
});

describe('file volumes: validation', () => {
  test('the ServiceAccount token volume and plain secret/configMap items pass', () => {
    expect(errors([tokenVolume(), { name: 's', secret: { secretName: 'x', items: [{ key: 'k', path: 'dir/k', mode: 0o400 }] } }])).toEqual([]);
  });

  test('a projected token shorter than 10 minutes or longer than 2^32 s, or without a path, is refused', () => {
    expect(errors([
      { name: 'short', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 599 } }] } },
      { name: 'long', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 2 ** 32 + 1 } }] } },
      { name: 'nopath', projected: { sources: [{ serviceAccountToken: {} }] } },
    ])).toEqual([
      'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
      'spec.volumes[1].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
      'spec.volumes[2].projected.path: Required value',
    ]);
  });

  test('paths must stay inside the volume', () => {
    expect(errors([
      { name: 'a', secret: { secretName: 'x', items: [{ key: 'k', path: '/etc/passwd' }, { key: 'k2', path: 'a/../../b' }, { key: 'k3', path: '..data' }, { key: 'k4', path: '..x/../y' }, { path: 'p' }] } },
      { name: 'b', projected: { sources: [{ serviceAccountToken: { path: '../token' } }] } },
    ])).toEqual([
      'spec.volumes[0].secret.items[0].path: Invalid value: "/etc/passwd": must be a relative path',
      'spec.volumes[0].secret.items[1].path: Invalid value: "a/../../b": must not contain \'..\'',
      'spec.volumes[0].secret.items[2].path: Invalid value: "..data": must not start with \'..\'',
      'spec.volumes[0].secret.items[3].path: Invalid value: "..x/../y": must not contain \'..\'',
      'spec.volumes[0].secret.items[3].path: Invalid value: "..x/../y": must not start with \'..\'',
      'spec.volumes[0].secret.items[4].key: Required value',
      'spec.volumes[1].projected.path: Invalid value: "../token": must not contain \'..\'',
    ]);
  });

  test('modes are 0-0777; a projected source names one type and no path twice', () => {
    expect(errors([
      { name: 'm', configMap: { name: 'cm', defaultMode: 0o1000, items: [{ key: 'k', path: 'p', mode: -1 }] } },
      {
        name: 'p',
        projected: {
          sources: [
            { secret: { name: 's', items: [{ key: 'a', path: 'same' }] }, configMap: { name: 'c' } },
            { configMap: { name: 'c2', items: [{ key: 'b', path: 'same' }] } },
            { downwardAPI: { items: [{ path: 'same', fieldRef: { fieldPath: 'metadata.name' } }, { path: 'both', fieldRef: { fieldPath: 'metadata.name' }, resourceFieldRef: { resource: 'limits.cpu' } }, { path: 'none' }] } },
            { secret: {} },
          ],
        },
      },
    ])).toEqual([
      'spec.volumes[0].configMap.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive',
      'spec.volumes[0].configMap.items[0].mode: Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive',
      'spec.volumes[1].projected.sources[0]: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[1].projected: Invalid value: "c2": conflicting duplicate paths',
      'spec.volumes[1].projected: Invalid value: "same": conflicting duplicate paths',
      'spec.volumes[1].projected.sources[2].downwardAPI: Invalid value: "resource": fieldRef and resourceFieldRef can not be specified simultaneously',
      'spec.volumes[1].projected.sources[2].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required',
      'spec.volumes[1].projected.sources[3].secret.name: Required value',
    ]);
  });
});

describe('file volumes: shared (deep-frozen) projected sources', () => {
  test('the ServiceAccount token source is valid in every pod that holds it', () => {
    for (let i = 0; i < 3; i++) expect(errors([{ name: 'kube-api-access-abcde', projected: tokenVolumeSource() }])).toEqual([]);
  });

  test('a shared source with errors reports them every time, at each holder\'s own path', () => {
    const bad = shareJson({ sources: [{ serviceAccountToken: { path: '../t', expirationSeconds: 60 } }], defaultMode: 420 });
    const expected = (i: number) => [
      `spec.volumes[${i}].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes`,
      `spec.volumes[${i}].projected.path: Invalid value: "../t": must not contain '..'`,
    ];
    expect(errors([{ name: 'a', projected: bad }])).toEqual(expected(0));
    expect(errors([{ name: 'e', emptyDir: {} }, { name: 'a', projected: bad }])).toEqual(expected(1));
  });
});
