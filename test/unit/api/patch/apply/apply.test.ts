import { describe, expect, it } from 'vitest';
import {
  ApplyConflictError, ApplyRequestError, LAST_APPLIED_ANNOTATION, serverSideApply, trackUpdate, type ManagedFieldsEntry,
} from '../../../../../src/control/api/patch/apply/index.js';
import type { KubeObject } from '../../../../../src/control/api/resource.js';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const POD = 'io.k8s.api.core.v1.Pod';
const T0 = new Date('2026-11-25T12:00:00.250Z');
const T1 = new Date('2026-11-25T12:05:00Z');

type Obj = Record<string, unknown>;

/** A Deployment configuration; without `spec` when none is given (an empty spec would be owned as such). */
function deployment(spec?: Obj, metadata: Obj = {}): KubeObject {
  const d: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx', namespace: 'default', ...metadata } };
  if (spec) d['spec'] = spec;
  return d;
}

const nginxSpec = (extra: Obj = {}): Obj => ({
  replicas: 2,
  selector: { matchLabels: { app: 'nginx' } },
  template: {
    metadata: { labels: { app: 'nginx' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }] }] },
  },
  ...extra,
});

const apply = (live: KubeObject | null, cfg: KubeObject, manager: string, force = false, definition = DEPLOYMENT, now = T0): KubeObject =>
  serverSideApply(live, cfg, { manager, force, definition, now });

const entries = (o: KubeObject): ManagedFieldsEntry[] => (o.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
const entry = (o: KubeObject, manager: string): ManagedFieldsEntry | undefined => entries(o).find((e) => e.manager === manager);
const spec = (o: KubeObject): Obj => o['spec'] as Obj;
const containers = (o: KubeObject): Obj[] => ((spec(o)['template'] as Obj)['spec'] as Obj)['containers'] as Obj[];

function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApplyConflictError) return err;
    throw err;
  }
  throw new Error('expected an apply conflict');
}

