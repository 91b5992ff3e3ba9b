/**
 * A container's env and envFrom, and the downward API's selectors (env fieldRef/resourceFieldRef, downwardAPI volume
 * files), through the Pod strategy: upstream's errors field by field, and the forms a stock cluster accepts.
 */
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { pods } from '../../../../src/control/api/kinds/index.js';

const s = pods.strategy;
const pod = (container: Record<string, unknown>, volumes: unknown[] = []): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx', ...container }], volumes } });
const errorsOf = (o: KubeObject): string[] => { s.default!(o); return s.validate!(o).map((e) => `${e.field}: ${e.message}`); };
const envErrors = (env: unknown[]) => errorsOf(pod({ env }));
const fieldEnv = (fieldPath: string, apiVersion?: string) =>
  ({ name: 'V', valueFrom: { fieldRef: apiVersion === undefined ? { fieldPath } : { apiVersion, fieldPath } } });

describe('env valueFrom', () => {
  test('every source a stock cluster accepts passes', () => {
    expect(envErrors([
      { name: 'A', value: 'x' },
      fieldEnv('metadata.name'), fieldEnv('status.podIPs'), fieldEnv('status.hostIPs'), fieldEnv('spec.serviceAccountName'),
      fieldEnv("metadata.labels['app']"), fieldEnv("metadata.annotations['Example.com/Key']"),
      fieldEnv('spec.host'),
      { name: 'B', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'C', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'D', valueFrom: { resourceFieldRef: { resource: 'limits.hugepages-2Mi', divisor: '1Ki' } } },
      { name: 'E', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'some.key' } } },
      { name: 'F', valueFrom: { secretKeyRef: { name: 'sec', key: 'password', optional: true } } },
      { name: 'G', value: '', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    ])).toEqual([]);
  });

  test('no source, a value beside a source, and two sources are refused at valueFrom', () => {
    expect(envErrors([
      { name: 'A', valueFrom: {} },
      { name: 'B', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } } },
    ])).toEqual([
      'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
      'spec.containers[0].env[2].valueFrom: Invalid value: "": may not have more than one field specified at a time',
    ]);
  });

  test('a fieldRef outside the env list, of another version, with a subscript it does not take, or a bad key', () => {
    expect(envErrors([
      fieldEnv('metadata.labels'),
      fieldEnv('status.phase'),
      fieldEnv('spec.nope'),
      fieldEnv('metadata.name', 'v2'),
      fieldEnv("spec.nodeName['x']"),
      fieldEnv("metadata.labels['-bad-']"),
      { name: 'V', valueFrom: { fieldRef: { apiVersion: 'v1' } } },
    ])).toEqual([
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      'spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Invalid value: "spec.nope": error converting fieldPath: field label not supported: spec.nope',
      'spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Invalid value: "metadata.name": error converting fieldPath: unsupported pod version: v2',
      'spec.containers[0].env[4].valueFrom.fieldRef.fieldPath: Invalid value: "spec.nodeName[\'x\']": error converting fieldPath: field label does not support subscript: spec.nodeName[\'x\']',
      "spec.containers[0].env[5].valueFrom.fieldRef: Invalid value: \"-bad-\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      'spec.containers[0].env[6].valueFrom.fieldRef.fieldPath: Required value',
    ]);
  });

  test('a resourceFieldRef names a known resource and a divisor that fits it', () => {
    expect(envErrors([
      { name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } },
      { name: 'B', valueFrom: { resourceFieldRef: {} } },
      { name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '10m' } } },
      { name: 'D', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '3' } } },
      { name: 'E', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1000m' } } },
      { name: 'F', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } } },
    ])).toEqual([
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"',
      'spec.containers[0].env[1].valueFrom.resourceFieldRef.resource: Required value',
      'spec.containers[0].env[2].valueFrom.resourceFieldRef.divisor: Invalid value: "limits.cpu": only divisor\'s values 1m and 1 are supported with the cpu resource',
      'spec.containers[0].env[3].valueFrom.resourceFieldRef.divisor: Invalid value: "requests.memory": only divisor\'s values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource',
    ]);
  });

  test('ConfigMap and Secret keys need a valid object name and key', () => {
    expect(envErrors([
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'Cfg', key: '' } } },
      { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'a/b' } } },
    ])).toEqual([
      "spec.containers[0].env[0].valueFrom.configMapKeyRef.name: Invalid value: \"Cfg\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      'spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Required value',
      "spec.containers[0].env[1].valueFrom.secretKeyRef.key: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
  });

  test('a missing name is reported and the source still checked', () => {
    expect(envErrors([{ valueFrom: {} }])).toEqual([
      'spec.containers[0].env[0].name: Required value',
      'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
    ]);
  });
});

describe('envFrom', () => {
  const errs = (envFrom: unknown[]) => errorsOf(pod({ envFrom }));
  test('one of configMapRef or secretRef, named, with a valid prefix', () => {
    expect(errs([{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'sec' } }])).toEqual([]);
    expect(errs([
      {},
      { configMapRef: { name: 'a' }, secretRef: { name: 'b' } },
      { secretRef: {} },
      { configMapRef: { name: 'cfg' }, prefix: 'A=B' },
    ])).toEqual([
      'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`',
      'spec.containers[0].envFrom: Invalid value: "": may not have more than one field specified at a time',
      'spec.containers[0].envFrom[2].secretRef.name: Required value',
      "spec.containers[0].envFrom[3].prefix: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
    ]);
  });
});

describe('downwardAPI volume files', () => {
  const volErrors = (items: unknown[]) => errorsOf(pod({}, [{ name: 'd', downwardAPI: { items } }]));
  test('labels and annotations whole, a container resource by container name', () => {
    expect(volErrors([
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu', divisor: '1m' } },
    ])).toEqual([]);
  });

  test('env-only fields, a resource without its container, and a bad divisor are refused at the volume', () => {
    expect(volErrors([
      { path: 'ip', fieldRef: { fieldPath: 'status.podIP' } },
      { path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } },
      { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '2Mi' } },
    ])).toEqual([
      'spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
      'spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required value',
      'spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid value: "limits.memory": only divisor\'s values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource',
    ]);
  });
});
