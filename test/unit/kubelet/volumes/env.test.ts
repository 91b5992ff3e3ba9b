import { describe, expect, it } from 'vitest';
import type { Container } from 'kubernetes-types/core/v1.js';
import { mergeEnv, resolveEnv, type EnvOptions } from '../../../../src/dataplane/kubelet/volumes/env.js';
import { serviceEnvMap } from '../../../../src/dataplane/kubelet/volumes/service-env.js';
import { VolumeError } from '../../../../src/dataplane/kubelet/volumes/types.js';
import { MemorySource, b64 } from './fixtures.js';

const pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/note': 'a "b"' } },
  spec: { nodeName: 'node-1', serviceAccountName: 'builder', containers: [] as Container[] },
};
const opts: EnvOptions = {
  podIPs: ['10.244.1.5', 'fd00::5'],
  hostIPs: ['192.168.1.10'],
  allocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' },
};

function source() {
  return new MemorySource()
    .put('configmap', 'shop', 'cfg', { data: { MODE: 'prod', 'bad key': 'x', '1st': 'y', 'log.level': 'debug' } })
    .put('secret', 'shop', 'creds', { data: { PASSWORD: b64('s3cret'), user: b64('admin') } });
}

async function envOf(c: Partial<Container>, o: Partial<EnvOptions> = {}, imageEnv: string[] = []) {
  return resolveEnv(pod, { name: 'app', ...c }, source(), imageEnv, { ...opts, ...o });
}

async function failure(p: Promise<unknown>): Promise<VolumeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VolumeError);
    return err as VolumeError;
  }
  throw new Error('expected a VolumeError');
}

