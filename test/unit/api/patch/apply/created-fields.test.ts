import { describe, expect, it } from 'vitest';
import { trackUpdate } from '../../../../../src/control/api/patch/apply/index.js';
import { STRIPPED_FIELDS, emptyObject, resetFields } from '../../../../../src/control/api/patch/apply/ownership.js';
import { ItemKeys, compare, createdFieldSet, shapeOfDefinition } from '../../../../../src/control/api/patch/apply/typed.js';
import { createdFields, outline } from '../../../../../src/control/api/patch/apply/created-fields.js';
import type { KubeObject } from '../../../../../src/control/api/resource.js';

type Obj = Record<string, unknown>;
const T0 = new Date('2026-11-25T12:00:00Z');

/** The general path: compare against the empty object, then the set algebra trackUpdate's updates use. */
function generalFieldsV1(obj: unknown, definition: string, subresource: string): string {
  const shape = shapeOfDefinition(definition);
  const c = compare(emptyObject(shape), obj, shape, new ItemKeys(false));
  const set = c.modified.union(c.added).recursiveDifference(resetFields(shape, subresource)).difference(STRIPPED_FIELDS);
  return JSON.stringify(set.toFieldsV1());
}

function fastFieldsV1(obj: unknown, definition: string, subresource: string): string {
  const shape = shapeOfDefinition(definition);
  return JSON.stringify(createdFieldSet(obj, emptyObject(shape), shape, resetFields(shape, subresource), STRIPPED_FIELDS).toFieldsV1());
}

const pod = (): Obj => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: 'p', namespace: 'default', uid: 'u', creationTimestamp: '2026-11-25T12:00:00Z', generateName: 'p-',
    labels: { app: 'web', 'a<b': 'x&y' }, annotations: { note: 'n' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'r1', controller: true }],
    finalizers: ['a', 'b'],
  },
  spec: {
    schedulerName: 'default-scheduler', restartPolicy: 'Always', terminationGracePeriodSeconds: 30,
    nodeSelector: { zone: 'a' },
    containers: [
      {
        name: 'c', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
        env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: {} },
        command: ['sh', '-c'], volumeMounts: [{ name: 'v', mountPath: '/v' }],
      },
      { name: 'd', image: 'busybox', resources: {} },
    ],
    initContainers: [{ name: 'i', image: 'busybox' }],
    volumes: [{ name: 'v', emptyDir: {} }],
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
    affinity: {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'z', operator: 'In', values: ['a'] }] }] } },
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] },
    },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
    securityContext: {}, dnsPolicy: 'ClusterFirst', enableServiceLinks: true, priority: 0,
  },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
});

const others: Array<[string, Obj]> = [
  ['io.k8s.api.core.v1.Event', {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u' }, reason: 'Scheduled',
    message: 'Successfully assigned default/p to n1', source: { component: 'default-scheduler' }, type: 'Normal',
    firstTimestamp: null, lastTimestamp: null, count: 1, reportingComponent: 'default-scheduler',
  }],
  ['io.k8s.api.apps.v1.Deployment', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
    },
    status: { replicas: 1 },
  }],
  ['io.k8s.api.core.v1.Service', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: 'UDP' }], type: 'ClusterIP' },
  }],
  ['io.k8s.api.core.v1.Node', {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
    spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' }], unschedulable: false },
    status: { capacity: { cpu: '4' }, allocatable: { cpu: '4', pods: '110' } },
  }],
  ['io.k8s.api.core.v1.ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '' }, binaryData: {} }],
  // Not in the catalog: deduced shape throughout.
  ['io.example.v1.Widget', { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: [1, 2], b: { c: null, d: {} } } }],
  // Oddities: nulls, empty objects, duplicate keys, an unknown field, a wrong type, an undefined value.
  ['io.k8s.api.core.v1.Pod', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'odd', labels: null, annotations: {} },
    spec: {
      containers: [{ name: 'c', image: 'x' }, { name: 'c', image: 'y' }, { image: 'nameless' }, 'str'],
      volumes: null, tolerations: {}, unknownField: { x: 1 }, nodeName: undefined, hostname: 7, nodeSelector: null,
    },
    status: null,
  }],
  ['io.k8s.api.core.v1.Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare' } }],
  ['io.k8s.api.core.v1.Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'arr' }, spec: [], status: 'x' }],
];

