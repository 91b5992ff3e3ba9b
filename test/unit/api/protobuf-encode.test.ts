/**
 * Protobuf responses: what encodeProtobuf writes, decodeProtobuf (whose table is checked against kubectl's own
 * bytes in protobuf.test.ts) reads back as the same JSON, for kinds across groups; objects with a field the table
 * lacks are refused as NotEncodable (the server then answers JSON).
 */
import { describe, expect, it } from 'vitest';
import { decodeProtobuf } from '../../../src/control/api/content.js';
import { encodeProtobuf, NotEncodable } from '../../../src/control/api/protobuf/encode.js';

const meta = { name: 'x', namespace: 'ns', uid: 'u-1', resourceVersion: '42', generation: 3, creationTimestamp: '2026-12-03T10:00:00Z', labels: { app: 'a' }, annotations: { note: 'n' } };

const objects: Record<string, Record<string, unknown>> = {
  pod: {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { ...meta, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-2', controller: true, blockOwnerDeletion: true }], finalizers: ['f'],
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2026-12-03T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } }] },
    spec: {
      containers: [{
        name: 'c', image: 'busybox', command: ['sh', '-c'], args: ['sleep 1'], ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: false } } }],
        resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m' } },
        readinessProbe: { httpGet: { path: '/', port: 'http', scheme: 'HTTP' }, periodSeconds: 5 },
        livenessProbe: { grpc: { port: 9000 }, failureThreshold: 3 },
        lifecycle: { preStop: { sleep: { seconds: 2 } } },
        securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { drop: ['ALL'] } },
        terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent', restartPolicy: 'Always',
      }],
      volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }, { name: 'e', emptyDir: {} }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', nodeName: 'n1', schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }], priority: 0, enableServiceLinks: true,
    },
    status: {
      phase: 'Running', hostIP: '10.0.0.1', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }], startTime: '2026-12-03T10:00:01Z', qosClass: 'Burstable',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-03T10:00:02Z' }],
      containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: 'sha256:x', containerID: 'skiff://1', started: true, state: { running: { startedAt: '2026-12-03T10:00:02Z' } } }],
    },
  },
  deployment: {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta,
    spec: { replicas: 0, selector: { matchLabels: { app: 'a' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 },
    status: { observedGeneration: 3, replicas: 2, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2026-12-03T10:00:00Z', lastTransitionTime: '2026-12-03T10:00:00Z', reason: 'MinimumReplicasAvailable', message: 'ok' }] },
  },
  lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-12-03T10:00:00.123456Z' } },
  secret: { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'Opaque', data: { k: Buffer.from('value').toString('base64') } },
  cronjob: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta, spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } } } } },
  status: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 },
  podList: { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '9', continue: 'c' }, items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'i' }] } }] },
  review: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec: { user: 'alice', groups: ['dev'], extra: { scopes: ['a', 'b'] }, resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'ns' } }, status: { allowed: true, reason: 'ok' } },
};

describe('protobuf responses', () => {
  for (const [name, obj] of Object.entries(objects)) {
    it(`${name} reads back as the same object`, () => {
      const bytes = encodeProtobuf(obj);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('k8s\u0000');
      // List items lose their TypeMeta on the wire, as upstream's.
      const expected = name === 'podList' ? { ...obj, items: [{ metadata: { name: 'a', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'i' }] } }] } : obj;
      expect(decodeProtobuf(bytes)).toEqual(JSON.parse(JSON.stringify(expected)));
    });
  }

  it('fields newer than v1.20 (read from kubectl 1.32\'s descriptors) encode: a Running pod as the kubelet writes it, a Job\'s status', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns' },
      spec: { containers: [{ name: 'nginx', image: 'nginx' }], os: { name: 'linux' }, schedulingGates: [{ name: 'g' }] },
      status: {
        phase: 'Running', hostIP: '10.0.0.1', hostIPs: [{ ip: '10.0.0.1' }], podIP: '10.244.0.3', podIPs: [{ ip: '10.244.0.3' }], qosClass: 'BestEffort',
        conditions: [{ type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-03T21:54:42Z' }],
        containerStatuses: [{
          name: 'nginx', ready: true, restartCount: 0, started: true, image: 'docker.io/library/nginx:latest', imageID: 'docker.io/library/nginx@sha256:86ce',
          containerID: 'skiff-sim://4bbc', state: { running: { startedAt: '2026-12-03T21:54:42Z' } }, lastState: {},
          volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true, recursiveReadOnly: 'Disabled' }],
          allocatedResources: { cpu: '100m' },
        }],
      },
    };
    const { conditions, ...status } = pod.status;
    const [{ lastProbeTime: _dropped, ...condition }] = conditions;
    // lastProbeTime: null is the zero time, which protobuf leaves out (as upstream's).
    expect(decodeProtobuf(encodeProtobuf(pod))).toEqual({ ...pod, status: { ...status, conditions: [condition] } });
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'ns' }, status: { active: 1, ready: 0, terminating: 0, uncountedTerminatedPods: { succeeded: ['u1'] } } };
    expect(decodeProtobuf(encodeProtobuf(job))).toEqual(job);
  });

  it('times before 1970 keep their value; only the zero time is an empty message (e2e Lease test: year 1 plus 2 s)', () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'ns' }, spec: { holderIdentity: 'h', acquireTime: '0001-01-01T00:00:02.000000Z', renewTime: '1969-12-31T23:59:59.500000Z' } };
    expect(decodeProtobuf(encodeProtobuf(lease))).toEqual(lease);
    const zero = { ...lease, spec: { holderIdentity: 'h', acquireTime: '0001-01-01T00:00:00.000000Z' } };
    expect(decodeProtobuf(encodeProtobuf(zero))).toEqual({ ...lease, spec: { holderIdentity: 'h' } });
  });

  it('refuses what the table does not know, so the server answers JSON', () => {
    expect(() => encodeProtobuf({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(NotEncodable);
    expect(() => encodeProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' }, surprise: 1 })).toThrow(/surprise: unknown/);
  });
});