describe('server-side apply: first apply', () => {
  it('creates the object with one Apply entry whose fieldsV1 has upstream\'s shape', () => {
    const out = apply(null, deployment(nginxSpec(), { labels: { app: 'nginx' } }), 'kubectl');
    expect(spec(out)['replicas']).toBe(2);
    expect(entries(out)).toEqual([{
      manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-11-25T12:00:00Z', fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          // LabelSelector is an atomic struct: owned whole.
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': {
                  '.': {}, 'f:image': {}, 'f:name': {},
                  // protocol is a map key with a default, so it is part of the item's key though omitted.
                  'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      },
    }]);
    // Key order inside fieldsV1 is part of the stored bytes.
    expect(JSON.stringify(entries(out)[0]!.fieldsV1)).toBe(
      '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},'
      + '"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
    );
    expect(Object.keys(entries(out)[0]!)).toEqual(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
  });

  it('never changes its inputs', () => {
    const live = apply(null, deployment(nginxSpec()), 'a');
    const liveCopy = structuredClone(live);
    const cfg = deployment({ replicas: 5 });
    const cfgCopy = structuredClone(cfg);
    apply(live, cfg, 'b', true);
    expect(live).toEqual(liveCopy);
    expect(cfg).toEqual(cfgCopy);
  });

  it('encodes set items as v: and keeps them merged with other owners', () => {
    const first = apply(null, deployment(undefined, { finalizers: ['example.com/a'] }), 'a');
    expect(entry(first, 'a')!.fieldsV1).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"example.com/a"': {} } } });
    const second = apply(first, deployment(undefined, { finalizers: ['example.com/b'] }), 'b');
    expect(second.metadata!.finalizers).toEqual(['example.com/a', 'example.com/b']);
  });
});

describe('server-side apply: removing fields', () => {
  it('removes a field the applier set before and omits now', () => {
    const first = apply(null, deployment(nginxSpec(), { labels: { app: 'nginx', tier: 'web' } }), 'kubectl');
    const second = apply(first, deployment(nginxSpec(), { labels: { app: 'nginx' } }), 'kubectl', false, DEPLOYMENT, T1);
    expect(second.metadata!.labels).toEqual({ app: 'nginx' });
    expect(entry(second, 'kubectl')!.time).toBe('2026-11-25T12:05:00Z');
    expect((entry(second, 'kubectl')!.fieldsV1['f:metadata'] as Obj)['f:labels']).toEqual({ 'f:app': {} });
    // Identity metadata is never removed with the last label.
    const third = apply(second, deployment(nginxSpec()), 'kubectl');
    expect(third.metadata!.labels).toBeUndefined();
    expect(third.metadata!.name).toBe('nginx');
    expect(third.metadata!.namespace).toBe('default');
  });

  it('keeps a removed field another manager also owns, and fields the applier never owned', () => {
    const first = apply(null, deployment(nginxSpec(), { labels: { app: 'nginx', shared: 'yes' } }), 'a');
    // b applies the same value: shared ownership, no conflict.
    const second = apply(first, deployment(undefined, { labels: { shared: 'yes' } }), 'b');
    // Defaulting by the caller after apply: unowned fields.
    (spec(second))['revisionHistoryLimit'] = 10;
    containers(second)[0]!['imagePullPolicy'] = 'IfNotPresent';
    const third = apply(second, deployment(nginxSpec(), { labels: { app: 'nginx' } }), 'a');
    expect(third.metadata!.labels).toEqual({ app: 'nginx', shared: 'yes' });
    expect(spec(third)['revisionHistoryLimit']).toBe(10);
    expect(containers(third)[0]!['imagePullPolicy']).toBe('IfNotPresent');
  });

  it('removes a whole list item the applier dropped, defaulted fields included', () => {
    const twoContainers = nginxSpec();
    ((twoContainers['template'] as Obj)['spec'] as Obj)['containers'] = [
      { name: 'nginx', image: 'nginx:1' }, { name: 'log', image: 'busybox' },
    ];
    const first = apply(null, deployment(twoContainers), 'a');
    containers(first)[1]!['terminationMessagePath'] = '/dev/termination-log';
    const second = apply(first, deployment(nginxSpec()), 'a');
    expect(containers(second).map((c) => c['name'])).toEqual(['nginx']);
  });

  it('removes only what the applier owned when another manager updated the same item', () => {
    const first = apply(null, deployment(nginxSpec()), 'a');
    // Someone sets an env var on the container with an ordinary update.
    const edited = structuredClone(first);
    containers(edited)[0]!['env'] = [{ name: 'MODE', value: 'x' }];
    const updated = trackUpdate(first, edited, 'kubectl-edit', 'apps/v1', T1, { definition: DEPLOYMENT });
    const reapplied = apply(updated, deployment(nginxSpec({ replicas: 4 })), 'a');
    expect(containers(reapplied)[0]!['env']).toEqual([{ name: 'MODE', value: 'x' }]);
    expect(spec(reapplied)['replicas']).toBe(4);
  });
});

describe('server-side apply: conflicts', () => {
  it('refuses to change a field another applier owns, and force moves ownership', () => {
    const first = apply(null, deployment(nginxSpec()), 'a');
    const err = conflictOf(() => apply(first, deployment({ replicas: 3 }), 'b'));
    expect(err.code).toBe(409);
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "a": .spec.replicas');
    expect(err.conflicts).toEqual([{ manager: 'a', field: '.spec.replicas', message: 'conflict with "a"' }]);
    expect(err.toStatus()).toMatchObject({
      kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409,
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' }] },
    });

    const forced = apply(first, deployment({ replicas: 3 }), 'b', true, DEPLOYMENT, T1);
    expect(spec(forced)['replicas']).toBe(3);
    expect(entry(forced, 'b')!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect((entry(forced, 'a')!.fieldsV1['f:spec'] as Obj)['f:replicas']).toBeUndefined();
    // a no longer owns replicas: its next apply without force now conflicts with b.
    const back = conflictOf(() => apply(forced, deployment(nginxSpec()), 'a'));
    expect(back.message).toBe('Apply failed with 1 conflict: conflict with "b": .spec.replicas');
  });

  it('reports conflicts with client-side apply (an Update manager) with its apiVersion', () => {
    const created = trackUpdate(null, deployment(nginxSpec()), 'kubectl-client-side-apply', 'apps/v1', T0);
    const err = conflictOf(() => apply(created, deployment({ replicas: 5 }), 'kubectl'));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(err.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
    ]);
    // Applying the value it already has is no conflict: both own it.
    const same = apply(created, deployment({ replicas: 2 }), 'kubectl');
    expect(entry(same, 'kubectl')!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect((entry(same, 'kubectl-client-side-apply')!.fieldsV1['f:spec'] as Obj)['f:replicas']).toEqual({});
  });

  it('lists several conflicts grouped by manager', () => {
    const first = apply(null, deployment(nginxSpec()), 'a');
    const changed = nginxSpec({ replicas: 9 });
    ((changed['template'] as Obj)['spec'] as Obj)['containers'] = [{ name: 'nginx', image: 'nginx:2' }];
    const err = conflictOf(() => apply(first, deployment(changed), 'b'));
    expect(err.message).toBe([
      'Apply failed with 2 conflicts: conflicts with "a":',
      '- .spec.replicas',
      '- .spec.template.spec.containers[name="nginx"].image',
    ].join('\n'));
  });
});

describe('server-side apply: lists', () => {
  it('merges containers by name across two managers', () => {
    const first = apply(null, deployment(nginxSpec()), 'a');
    const sidecar = { template: { spec: { containers: [{ name: 'log', image: 'busybox' }] } } };
    const second = apply(first, deployment(sidecar), 'b');
    expect(containers(second).map((c) => [c['name'], c['image']])).toEqual([['nginx', 'nginx:1.14.2'], ['log', 'busybox']]);
    expect(entry(second, 'b')!.fieldsV1).toEqual({
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"log"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
    });
    // a re-applies: b's container stays; b withdraws it: gone, a's stays.
    const third = apply(second, deployment(nginxSpec()), 'a');
    expect(containers(third).map((c) => c['name'])).toEqual(['nginx', 'log']);
    const fourth = apply(third, deployment(), 'b');
    expect(containers(fourth).map((c) => c['name'])).toEqual(['nginx']);
    expect(entry(fourth, 'b')).toBeUndefined();
  });

  it('orders shared items as the configuration does, live-only items before the next shared one', () => {
    const pod = (names: string[]): KubeObject => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
      spec: { containers: names.map((name) => ({ name, image: `${name}:1` })) },
    });
    const live = apply(null, pod(['a', 'x', 'b']), 'm1', false, POD);
    const out = apply(live, pod(['b', 'a']), 'm2', false, POD);
    expect(((out['spec'] as Obj)['containers'] as Obj[]).map((c) => c['name'])).toEqual(['x', 'b', 'a']);
  });

  it('replaces an atomic list whole and owns it as one field', () => {
    const withArgs = (args: string[]): Obj => nginxSpec({
      template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1', args }] } },
    });
    const first = apply(null, deployment(withArgs(['--a', '--b'])), 'a');
    const err = conflictOf(() => apply(first, deployment(withArgs(['--c'])), 'b'));
    expect(err.conflicts.map((c) => c.field)).toContain('.spec.template.spec.containers[name="nginx"].args');
    const forced = apply(first, deployment({ template: { spec: { containers: [{ name: 'nginx', args: ['--c'] }] } } }), 'b', true);
    expect(containers(forced)[0]!['args']).toEqual(['--c']);
    const owned = ((((entry(forced, 'b')!.fieldsV1['f:spec'] as Obj)['f:template'] as Obj)['f:spec'] as Obj)['f:containers'] as Obj)['k:{"name":"nginx"}'];
    expect(owned).toEqual({ '.': {}, 'f:args': {}, 'f:name': {} });
  });

  it('owns an atomic map (nodeSelector) whole', () => {
    const p = (sel: Obj): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeSelector: sel, containers: [{ name: 'c', image: 'i' }] } });
    const first = apply(null, p({ zone: 'a', disk: 'ssd' }), 'a', false, POD);
    expect((entry(first, 'a')!.fieldsV1['f:spec'] as Obj)['f:nodeSelector']).toEqual({});
    const second = apply(first, p({ zone: 'b' }), 'a', false, POD);
    expect((second['spec'] as Obj)['nodeSelector']).toEqual({ zone: 'b' });
  });
});

