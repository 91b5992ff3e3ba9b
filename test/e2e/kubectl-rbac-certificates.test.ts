/**
 * The real kubectl against a real API server for the RBAC, certificates and apiregistration kinds:
 * `kubectl create role|rolebinding|clusterrole|clusterrolebinding` (typed generators, protobuf bodies),
 * a CertificateSigningRequest from a key made here, `kubectl certificate approve|deny` (PUT …/approval),
 * and `kubectl get apiservices` listing the local APIServices of the built-in groups.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/client/types.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { requestField, rsaCsrPem } from '../support/csr.js';

const KUBECTL = '/usr/bin/kubectl';
if (!existsSync(KUBECTL)) console.warn('kubectl not found at /usr/bin/kubectl: the RBAC/certificates kubectl suite is skipped');

describe.skipIf(!existsSync(KUBECTL))('kubectl: rbac, certificates, apiservices', () => {
  let cluster: TestCluster;
  let dir: string;
  const kubectl = async (...args: string[]): Promise<string> =>
    (await promisify(execFile)(KUBECTL, ['--kubeconfig', cluster.kubeconfig, ...args])).stdout;
  const kubectlFails = async (...args: string[]): Promise<string> => {
    try {
      await kubectl(...args);
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded`);
  };
  const getJson = async <T = KubeObject>(...args: string[]): Promise<T> => JSON.parse(await kubectl('get', ...args, '-o', 'json')) as T;

  beforeAll(async () => {
    cluster = await startTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'skiff-csr-e2e-'));
  });
  afterAll(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates roles, cluster roles and their bindings with the typed generators', async () => {
    const out = [
      await kubectl('create', 'role', 'pod-reader', '-n', 'default', '--verb=get,list,watch', '--resource=pods'),
      await kubectl('create', 'rolebinding', 'read-pods', '-n', 'default', '--role=pod-reader', '--user=alice', '--serviceaccount=default:builder'),
      await kubectl('create', 'clusterrole', 'node-reader', '--verb=get', '--resource=nodes', '--non-resource-url=/healthz'),
      await kubectl('create', 'clusterrolebinding', 'read-nodes', '--clusterrole=node-reader', '--group=ops'),
    ].join('');
    for (const what of ['role.rbac.authorization.k8s.io/pod-reader', 'rolebinding.rbac.authorization.k8s.io/read-pods',
      'clusterrole.rbac.authorization.k8s.io/node-reader', 'clusterrolebinding.rbac.authorization.k8s.io/read-nodes']) {
      expect(out).toContain(`${what} created`);
    }
    const role = await getJson<KubeObject & { rules: unknown[] }>('role', 'pod-reader', '-n', 'default');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    const rb = await getJson<KubeObject & { roleRef: unknown; subjects: unknown[] }>('rolebinding', 'read-pods', '-n', 'default');
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' });
    expect(rb.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
      { kind: 'ServiceAccount', name: 'builder', namespace: 'default' },
    ]);
    const wideOut = await kubectl('get', 'rolebinding', 'read-pods', '-n', 'default', '-o', 'wide');
    expect(wideOut).toMatch(/^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\n/);
    expect(wideOut).toMatch(/read-pods\s+Role\/pod-reader\s+\S+\s+alice\s+default\/builder/);
    expect(await kubectl('get', 'clusterroles')).toMatch(/^NAME\s+CREATED AT\nnode-reader\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
    expect(await kubectl('get', 'clusterrolebinding', 'read-nodes')).toMatch(/read-nodes\s+ClusterRole\/node-reader\s+\S+/);
    // roleRef is immutable: a changed one is refused with upstream's words.
    const refused = await kubectlFails('patch', 'clusterrolebinding', 'read-nodes', '--type=merge', '-p', '{"roleRef":{"name":"other"}}');
    expect(refused).toContain('cannot change roleRef');
  });

  it('approves a CertificateSigningRequest made from a key of its own, and refuses to deny it afterwards', async () => {
    const manifest = join(dir, 'csr.yaml');
    writeFileSync(manifest, JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'alice' },
      spec: { request: requestField(rsaCsrPem('alice')), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 86400 },
    }));
    expect(await kubectl('create', '-f', manifest)).toContain('certificatesigningrequest.certificates.k8s.io/alice created');
    // The requester is who created it (the test cluster's unauthenticated user, system:unsecured).
    expect(await kubectl('get', 'csr')).toMatch(/^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\nalice\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+system:unsecured\s+24h\s+Pending\n/);
    expect(await kubectl('certificate', 'approve', 'alice')).toContain('certificatesigningrequest.certificates.k8s.io/alice approved');
    expect(await kubectl('get', 'csr', 'alice')).toMatch(/alice\s+\S+\s+kubernetes.io\/kube-apiserver-client\s+system:unsecured\s+24h\s+Approved\n/);
    expect((await getJson<KubeObject & { spec: Record<string, unknown> }>('csr', 'alice')).spec).toMatchObject({ username: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] });
    const csr = await getJson<KubeObject & { status: { conditions: Array<Record<string, string>> } }>('csr', 'alice');
    expect(csr.status.conditions).toHaveLength(1);
    expect(csr.status.conditions[0]).toMatchObject({ type: 'Approved', status: 'True', reason: 'KubectlApprove' });
    expect(csr.status.conditions[0]!.lastTransitionTime).toMatch(/Z$/);
    const described = await kubectl('describe', 'csr', 'alice');
    expect(described).toMatch(/Signer:\s+kubernetes.io\/kube-apiserver-client/);
    expect(described).toMatch(/Status:\s+Approved/);
    expect(described).toMatch(/Common Name:\s+alice/);
    // kubectl will not deny an approved request; the server refuses a Denied beside Approved through /approval too.
    expect(await kubectlFails('certificate', 'deny', 'alice')).toContain('certificate signing request "alice" is already Approved');
    const denied = { ...csr, status: { conditions: [...csr.status.conditions, { type: 'Denied', status: 'True', reason: 'Manual' }] } };
    const res = await fetch(`${cluster.url}/apis/certificates.k8s.io/v1/certificatesigningrequests/alice/approval`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(denied),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toContain('status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive');
    // A request that is not a CSR is refused at create.
    writeFileSync(manifest, JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'junk' },
      spec: { request: requestField('not a csr'), signerName: 'example.com/x', usages: ['client auth'] },
    }));
    expect(await kubectlFails('create', '-f', manifest)).toContain('PEM block type must be CERTIFICATE REQUEST');
  });

  it('api-resources and explain know the new kinds', async () => {
    const res = await kubectl('api-resources');
    for (const line of [
      /^roles\s+rbac\.authorization\.k8s\.io\/v1\s+true\s+Role$/m, /^clusterrolebindings\s+rbac\.authorization\.k8s\.io\/v1\s+false\s+ClusterRoleBinding$/m,
      /^certificatesigningrequests\s+csr\s+certificates\.k8s\.io\/v1\s+false\s+CertificateSigningRequest$/m,
      /^validatingwebhookconfigurations\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingWebhookConfiguration$/m,
      /^validatingadmissionpolicybindings\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingAdmissionPolicyBinding$/m,
      /^apiservices\s+apiregistration\.k8s\.io\/v1\s+false\s+APIService$/m,
    ]) expect(res).toMatch(line);
    expect(await kubectl('explain', 'clusterrole.aggregationRule')).toMatch(/FIELD:\s+aggregationRule <AggregationRule>/);
    expect(await kubectl('explain', 'csr.spec.expirationSeconds')).toMatch(/FIELD:\s+expirationSeconds <integer>/);
    expect(await kubectl('explain', 'validatingwebhookconfiguration.webhooks.failurePolicy')).toMatch(/FIELD:\s+failurePolicy <string>/);
  });

  it('lists a local APIService for each built-in group-version', async () => {
    const out = await kubectl('get', 'apiservices');
    expect(out).toMatch(/^NAME\s+SERVICE\s+AVAILABLE\s+AGE\n/);
    for (const name of ['v1.', 'v1.apps', 'v1.rbac.authorization.k8s.io', 'v1.certificates.k8s.io', 'v1.apiregistration.k8s.io', 'v2.autoscaling']) {
      expect(out).toMatch(new RegExp(`\\n${name.replace(/\./g, '\\.')}\\s+Local\\s+True\\s+`));
    }
    const core = await getJson<KubeObject & { spec: Record<string, unknown> }>('apiservice', 'v1.');
    expect(core.spec).toEqual({ version: 'v1', group: '', groupPriorityMinimum: 18000, versionPriority: 1 });
  });
});