/** Deterministic variations of the pod: fields removed, emptied or nulled at random depths. */
function variants(n: number): Obj[] {
  let seed = 12345;
  const rand = (k: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  const out: Obj[] = [];
  for (let i = 0; i < n; i++) {
    const p = pod();
    for (let edits = 0; edits < 4; edits++) {
      let cur: unknown = p;
      for (let depth = 0; depth < 1 + rand(5); depth++) {
        const keys = cur && typeof cur === 'object' ? Object.keys(cur as Obj) : [];
        if (!keys.length) break;
        const k = keys[rand(keys.length)]!;
        const parent = cur as Obj;
        const next = parent[k];
        const stop = !next || typeof next !== 'object' || rand(3) === 0;
        if (stop) {
          const what = rand(4);
          if (Array.isArray(parent)) break;
          if (what === 0) delete parent[k];
          else if (what === 1) parent[k] = null;
          else if (what === 2) parent[k] = Array.isArray(next) ? [] : {};
          else parent[k] = 'replaced';
          break;
        }
        cur = next;
      }
    }
    out.push(p);
  }
  return out;
}

describe('createdFieldSet (the create fast path)', () => {
  const cases: Array<[string, Obj]> = [
    ['io.k8s.api.core.v1.Pod', pod()],
    ...others,
    ...variants(300).map((p): [string, Obj] => ['io.k8s.api.core.v1.Pod', p]),
  ];

  it('matches the general comparison byte for byte on a variety of objects, for both subresources', () => {
    let nonEmpty = 0;
    for (const [definition, obj] of cases) {
      for (const sub of ['', 'status']) {
        const fast = fastFieldsV1(obj, definition, sub);
        expect(fast, `${definition} ${JSON.stringify(obj)} sub=${sub}`).toBe(generalFieldsV1(obj, definition, sub));
        if (fast !== '{}') nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(cases.length);
  });

  it('owns what upstream owns on a pod create: no status, no identity metadata, map-list items by key', () => {
    const fields = JSON.parse(fastFieldsV1(pod(), 'io.k8s.api.core.v1.Pod', '')) as Obj;
    expect(Object.keys(fields)).toEqual(['f:metadata', 'f:spec']);
    const meta = fields['f:metadata'] as Obj;
    expect(meta['f:name']).toBeUndefined();
    expect(meta['f:generateName']).toEqual({});
    const containers = (fields['f:spec'] as Obj)['f:containers'] as Obj;
    expect(Object.keys(containers)).toEqual(['k:{"name":"c"}', 'k:{"name":"d"}']);
    const ports = (containers['k:{"name":"c"}'] as Obj)['f:ports'] as Obj;
    expect(Object.keys(ports)).toEqual(['.', 'k:{"containerPort":53,"protocol":"UDP"}', 'k:{"containerPort":80,"protocol":"TCP"}']);
  });

  it('trackUpdate on a create equals the general path reached through a body that carries managedFields', () => {
    for (const [definition, obj] of cases.slice(0, 40)) {
      const created = obj as KubeObject;
      const fast = trackUpdate(null, created, 'creator', String(created.apiVersion), T0, { definition });
      // A body with entries takes the general path; a manager that owns nothing there is dropped again.
      const withEntry = {
        ...created,
        metadata: { ...(created.metadata as Obj), managedFields: [{ manager: 'x', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }] },
      } as KubeObject;
      const general = trackUpdate(null, withEntry, 'creator', String(created.apiVersion), T0, { definition });
      expect(JSON.stringify(fast.metadata?.managedFields)).toBe(JSON.stringify(general.metadata?.managedFields));
    }
  });
});

/** `v` with every string, number and boolean outside lists replaced by another of its kind (its outline kept). */
function otherScalars(v: unknown, inList = false): unknown {
  if (Array.isArray(v)) return v.map((x) => otherScalars(x, true));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, otherScalars(x, inList)]));
  if (inList) return v;
  if (typeof v === 'string') return `${v}-other`;
  if (typeof v === 'number') return v + 7;
  if (typeof v === 'boolean') return !v;
  return v;
}

describe('createdFields (createdFieldSet remembered by outline)', () => {
  const cases: Array<[string, Obj]> = [
    ['io.k8s.api.core.v1.Pod', pod()],
    ...others,
    ...variants(300).map((p): [string, Obj] => ['io.k8s.api.core.v1.Pod', p]),
  ];
  const remembered = (obj: unknown, definition: string, sub: string): string => {
    const shape = shapeOfDefinition(definition);
    return JSON.stringify(createdFields(obj, emptyObject(shape), shape, resetFields(shape, sub), sub).fieldsV1);
  };

  it('gives createdFieldSet\'s fieldsV1 for every object, also when another object of its outline came first', () => {
    for (const [definition, obj] of cases) {
      for (const sub of ['', 'status']) {
        const other = otherScalars(obj);
        expect(outline(other, false)).toBe(outline(obj, false));
        // The first call walks; the second object of the same outline is answered from the memo.
        expect(remembered(obj, definition, sub), `${definition} ${JSON.stringify(obj)} sub=${sub}`).toBe(fastFieldsV1(obj, definition, sub));
        expect(remembered(other, definition, sub), `${definition} ${JSON.stringify(other)} sub=${sub}`).toBe(fastFieldsV1(other, definition, sub));
      }
    }
  });

  it('tells apart objects whose lists hold other values (list-map keys, set members) or whose keys differ', () => {
    const a = pod();
    const b = pod();
    ((b['spec'] as Obj)['containers'] as Obj[])[1]!['name'] = 'e';
    const c = pod();
    (c['metadata'] as Obj)['labels'] = { app: 'web', tier: 'x' };
    const d = pod();
    (d['spec'] as Obj)['hostname'] = undefined;
    const def = 'io.k8s.api.core.v1.Pod';
    for (const o of [b, c, d]) {
      expect(outline(o, false)).not.toBe(outline(a, false));
      expect(remembered(o, def, '')).toBe(fastFieldsV1(o, def, ''));
    }
    expect(remembered(b, def, '')).not.toBe(remembered(a, def, ''));
    expect(remembered(c, def, '')).not.toBe(remembered(a, def, ''));
  });
});