describe('server-side apply: requests upstream refuses', () => {
  it('rejects a wrong apiVersion, a missing kind and managedFields in the body (400)', () => {
    const live = apply(null, deployment(nginxSpec()), 'a');
    const bad = (cfg: KubeObject): ApplyRequestError => {
      try {
        serverSideApply(live, cfg, { manager: 'a', force: false, definition: DEPLOYMENT, now: T0 });
      } catch (err) {
        if (err instanceof ApplyRequestError) return err;
        throw err;
      }
      throw new Error('expected a rejection');
    };
    const v1 = bad({ ...deployment(), apiVersion: 'apps/v1beta1' });
    expect(v1.code).toBe(400);
    expect(v1.message).toBe('Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1');
    expect(v1.toStatus()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    expect(bad({ apiVersion: 'apps/v1', metadata: { name: 'nginx' } }).message).toMatch(/^Object 'Kind' is missing in/);
    expect(bad(deployment(undefined, { managedFields: [] })).message).toBe('metadata.managedFields must be nil');
  });

  it('rejects items without their key and unknown fields as upstream\'s typed conversion does (500)', () => {
    let err: unknown;
    try {
      apply(null, deployment({ template: { spec: { containers: [{ image: 'x' }] } }, bogus: 1 }), 'a');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplyRequestError);
    expect((err as ApplyRequestError).code).toBe(500);
    expect((err as ApplyRequestError).message).toBe([
      'failed to create typed patch object (default/nginx; apps/v1, Kind=Deployment): errors:',
      '  .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
      '  .spec.bogus: field not declared in schema',
    ].join('\n'));
  });

  it('rejects duplicate keys in the configuration', () => {
    const dup = { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] } } };
    expect(() => apply(null, deployment(dup), 'm')).toThrow('.spec.template.spec.containers: duplicate entries for key [name="a"]');
  });
});

