/**
 * The remaining built-in kinds through the real kubectl (skipped, saying so, when no kubectl is on PATH): one of
 * each created from YAML and listed with upstream's columns, the system PriorityClasses bootstrapped, an
 * events.k8s.io/v1 Event read back as a core Event, and `kubectl api-resources` listing them all.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the kubectl kinds end-to-end suite');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

const { k, kFail } = kubectlFor(() => server.kubeconfig);
/** The header and rows of a `kubectl get`, each line's cells split on runs of 2+ spaces. */
const table = (out: string): string[][] => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

const MANIFEST = `apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: default}
spec:
  limits:
  - type: Container
    max: {cpu: "2"}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota, namespace: default}
spec:
  hard: {pods: "10", requests.cpu: "4"}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: tpl, namespace: default}
template:
  metadata: {labels: {app: web}}
  spec:
    containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  hostPath: {path: /data/pv-1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 1Gi}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: example.com/nfs
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: hostpath.csi.k8s.io}
spec: {}
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {name: node-1}
spec:
  drivers: [{name: hostpath.csi.k8s.io, nodeID: node-1}]
---
apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: va-1}
spec:
  attacher: hostpath.csi.k8s.io
  nodeName: node-1
  source: {persistentVolumeName: pv-1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: default}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
description: important
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: web.1, namespace: default}
eventTime: "2026-01-01T00:00:00.000000Z"
reportingController: example.com/controller
reportingInstance: controller-1
action: Scale
reason: Scaled
note: scaled web to 3
type: Normal
regarding: {kind: Deployment, namespace: default, name: web}
`;

