import { describe, expect, it } from 'vitest';
import { ApiError, type RestClient } from '../../../src/client/rest.js';
import {
  controllerRevisionName, createControllerRevision, findEqualRevisions, newControllerRevision, nextRevision, revisionDataEqual,
  revisionsToPrune, sortRevisions, templatePatch, type ControllerRevision,
} from '../../../src/control/controllers/shared/history.js';

const parent = { metadata: { name: 'web', namespace: 'ns', uid: 'u1' } };
const GVK = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
const rev = (name: string, revision: number, image = 'a', created = '2026-01-01T00:00:00Z'): ControllerRevision => ({
  metadata: { name, namespace: 'ns', creationTimestamp: created, labels: { 'controller-revision-hash': name.slice(4) } },
  data: templatePatch({ spec: { containers: [{ name: 'c', image }] } }), revision,
});

describe('controller history', () => {
  it('records the template as a replace patch and compares data as Go decodes it', () => {
    expect(templatePatch({ metadata: { labels: { a: 'b' } } })).toEqual({ spec: { template: { metadata: { creationTimestamp: null, labels: { a: 'b' } }, $patch: 'replace' } } });
    expect(revisionDataEqual({ spec: { template: { metadata: { creationTimestamp: null, labels: { a: 'b' } } } } }, { spec: { template: { metadata: { labels: { a: 'b' } } } } })).toBe(true);
    expect(revisionDataEqual({ x: 1, y: 2 }, { y: 2, x: 1 })).toBe(true);
    expect(revisionDataEqual({ x: 1 }, { x: 2 })).toBe(false);
  });

  it('compares data without the derived serviceAccount alias (revisions an older Skiff recorded lack it)', () => {
    const data = (spec: Record<string, unknown>) => templatePatch({ spec: { containers: [{ name: 'c', image: 'a' }], ...spec } });
    const withAlias = data({ serviceAccountName: 'sa', serviceAccount: 'sa' });
    expect(revisionDataEqual(data({ serviceAccountName: 'sa' }), withAlias)).toBe(true);
    expect(revisionDataEqual(withAlias, data({ serviceAccountName: 'sa' }))).toBe(true);
    // The alias alone names the account, as the v1 conversion reads it.
    expect(revisionDataEqual(data({ serviceAccount: 'sa' }), withAlias)).toBe(true);
    expect(revisionDataEqual(data({ serviceAccountName: 'other' }), withAlias)).toBe(false);
    expect(revisionDataEqual(data({}), withAlias)).toBe(false);
    expect(findEqualRevisions([{ metadata: { name: 'web-1' }, data: data({ serviceAccountName: 'sa' }), revision: 1 }], withAlias)).toHaveLength(1);
    // The compared data are left as they were.
    expect(withAlias.spec.template.spec).toMatchObject({ serviceAccount: 'sa' });
  });

  it('writes the data byte for byte as upstream\'s getPatch (sorted keys, creationTimestamp null, resources {}), which clients compare', () => {
    const template = {
      metadata: { labels: { 'daemonset-name': 'daemon-set' } },
      spec: {
        containers: [{ name: 'app', image: 'httpd:2.4.38-alpine', ports: [{ protocol: 'TCP', containerPort: 9376 }], terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' }],
        restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', securityContext: {}, schedulerName: 'default-scheduler',
      },
    };
    expect(JSON.stringify(templatePatch(template))).toBe(
      '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"daemonset-name":"daemon-set"}},' +
        '"spec":{"containers":[{"image":"httpd:2.4.38-alpine","imagePullPolicy":"IfNotPresent","name":"app","ports":[{"containerPort":9376,"protocol":"TCP"}],' +
        '"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always",' +
        '"schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}}',
    );
    expect(template.metadata).toEqual({ labels: { 'daemonset-name': 'daemon-set' } }); // the parent's template is not touched
  });

  it('names revisions <parent>-<hash>, labels the hash, owns them; a collision count changes the hash', () => {
    const data = templatePatch({ spec: { containers: [{ name: 'c', image: 'a' }] } });
    const r = newControllerRevision(parent, GVK, { app: 'web' }, data, 1, 0);
    const hash = r.metadata?.labels?.['controller-revision-hash'];
    expect(r.metadata?.name).toBe(`web-${hash}`);
    expect(r.metadata?.labels).toEqual({ app: 'web', 'controller-revision-hash': hash });
    expect(r.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    expect(newControllerRevision(parent, GVK, {}, data, 1, 0).metadata?.name).toBe(r.metadata?.name);
    expect(newControllerRevision(parent, GVK, {}, data, 1, 1).metadata?.name).not.toBe(r.metadata?.name);
    expect(controllerRevisionName('x'.repeat(300), 'h')).toHaveLength(225);
  });

  it('sorts by revision then age then name, finds equal revisions, numbers the next', () => {
    const a = rev('web-a', 2, 'a', '2026-01-02T00:00:00Z');
    const b = rev('web-b', 2, 'b', '2026-01-01T00:00:00Z');
    const c = rev('web-c', 1, 'a');
    expect(sortRevisions([a, b, c]).map((r) => r.metadata?.name)).toEqual(['web-c', 'web-b', 'web-a']);
    expect(findEqualRevisions([a, b, c], a.data).map((r) => r.metadata?.name)).toEqual(['web-c', 'web-a']);
    expect(nextRevision([a, b, c])).toBe(3);
    expect(nextRevision([])).toBe(1);
  });

  it('prunes the oldest unused revisions beyond the limit', () => {
    const revs = [1, 2, 3, 4, 5].map((n) => rev(`web-r${n}`, n, `i${n}`));
    expect(revisionsToPrune(revs, new Set(['web-r1']), 2).map((r) => r.metadata?.name)).toEqual(['web-r2', 'web-r3']);
    expect(revisionsToPrune(revs, new Set(['r2']), 3).map((r) => r.metadata?.name)).toEqual(['web-r1']); // by hash label too
    expect(revisionsToPrune(revs, new Set(), undefined)).toEqual([]); // default limit 10
    expect(revisionsToPrune(revs, new Set(), 0)).toHaveLength(5);
  });

  it('on a name taken by other data, bumps the collision count and retries; equal data is reused', async () => {
    const stored = new Map<string, ControllerRevision>([['web-taken', { ...rev('web-taken', 1, 'other') }]]);
    const client = {
      async create(_ref: unknown, obj: ControllerRevision) {
        const name = obj.metadata?.name ?? '';
        if (stored.has(name)) throw new ApiError(409, 'AlreadyExists', undefined, 'POST', '/controllerrevisions');
        stored.set(name, obj);
        return obj;
      },
      async get(_ref: unknown, name: string) { return stored.get(name); },
    } as unknown as RestClient;
    const want = { ...rev('web-taken', 1, 'mine') };
    const out = await createControllerRevision(client, want, 0, (n) => ({ ...want, metadata: { ...want.metadata, name: `web-try${n}` } }));
    expect(out.collisionCount).toBe(1);
    expect(out.revision.metadata?.name).toBe('web-try1');
    const same = await createControllerRevision(client, { ...want, metadata: { ...want.metadata, name: 'web-try1' } }, 1, () => { throw new Error('no rename'); });
    expect(same.collisionCount).toBe(1);
  });
});