describe('resolveEnv: values and the downward API', () => {
  it('resolves fieldRefs', async () => {
    const fields = [
      'metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['app']", "metadata.annotations['example.com/note']",
      "metadata.labels['missing']", 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
    ];
    const r = await envOf({ env: fields.map((f, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath: f } } })) });
    expect([...r.vars.values()]).toEqual([
      'web-0', 'shop', 'u-1', 'web', 'a "b"', '', 'node-1', 'builder', '192.168.1.10', '192.168.1.10', '10.244.1.5', '10.244.1.5,fd00::5',
    ]);
  });

  it('rejects field paths an env var may not use, as CreateContainerConfigError', async () => {
    const e = await failure(envOf({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.restartPolicy' } } }] }));
    expect(e.reason).toBe('CreateContainerConfigError');
    expect(e.message).toBe('unsupported fieldPath: spec.restartPolicy');
    const e2 = await failure(envOf({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }] }));
    expect(e2.message).toBe('field label not supported: spec.containers');
  });

  it('resolves resourceFieldRefs with divisors, defaulting missing limits to node allocatable', async () => {
    const c: Partial<Container> = {
      resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
      env: [
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'CPU_LIMIT_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'EPH', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } },
      ],
    };
    const r = await envOf(c);
    expect(Object.fromEntries(r.vars)).toEqual({
      CPU_LIMIT: '1', // ceil(0.5)
      CPU_LIMIT_M: '500',
      MEM_LIMIT: '8192', // allocatable 8Gi in Mi
      MEM_REQ: String(64 * 2 ** 20),
      CPU_REQ: '0',
      EPH: '100',
    });
    const e = await failure(envOf({ env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.pods' } } }] }));
    expect(e.message).toBe('unsupported container resource : limits.pods');
  });

  it('expands $(VAR) against earlier variables and service variables, leaving unknown ones', async () => {
    const services = [
      { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    ];
    const r = await envOf(
      {
        env: [
          { name: 'A', value: 'x' },
          { name: 'B', value: '$(A)-$(C)-$$(A)-$(KUBERNETES_SERVICE_HOST)' },
          { name: 'C', value: 'late' },
          { name: 'EMPTY' },
        ],
      },
      { services },
    );
    expect(r.vars.get('B')).toBe('x-$(C)-$(A)-10.96.0.1');
    expect(r.vars.get('EMPTY')).toBe('');
  });
});

describe('resolveEnv: ConfigMaps and Secrets', () => {
  it('reads keys, decodes secrets, and skips optional missing objects and keys', async () => {
    const r = await envOf({
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'OPT1', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'OPT2', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nokey', optional: true } } },
        { name: 'OPT3', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
      ],
    });
    expect(Object.fromEntries(r.vars)).toEqual({ MODE: 'prod', PW: 's3cret' });
  });

  it("fails with upstream's messages", async () => {
    const cases: [Container['env'], string][] = [
      [[{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }], 'configmap "x" not found'],
      [[{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k', optional: false } } }], 'configmap "x" not found'],
      [[{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }], "couldn't find key k in ConfigMap shop/cfg"],
      [[{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], 'secret "s" not found'],
      [[{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }], "couldn't find key k in Secret shop/creds"],
    ];
    for (const [env, msg] of cases) {
      const e = await failure(envOf({ env }));
      expect(e.reason).toBe('CreateContainerConfigError');
      expect(e.message).toBe(msg);
    }
    const e = await failure(envOf({ envFrom: [{ secretRef: { name: 'gone' } }] }));
    expect(e.message).toBe('secret "gone" not found');
  });

  it('envFrom: prefix, invalid keys skipped with a warning, env overrides envFrom', async () => {
    const r = await envOf({
      envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'creds' } }, { configMapRef: { name: 'gone', optional: true } }],
      env: [{ name: 'MODE', value: 'override-$(S_user)' }],
    });
    expect(Object.fromEntries(r.vars)).toEqual({ MODE: 'override-admin', 'log.level': 'debug', S_PASSWORD: 's3cret', S_user: 'admin' });
    expect(r.warnings).toEqual([
      {
        reason: 'InvalidEnvironmentVariableNames',
        message: 'Keys [1st, bad key] from the EnvFrom configMap shop/cfg were skipped since they are considered invalid environment variable names.',
      },
    ]);
    const relaxed = await envOf({ envFrom: [{ configMapRef: { name: 'cfg' } }] }, { relaxedEnvVarNames: true });
    expect(relaxed.vars.get('1st')).toBe('y');
    expect(relaxed.vars.get('bad key')).toBe('x');
    expect(relaxed.warnings).toEqual([]);
  });

  it('fetches each object once per resolution', async () => {
    const src = source();
    await resolveEnv(pod, { name: 'c', envFrom: [{ configMapRef: { name: 'cfg' } }], env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } }] }, src, [], opts);
    expect(src.calls).toBe(1);
  });
});

describe('service environment variables', () => {
  const services = [
    { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    { metadata: { name: 'redis-primary', namespace: 'shop' }, spec: { clusterIP: '10.96.0.11', ports: [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'UDP' }] } },
    { metadata: { name: 'headless', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    { metadata: { name: 'other', namespace: 'elsewhere' }, spec: { clusterIP: '10.96.0.12', ports: [{ port: 80 }] } },
  ];

  it('are docker-link style for each service of the namespace, plus the kubernetes service always', () => {
    const m = serviceEnvMap(services, 'shop', true);
    expect(Object.fromEntries(m)).toEqual({
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.11',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.11',
      REDIS_PRIMARY_PORT_9121_UDP: 'udp://10.96.0.11:9121',
      REDIS_PRIMARY_PORT_9121_UDP_PROTO: 'udp',
      REDIS_PRIMARY_PORT_9121_UDP_PORT: '9121',
      REDIS_PRIMARY_PORT_9121_UDP_ADDR: '10.96.0.11',
    });
  });

  it('enableServiceLinks false keeps only the kubernetes service; a namespace service named kubernetes wins elsewhere', () => {
    expect([...serviceEnvMap(services, 'shop', false).keys()].every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
    const shadow = [...services, { metadata: { name: 'kubernetes', namespace: 'shop' }, spec: { clusterIP: '10.96.0.99', ports: [{ port: 80 }] } }];
    expect(serviceEnvMap(shadow, 'shop', true).get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.99');
    expect(serviceEnvMap(shadow, 'default', true).get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
  });

  it('come after the container variables and never replace them; IPv6 addresses are bracketed', async () => {
    const v6 = [{ metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: 'fd00::1', ports: [{ port: 443 }] } }];
    const r = await envOf({ env: [{ name: 'KUBERNETES_SERVICE_PORT', value: 'mine' }, { name: 'Z', value: 'z' }] }, { services: v6 });
    const keys = [...r.vars.keys()];
    expect(keys.slice(0, 2)).toEqual(['KUBERNETES_SERVICE_PORT', 'Z']);
    expect(r.vars.get('KUBERNETES_SERVICE_PORT')).toBe('mine');
    expect(r.vars.get('KUBERNETES_PORT')).toBe('tcp://[fd00::1]:443');
  });
});

describe('image env and the runtime defaults', () => {
  it('lays the container env over PATH, HOSTNAME and the image env, replacing keys in place', async () => {
    const r = await envOf({ env: [{ name: 'HOME', value: '/data' }, { name: 'NEW', value: '1' }] }, { hostname: 'web-0' }, [
      'PATH=/bin:/usr/bin',
      'HOME=/root',
      'LANG=C.UTF-8',
    ]);
    expect(r.env).toEqual(['PATH=/bin:/usr/bin', 'HOSTNAME=web-0', 'HOME=/data', 'LANG=C.UTF-8', 'NEW=1']);
  });

  it('mergeEnv unsets a bare KEY', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['A', 'C=3', 'B=x'])).toEqual(['B=x', 'C=3']);
  });
});