describe.skipIf(!KUBECTL)('kubectl and the remaining built-in kinds', () => {
  beforeAll(async () => {
    data = makeDataDir();
    server = await startServer(data.dir, ['--nodes', '0', '--no-controllers']);
    const file = join(data.dir, 'kinds.yaml');
    writeFileSync(file, MANIFEST);
    const out = k('create', '-f', file);
    for (const created of ['limitrange/limits', 'resourcequota/quota', 'podtemplate/tpl', 'persistentvolume/pv-1',
      'persistentvolumeclaim/data', 'storageclass.storage.k8s.io/standard', 'csidriver.storage.k8s.io/hostpath.csi.k8s.io',
      'csinode.storage.k8s.io/node-1', 'volumeattachment.storage.k8s.io/va-1', 'networkpolicy.networking.k8s.io/db',
      'ingressclass.networking.k8s.io/nginx', 'ingress.networking.k8s.io/web', 'priorityclass.scheduling.k8s.io/high',
      'runtimeclass.node.k8s.io/gvisor', 'event.events.k8s.io/web.1']) {
      expect(out).toContain(`${created} created`);
    }
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('api-resources lists every kind with its short names, group and scope', () => {
    const res = k('api-resources');
    for (const line of [
      /^limitranges\s+limits\s+v1\s+true\s+LimitRange$/m, /^resourcequotas\s+quota\s+v1\s+true\s+ResourceQuota$/m,
      /^podtemplates\s+v1\s+true\s+PodTemplate$/m, /^persistentvolumes\s+pv\s+v1\s+false\s+PersistentVolume$/m,
      /^persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim$/m,
      /^events\s+ev\s+events\.k8s\.io\/v1\s+true\s+Event$/m,
      /^storageclasses\s+sc\s+storage\.k8s\.io\/v1\s+false\s+StorageClass$/m, /^csidrivers\s+storage\.k8s\.io\/v1\s+false\s+CSIDriver$/m,
      /^csinodes\s+storage\.k8s\.io\/v1\s+false\s+CSINode$/m, /^volumeattachments\s+storage\.k8s\.io\/v1\s+false\s+VolumeAttachment$/m,
      /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m,
      /^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m, /^ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass$/m,
      /^priorityclasses\s+pc\s+scheduling\.k8s\.io\/v1\s+false\s+PriorityClass$/m, /^runtimeclasses\s+node\.k8s\.io\/v1\s+false\s+RuntimeClass$/m,
    ]) {
      expect(res).toMatch(line);
    }
  });

  test('core/v1 kinds print upstream\'s columns', () => {
    const [lrHead, lr] = table(k('get', 'limits'));
    expect(lrHead).toEqual(['NAME', 'CREATED AT']);
    expect(lr![0]).toBe('limits');
    expect(lr![1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(table(k('get', 'quota'))[0]).toEqual(['NAME', 'REQUEST', 'LIMIT', 'AGE']);
    expect(table(k('get', 'podtemplates'))).toEqual([['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS'], ['tpl', 'web', 'nginx:1.27', 'app=web']]);
    const [pvHead, pv] = table(k('get', 'pv'));
    expect(pvHead).toEqual(['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    expect(pv!.slice(0, 5)).toEqual(['pv-1', '5Gi', 'RWO', 'Retain', 'Pending']);
    expect(pv).toContain('standard');
    const [pvcHead, pvc] = table(k('get', 'pvc'));
    expect(pvcHead).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(pvc!.slice(0, 3)).toEqual(['data', 'Pending', 'standard']);
    expect(k('get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeMode}')).toBe('Filesystem');
    expect(k('get', 'pv', '-o', 'wide').split('\n')[0]).toMatch(/AGE\s+VOLUMEMODE$/);
  });

  test('storage.k8s.io kinds: the default class is marked, defaults filled', () => {
    // Beside the local-path class the server bootstraps, also a default.
    const sc = table(k('get', 'sc'));
    expect(sc[0]).toEqual(['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    expect(sc.find((r) => r[0]!.startsWith('standard'))).toEqual(['standard (default)', 'example.com/nfs', 'Delete', 'Immediate', 'false', expect.any(String)]);
    expect(sc.find((r) => r[0]!.startsWith('local-path'))![0]).toBe('local-path (default)');
    expect(table(k('get', 'csidrivers'))).toEqual([
      ['NAME', 'ATTACHREQUIRED', 'PODINFOONMOUNT', 'STORAGECAPACITY', 'TOKENREQUESTS', 'REQUIRESREPUBLISH', 'MODES', 'AGE'],
      ['hostpath.csi.k8s.io', 'true', 'false', 'false', '<unset>', 'false', 'Persistent', expect.any(String)],
    ]);
    expect(table(k('get', 'csinodes'))).toEqual([['NAME', 'DRIVERS', 'AGE'], ['node-1', '1', expect.any(String)]]);
    expect(table(k('get', 'volumeattachments'))).toEqual([
      ['NAME', 'ATTACHER', 'PV', 'NODE', 'ATTACHED', 'AGE'], ['va-1', 'hostpath.csi.k8s.io', 'pv-1', 'node-1', 'false', expect.any(String)]]);
    expect(kFail('patch', 'sc', 'standard', '--type=merge', '-p', '{"provisioner":"other.io/x"}'))
      .toContain('The StorageClass "standard" is invalid: provisioner: Forbidden: updates to provisioner are forbidden.');
  });

  test('networking.k8s.io kinds', () => {
    expect(table(k('get', 'netpol'))).toEqual([['NAME', 'POD-SELECTOR', 'AGE'], ['db', 'app=db', expect.any(String)]]);
    expect(k('get', 'netpol', 'db', '-o', 'jsonpath={.spec.policyTypes} {.spec.ingress[0].ports[0].protocol}')).toBe('["Ingress"] TCP');
    expect(table(k('get', 'ing'))).toEqual([['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'], ['web', 'nginx', 'web.example.com', '80', expect.any(String)]]);
    expect(table(k('get', 'ingressclass'))).toEqual([['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE'], ['nginx', 'k8s.io/ingress-nginx', '<none>', expect.any(String)]]);
    const file = join(data.dir, 'bad-ingress.yaml');
    writeFileSync(file, 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: default}\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /, backend: {service: {name: web, port: {number: 80}}}}\n');
    expect(kFail('create', '-f', file)).toContain('spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified');
  });

  test('priority classes (with the bootstrapped system ones) and runtime classes', () => {
    const rows = table(k('get', 'pc'));
    expect(rows[0]).toEqual(['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      ['high', '1000', 'false', 'PreemptLowerPriority'],
      ['system-cluster-critical', '2000000000', 'false', 'PreemptLowerPriority'],
      ['system-node-critical', '2000001000', 'false', 'PreemptLowerPriority'],
    ]);
    expect(table(k('get', 'runtimeclass'))).toEqual([['NAME', 'HANDLER', 'AGE'], ['gvisor', 'runsc', expect.any(String)]]);
    // Priority admission: a pod's class gives its priority; an unknown class is refused; one default only.
    k('run', 'urgent', '--image=nginx:1.27', '--overrides={"spec":{"priorityClassName":"high"}}');
    expect(k('get', 'pod', 'urgent', '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}')).toBe('1000 PreemptLowerPriority');
    expect(k('run', 'plain', '--image=nginx:1.27') && k('get', 'pod', 'plain', '-o', 'jsonpath={.spec.priority}')).toBe('0');
    expect(kFail('run', 'lost', '--image=nginx:1.27', '--overrides={"spec":{"priorityClassName":"nope"}}'))
      .toContain('pods "lost" is forbidden: no PriorityClass with name nope was found');
    k('patch', 'pc', 'high', '--type=merge', '-p', '{"globalDefault":true}');
    expect(kFail('create', 'priorityclass', 'another', '--value=5', '--global-default'))
      .toContain('PriorityClass high is already marked as default. Only one default can exist');
  });

  test('kubectl apply over created objects patches them (strategic merge from the published OpenAPI)', () => {
    const file = join(data.dir, 'kinds-v2.yaml');
    writeFileSync(file, MANIFEST
      .replace('ingress: [{ports: [{port: 5432}]}]', 'ingress: [{ports: [{port: 5433}]}]')
      .replace('value: 1000\n', 'value: 1000\nglobalDefault: false\n')
      .replace('- {path: /, pathType: Prefix,', '- {path: /v2, pathType: Exact,'));
    const out = k('apply', '-f', file);
    expect(out).toContain('networkpolicy.networking.k8s.io/db configured');
    expect(out).toContain('ingress.networking.k8s.io/web configured');
    expect(k('get', 'netpol', 'db', '-o', 'jsonpath={.spec.ingress[0].ports[0].port}')).toBe('5433');
    expect(k('get', 'ing', 'web', '-o', 'jsonpath={.spec.rules[0].http.paths[*].path} {.spec.rules[0].http.paths[*].pathType}')).toBe('/v2 Exact');
    // An unbound claim's spec is fixed, its request included.
    expect(kFail('patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'))
      .toContain('spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
  });

  test('kubectl create quota|priorityclass|ingress (protobuf bodies) store what the flags say', () => {
    expect(k('create', 'quota', 'gen', '--hard=pods=2,requests.cpu=1', '--scopes=NotTerminating')).toContain('resourcequota/gen created');
    expect(k('get', 'quota', 'gen', '-o', 'jsonpath={.spec.hard.pods} {.spec.hard.requests\\.cpu} {.spec.scopes}')).toBe('2 1 ["NotTerminating"]');
    expect(k('create', 'priorityclass', 'batch', '--value=0', '--description=low', '--preemption-policy=Never')).toContain('created');
    // globalDefault is omitempty upstream: kubectl's protobuf body carries false, and it is not stored (jsonpath prints nothing).
    expect(k('get', 'pc', 'batch', '-o', 'jsonpath={.value} {.globalDefault} {.description} {.preemptionPolicy}')).toBe('0  low Never');
    expect(k('create', 'ingress', 'gen', '--class=nginx', '--rule=foo.com/bar*=svc:http,tls=cert', '--default-backend=def:8080')).toContain('created');
    const ing = JSON.parse(k('get', 'ing', 'gen', '-o', 'json')) as { spec: unknown };
    expect(ing.spec).toEqual({
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'def', port: { number: 8080 } } },
      rules: [{ host: 'foo.com', http: { paths: [{ path: '/bar', pathType: 'Prefix', backend: { service: { name: 'svc', port: { name: 'http' } } } }] } }],
      tls: [{ hosts: ['foo.com'], secretName: 'cert' }],
    });
  });

  test('an events.k8s.io/v1 Event is the same object as a core/v1 Event', () => {
    expect(k('get', 'ev', 'web.1', '-o', 'jsonpath={.message}|{.involvedObject.name}|{.reportingComponent}')).toBe('scaled web to 3|web|example.com/controller');
    expect(k('get', 'events.v1.events.k8s.io', 'web.1', '-o', 'jsonpath={.apiVersion}|{.note}|{.regarding.kind}')).toBe('events.k8s.io/v1|scaled web to 3|Deployment');
    const [head, row] = table(k('get', 'events.v1.events.k8s.io', '--field-selector', 'regarding.kind=Deployment'));
    expect(head).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(row!.slice(1)).toEqual(['Normal', 'Scaled', 'deployment/web', 'scaled web to 3']);
    expect(k('explain', 'events.regarding', '--api-version=events.k8s.io/v1')).toMatch(/^GROUP:\s+events\.k8s\.io\nKIND:\s+Event\nVERSION:\s+v1\n\nFIELD: regarding <ObjectReference>/m);
    expect(k('explain', 'ingresses.spec.rules.http.paths.pathType')).toContain('pathType');
    expect(k('describe', 'pv', 'pv-1')).toMatch(/^Status:\s+Pending$/m);
    const file = join(data.dir, 'bad-event.yaml');
    writeFileSync(file, 'apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: bad.1, namespace: default}\nreason: X\nnote: x\ntype: Normal\nregarding: {kind: Pod, name: p, namespace: default}\n');
    expect(kFail('create', '-f', file)).toContain('eventTime: Required value');
  });
});

describe.skipIf(!KUBECTL)('kubectl with the persistentvolume-binder running', () => {
  let dir: ReturnType<typeof makeDataDir>;
  let srv: RunningServer;
  const { k: kc } = kubectlFor(() => srv.kubeconfig);
  beforeAll(async () => {
    dir = makeDataDir();
    srv = await startServer(dir.dir, ['--nodes', '0']);
  });
  afterAll(async () => {
    await srv?.stop();
    dir?.remove();
  });

  test('a volume turns Available, then Bound to a claim, as kubectl get shows', async () => {
    const file = join(dir.dir, 'pv.yaml');
    writeFileSync(file, MANIFEST.split('\n---\n').filter((d) => /kind: (PersistentVolume|PersistentVolumeClaim|StorageClass)\n/.test(d)).join('\n---\n'));
    kc('create', '-f', file);
    const poll = async (what: string, fn: () => boolean) => {
      for (let i = 0; i < 100; i++) {
        if (fn()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    await poll('claim bound', () => kc('get', 'pvc', 'data', '-o', 'jsonpath={.status.phase}') === 'Bound');
    const [, claim] = table(kc('get', 'pvc'));
    expect(claim!.slice(0, 6)).toEqual(['data', 'Bound', 'pv-1', '5Gi', 'RWO', 'standard']);
    await poll('volume bound', () => kc('get', 'pv', 'pv-1', '-o', 'jsonpath={.status.phase}') === 'Bound');
    expect(table(kc('get', 'pv'))[1]!.slice(0, 6)).toEqual(['pv-1', '5Gi', 'RWO', 'Retain', 'Bound', 'default/data']);
    // Bound: the request may grow (expansion), not drop to the capacity it has.
    kc('patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"6Gi"}}}}');
    expect(kc('get', 'pvc', 'data', '-o', 'jsonpath={.spec.resources.requests.storage}')).toBe('6Gi');
    kc('delete', 'pvc', 'data');
    await poll('volume released', () => kc('get', 'pv', 'pv-1', '-o', 'jsonpath={.status.phase}') === 'Released');
  });
});