describe('server-side apply: subresources and client-side apply', () => {
  it('does not own status through the main resource, and owns only status through /status', () => {
    const main = apply(null, { ...deployment(nginxSpec()), status: { replicas: 1 } }, 'a');
    expect(entry(main, 'a')!.fieldsV1['f:status']).toBeUndefined();
    const status = serverSideApply(main, { ...deployment({ replicas: 7 }), status: { readyReplicas: 1 } }, {
      manager: 'ctrl', force: false, definition: DEPLOYMENT, now: T1, subresource: 'status',
    });
    const e = entry(status, 'ctrl')!;
    expect(e.subresource).toBe('status');
    expect(e.fieldsV1).toEqual({ 'f:status': { 'f:readyReplicas': {} } });
    expect(Object.keys(e).at(-1)).toBe('subresource');
  });

  it('keeps kubectl\'s last-applied annotation in step when kubectl applies server-side', () => {
    const csa = deployment(nginxSpec(), { annotations: { [LAST_APPLIED_ANNOTATION]: '{"old":true}\n' } });
    const live = trackUpdate(null, csa, 'kubectl-client-side-apply', 'apps/v1', T0);
    const out = apply(live, deployment({ replicas: 2 }, { labels: { b: '1', a: '2' } }), 'kubectl');
    const annotation = out.metadata!.annotations![LAST_APPLIED_ANNOTATION]!;
    expect(annotation).toBe('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"a":"2","b":"1"},"name":"nginx","namespace":"default"},"spec":{"replicas":2}}\n');
    // Other managers leave it alone.
    const other = apply(live, deployment({ replicas: 2 }), 'helm');
    expect(other.metadata!.annotations![LAST_APPLIED_ANNOTATION]).toBe('{"old":true}\n');
  });

  it('lets kubectl take over what its client-side apply last applied, and nothing else', () => {
    const lastApplied = JSON.stringify(deployment({ replicas: 2 })) + '\n';
    const csa = deployment(nginxSpec(), { annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } });
    const live = trackUpdate(null, csa, 'kubectl-client-side-apply', 'apps/v1', T0);
    const changed = nginxSpec({ replicas: 5 });
    const taken = apply(live, deployment({ replicas: 5 }), 'kubectl');
    expect(spec(taken)['replicas']).toBe(5);
    expect(entry(taken, 'kubectl')!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    // The image was not in the last-applied configuration: still a conflict, and only that one.
    ((changed['template'] as Obj)['spec'] as Obj)['containers'] = [{ name: 'nginx', image: 'nginx:2' }];
    const err = conflictOf(() => apply(live, deployment(changed), 'kubectl'));
    expect(err.conflicts.map((c) => c.field)).toEqual(['.spec.template.spec.containers[name="nginx"].image']);
    // Another manager gets no such allowance.
    expect(conflictOf(() => apply(live, deployment({ replicas: 5 }), 'helm')).conflicts.map((c) => c.field)).toEqual(['.spec.replicas']);
  });
});
