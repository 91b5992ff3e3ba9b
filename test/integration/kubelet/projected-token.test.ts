/**
 * The node side of ServiceAccount tokens against a real API server: a pod the ServiceAccount admission plugin
 * gave a kube-api-access volume is prepared by volumes/ with the token manager as its token provider; the volume
 * holds a token bound to the pod (TokenRequest), the cluster CA and the namespace, and the token authenticates.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';
import { newSigningKey } from '../../../src/control/api/serviceaccount/key.js';
import { ConfigMaps, Pods, ServiceAccounts } from '../../../src/client/resources.js';
import { RestClient } from '../../../src/client/rest.js';
import { prepareVolumes, cleanupVolumes } from '../../../src/dataplane/kubelet/volumes/index.js';
import { TokenManager } from '../../../src/dataplane/kubelet/volumes/token-manager.js';
import { apiObjectSource } from '../../../src/dataplane/kubelet/runtime/runc/node-deps.js';
import { FakeMounter } from '../../unit/kubelet/volumes/fixtures.js';

let cluster: TestCluster;
let tmp: string;

beforeAll(async () => {
  cluster = await startTestCluster({ metrics: false, serviceAccounts: { key: newSigningKey('ec'), admission: true } });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-projtok-'));
  // What the serviceaccount and root-ca-cert-publisher controllers would have made.
  await cluster.client.create(ServiceAccounts, { metadata: { name: 'default', namespace: 'default' } }, 'default');
  await cluster.client.create(ConfigMaps, { metadata: { name: 'kube-root-ca.crt', namespace: 'default' }, data: { 'ca.crt': 'CA PEM' } }, 'default');
});

afterAll(async () => {
  await cluster?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('projected ServiceAccount token volume', () => {
  it('is written with a pod-bound token, the CA and the namespace; the token is the ServiceAccount', async () => {
    const pod = (await cluster.client.create(Pods, { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, 'default')) as unknown as Pod;
    const vol = pod.spec!.volumes!.find((v) => v.name.startsWith('kube-api-access-'))!;
    const tokens = new TokenManager((m, p, b) => cluster.client.request(m, p, b));
    const mounter = new FakeMounter();
    const podDir = path.join(tmp, 'pods', pod.metadata!.uid!);
    const prepared = await prepareVolumes(pod, podDir, apiObjectSource(cluster.client), { allocatable: { cpu: '1', memory: '1Gi' }, mounter, token: tokens.provider });
    const dir = prepared.get(vol.name)!.hostPath;
    const token = await fs.readFile(path.join(dir, 'token'), 'utf8');
    expect(await fs.readFile(path.join(dir, 'ca.crt'), 'utf8')).toBe('CA PEM');
    expect(await fs.readFile(path.join(dir, 'namespace'), 'utf8')).toBe('default');
    expect((await fs.stat(path.join(dir, 'token'))).mode & 0o777).toBe(0o644);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, any>;
    expect(claims['kubernetes.io'].pod).toEqual({ name: 'web', uid: pod.metadata!.uid });
    // The kubelet's 3607 s is extended to a year, with warnafter at the asked time.
    expect(claims['exp'] - claims['iat']).toBe(365 * 24 * 3600);
    expect(claims['kubernetes.io'].warnafter - claims['iat']).toBe(3607);

    const asPod = new RestClient({ server: cluster.url, token });
    try {
      const me = await asPod.request<{ status: { userInfo: { username: string; extra?: Record<string, string[]> } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
      expect(me.status.userInfo.username).toBe('system:serviceaccount:default:default');
      expect(me.status.userInfo.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['web']);
    } finally {
      asPod.close();
    }
    // A second prepare (the periodic rewrite) reuses the cached token.
    await prepareVolumes(pod, podDir, apiObjectSource(cluster.client), { allocatable: { cpu: '1', memory: '1Gi' }, mounter, token: tokens.provider });
    expect(await fs.readFile(path.join(dir, 'token'), 'utf8')).toBe(token);
    await cleanupVolumes(podDir, { mounter });
  });
});
