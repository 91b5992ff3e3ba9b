/**
 * `skiff server` driven by the real kubectl (skipped, saying so, when no kubectl is on PATH): apply of a
 * multi-document YAML twice (the second a strategic patch), get in every output, describe, label, annotate,
 * scale, patch (strategic, merge, json), get -w, api-resources, explain, create <generator>, delete.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the kubectl end-to-end suite');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

const { k, kFail } = kubectlFor(() => server.kubeconfig);

const manifest = (replicas: number, value: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: demo
data:
  a: "${value}"
`;

describe.skipIf(!KUBECTL)('kubectl against skiff server', () => {
  beforeAll(async () => {
    data = makeDataDir();
    // API semantics alone: no local node and no controllers (pods stay Pending, objects stay as written).
    server = await startServer(data.dir, ['--nodes', '0', '--no-controllers']);
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('version and api-resources', () => {
    expect(k('version', '-o', 'json')).toContain('"gitVersion": "v1.32');
    const res = k('api-resources');
    for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m]) {
      expect(res).toMatch(line);
    }
  });

  test('apply -f a multi-document YAML, then again as a strategic patch', () => {
    const file = join(data.dir, 'app.yaml');
    writeFileSync(file, manifest(2, '1'));
    const first = k('apply', '-f', file);
    expect(first).toContain('namespace/demo created');
    expect(first).toContain('deployment.apps/web created');
    expect(first).toContain('service/web created');
    expect(first).toContain('configmap/cfg created');
    writeFileSync(file, manifest(3, '2'));
    const second = k('apply', '-f', file);
    expect(second).toContain('deployment.apps/web configured');
    expect(second).toContain('service/web unchanged');
    expect(second).toContain('configmap/cfg configured');
    expect(k('-n', 'demo', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}')).toBe('3 2');
    expect(k('-n', 'demo', 'get', 'cm', 'cfg', '-o', 'jsonpath={.data.a}')).toBe('2');
  });

  test('get -o json / yaml / wide, get all, get po', () => {
    const json = JSON.parse(k('-n', 'demo', 'get', 'deploy', 'web', '-o', 'json')) as { kind: string; metadata: { uid: string } };
    expect(json.kind).toBe('Deployment');
    expect(k('-n', 'demo', 'get', 'svc', 'web', '-o', 'yaml')).toMatch(/clusterIP: 10\.\d+\.\d+\.\d+/);
    const wide = k('-n', 'demo', 'get', 'deploy', '-o', 'wide');
    expect(wide).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/m);
    expect(wide).toMatch(/^web\s+0\/3\s+0\s+0\s+\S+\s+nginx\s+nginx:1\.27\s+app=web/m);
    const all = k('-n', 'demo', 'get', 'all');
    expect(all).toContain('service/web');
    expect(all).toContain('deployment.apps/web');
    k('-n', 'demo', 'run', 'solo', '--image=busybox');
    expect(k('-n', 'demo', 'get', 'po')).toMatch(/^solo\s+0\/1\s+Pending\s+0\s+/m);
  });

  test('describe', () => {
    const out = k('-n', 'demo', 'describe', 'deploy', 'web');
    expect(out).toMatch(/^Name:\s+web$/m);
    expect(out).toMatch(/^Replicas:\s+3 desired/m);
    expect(k('-n', 'demo', 'describe', 'po', 'solo')).toMatch(/^Status:\s+Pending$/m);
  });

  test('label, annotate, scale', () => {
    expect(k('-n', 'demo', 'label', 'deploy', 'web', 'tier=frontend')).toContain('labeled');
    expect(k('-n', 'demo', 'annotate', 'deploy', 'web', 'note=hello')).toContain('annotated');
    expect(k('-n', 'demo', 'scale', 'deploy', 'web', '--replicas=5')).toContain('scaled');
    expect(k('-n', 'demo', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.tier} {.metadata.annotations.note}')).toBe('5 frontend hello');
    expect(kFail('-n', 'demo', 'scale', 'deploy', 'web', '--replicas=2', '--current-replicas=7')).toContain('Expected replicas to be 7, was 5');
    expect(k('-n', 'demo', 'get', 'deploy', '-l', 'tier=frontend', '-o', 'name')).toBe('deployment.apps/web\n');
  });

  test('patch: strategic, merge and json', () => {
    k('-n', 'demo', 'patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}');
    k('-n', 'demo', 'patch', 'deploy', 'web', '--type', 'merge', '-p', '{"spec":{"paused":true}}');
    k('-n', 'demo', 'patch', 'deploy', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":1}]');
    const out = k('-n', 'demo', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.spec.paused} {.spec.template.spec.containers[*].name} {.spec.template.spec.containers[0].image}');
    expect(out).toBe('1 true nginx nginx:1.28');
    expect(kFail('-n', 'demo', 'patch', 'deploy', 'web', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]')).toMatch(/The request is invalid: testing value/);
  });

  test('get -w prints events until killed', async () => {
    const child = spawn(KUBECTL!, ['--kubeconfig', server.kubeconfig, '-n', 'demo', 'get', 'po', '-w'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const wait = async (pred: () => boolean) => {
        const end = Date.now() + 10_000;
        while (!pred()) {
          if (Date.now() > end) throw new Error(`get -w printed: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await wait(() => /^solo\s/m.test(out));
      k('-n', 'demo', 'run', 'watched', '--image=busybox');
      await wait(() => /^watched\s+0\/1\s+Pending/m.test(out));
      k('-n', 'demo', 'label', 'po', 'watched', 'seen=yes');
      await wait(() => (out.match(/^watched\s/gm) ?? []).length >= 2);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('explain pod.spec', () => {
    const out = k('explain', 'pod.spec');
    expect(out).toMatch(/^KIND:\s+Pod$/m);
    expect(out).toMatch(/^FIELD:\s+spec <PodSpec>$/m);
    expect(out).toMatch(/containers\s+<\[\]Container> -required-/);
  });

  test('create namespace / configmap / secret / serviceaccount / deployment / job / cronjob / service (protobuf bodies)', () => {
    expect(k('create', 'namespace', 'gen')).toContain('namespace/gen created');
    expect(k('-n', 'gen', 'create', 'configmap', 'c', '--from-literal=a=b', '--from-literal=empty=')).toContain('configmap/c created');
    expect(k('-n', 'gen', 'get', 'cm', 'c', '-o', 'jsonpath={.data}')).toBe('{"a":"b","empty":""}');
    expect(k('-n', 'gen', 'create', 'secret', 'generic', 's', '--from-literal=x=y')).toContain('secret/s created');
    expect(k('-n', 'gen', 'get', 'secret', 's', '-o', 'jsonpath={.data.x} {.type}')).toBe('eQ== Opaque');
    expect(k('-n', 'gen', 'create', 'serviceaccount', 'sa')).toContain('serviceaccount/sa created');
    expect(k('-n', 'gen', 'create', 'deployment', 'd', '--image=nginx', '--replicas=0', '--port=80', '--', 'sleep', '9')).toContain('deployment.apps/d created');
    expect(k('-n', 'gen', 'get', 'deploy', 'd', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].command} {.spec.template.spec.containers[0].ports[0].containerPort}')).toBe('0 ["sleep","9"] 80');
    // int32 fields arrive as protobuf varints; a negative one must decode as negative and fail validation.
    expect(kFail('-n', 'gen', 'create', 'deployment', 'neg', '--image=nginx', '--replicas=-1')).toContain(
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(k('-n', 'gen', 'create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi')).toContain('job.batch/j created');
    expect(k('-n', 'gen', 'create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *')).toContain('cronjob.batch/cj created');
    expect(k('-n', 'gen', 'create', 'service', 'nodeport', 'np', '--tcp=80:8080')).toContain('service/np created');
    expect(k('-n', 'gen', 'get', 'svc', 'np', '-o', 'jsonpath={.spec.type} {.spec.ports[0].targetPort}')).toBe('NodePort 8080');
  });

  test('errors come back as kubectl prints upstream Statuses', () => {
    expect(kFail('-n', 'demo', 'get', 'po', 'missing')).toContain('Error from server (NotFound): pods "missing" not found');
    expect(kFail('get', 'widgets')).toContain(`the server doesn't have a resource type "widgets"`);
  });

  test('the in-process scheduler binds pods to a Node and explains the ones that do not fit', async () => {
    const file = join(data.dir, 'node.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Node\nmetadata: {name: worker-1}\nstatus:\n' +
        '  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}\n  capacity: {cpu: "2", memory: 4Gi, pods: "110"}\n',
    );
    expect(k('apply', '-f', file)).toContain('node/worker-1 created');
    k('-n', 'demo', 'run', 'fits', '--image=busybox');
    k('-n', 'demo', 'run', 'too-big', '--image=busybox', '--overrides', '{"spec":{"containers":[{"name":"too-big","image":"busybox","resources":{"requests":{"cpu":"3"}}}]}}');
    const end = Date.now() + 10_000;
    const node = () => k('-n', 'demo', 'get', 'po', 'fits', '-o', 'jsonpath={.spec.nodeName}');
    const described = () => k('-n', 'demo', 'describe', 'po', 'too-big');
    while (node() !== 'worker-1' || !described().includes('FailedScheduling')) {
      if (Date.now() > end) throw new Error(`fits on "${node()}"; too-big: ${described()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(described()).toMatch(/FailedScheduling\s+\S+\s+default-scheduler\s+0\/1 nodes are available: 1 Insufficient cpu\./);
    expect(k('-n', 'demo', 'get', 'po', 'too-big', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}')).toBe('Unschedulable');
    expect(k('delete', 'node', 'worker-1')).toContain('node "worker-1" deleted');
  });

  test('delete, and a namespace delete takes its contents with it', async () => {
    expect(k('-n', 'demo', 'delete', 'po', 'solo')).toContain('pod "solo" deleted');
    expect(k('delete', 'ns', 'demo')).toContain('namespace "demo" deleted');
    const end = Date.now() + 10_000;
    while (!/NotFound/.test(kFailSafe('get', 'ns', 'demo'))) {
      if (Date.now() > end) throw new Error('namespace demo still there');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(k('-n', 'demo', 'get', 'deploy', '-o', 'name')).toBe('');
  });
});

function kFailSafe(...args: string[]): string {
  try {
    return k(...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}
