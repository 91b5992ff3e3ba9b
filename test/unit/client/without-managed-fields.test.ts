import { describe, expect, test } from 'vitest';
import { withoutManagedFields } from '../../../src/client/without-managed-fields.js';

/** What the cut must equal: the event parsed whole, then object.metadata.managedFields deleted. */
function expected(line: string): unknown {
  const ev = JSON.parse(line) as { object?: { metadata?: Record<string, unknown> } };
  const meta = ev.object?.metadata;
  // Always an array on the wire (absent when empty): a member of another type is not what the cut looks for.
  if (meta && typeof meta === 'object' && Array.isArray(meta.managedFields)) delete meta.managedFields;
  return ev;
}

const managed = [
  { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-12-05T12:36:03Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } } } },
  { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-12-05T12:36:04Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:podIPs': { 'k:{"ip":"10.0.0.1"}': {} } } }, subresource: 'status' },
];

const line = (ev: unknown): string => JSON.stringify(ev);

describe('withoutManagedFields', () => {
  test('a pod event loses metadata.managedFields and nothing else, wherever the member sits in metadata', () => {
    const spec = { containers: [{ name: 'c', image: 'nginx' }] };
    const first = line({ type: 'ADDED', object: { kind: 'Pod', apiVersion: 'v1', metadata: { managedFields: managed, name: 'a', namespace: 'd' }, spec } });
    const middle = line({ type: 'MODIFIED', object: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'a', managedFields: managed, uid: 'u' }, spec } });
    const last = line({ type: 'DELETED', object: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'a', managedFields: managed }, spec } });
    const only = line({ type: 'ADDED', object: { kind: 'Pod', apiVersion: 'v1', metadata: { managedFields: managed }, spec } });
    for (const l of [first, middle, last, only]) {
      const cut = withoutManagedFields(l);
      expect(cut.length).toBeLessThan(l.length);
      expect(JSON.parse(cut)).toEqual(expected(l));
    }
    expect(JSON.parse(withoutManagedFields(only))).toEqual({ type: 'ADDED', object: { kind: 'Pod', apiVersion: 'v1', metadata: {}, spec } });
  });

  test('brackets, braces, quotes and backslashes inside strings do not end the member early', () => {
    const tricky = [{ manager: 'a]}"\\', operation: 'Update', fieldsV1: { 'k:{"name":"x]}["}': {}, 'v:"\\\\"': {}, 'f:{': { 'f:}': {} } } }];
    const l = line({ type: 'MODIFIED', object: { kind: 'ConfigMap', metadata: { name: 'q"}]', annotations: { 'x': '{"managedFields":[1]}' }, managedFields: tricky, uid: 'u' }, data: { k: ']]}}' } } });
    expect(JSON.parse(withoutManagedFields(l))).toEqual(expected(l));
    expect(withoutManagedFields(l)).not.toContain('"manager"');
  });

  test('a managedFields key anywhere but the object\'s metadata stays, as does a line without one', () => {
    const crd = line({ type: 'ADDED', object: { kind: 'Thing', apiVersion: 'x/v1', metadata: { name: 't', labels: { a: 'b' } }, spec: { managedFields: [{ keep: true }] } } });
    expect(withoutManagedFields(crd)).toBe(crd);
    const nested = line({ type: 'ADDED', object: { kind: 'Thing', metadata: { name: 't', ownerReferences: [{ managedFields: [1] }] }, spec: {} } });
    expect(withoutManagedFields(nested)).toBe(nested);
    const notObject = line({ type: 'ADDED', other: { metadata: { managedFields: managed } }, object: { kind: 'Thing', metadata: { name: 't' } } });
    expect(withoutManagedFields(notObject)).toBe(notObject);
    const bookmark = line({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '12' } } });
    expect(withoutManagedFields(bookmark)).toBe(bookmark);
    const error = line({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410 } });
    expect(withoutManagedFields(error)).toBe(error);
    // Only the object's own metadata: the spec's member stays when metadata has one too.
    const both = line({ type: 'ADDED', object: { kind: 'Thing', metadata: { name: 't', managedFields: managed }, spec: { managedFields: [{ keep: true }] } } });
    expect(JSON.parse(withoutManagedFields(both))).toEqual(expected(both));
    expect(withoutManagedFields(both)).toContain('"keep":true');
  });

  test('a response body (at \'object\'): its own metadata.managedFields go, a nested object\'s stay', () => {
    const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'a', managedFields: managed, uid: 'u' }, spec: { containers: [] } };
    const cut = withoutManagedFields(JSON.stringify(pod), 'object');
    expect(JSON.parse(cut)).toEqual({ ...pod, metadata: { name: 'a', uid: 'u' } });
    // The event shape read as an object: its metadata is not the object's, nothing goes.
    const ev = line({ type: 'ADDED', object: pod });
    expect(withoutManagedFields(ev, 'object')).toBe(ev);
    const list = JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '3' }, items: [pod] });
    expect(withoutManagedFields(list, 'object')).toBe(list);
  });

  test('text that is not a whole event comes back as it was', () => {
    const l = line({ type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'a', managedFields: managed }, spec: {} } });
    const truncated = l.slice(0, l.indexOf('"kubelet"'));
    expect(withoutManagedFields(truncated)).toBe(truncated);
    const unterminated = '{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":[{"manager":"m';
    expect(withoutManagedFields(unterminated)).toBe(unterminated);
  });

  test('random objects: the cut always parses to the whole event minus object.metadata.managedFields', () => {
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const chars = ['a', '"', '\\', '[', ']', '{', '}', ',', ':', 'é', '\n', 'managedFields', '"managedFields":['];
    const str = () => Array.from({ length: rnd(6) }, () => chars[rnd(chars.length)]).join('');
    const value = (depth: number): unknown => {
      switch (depth > 3 ? rnd(3) : rnd(6)) {
        case 0: return str();
        case 1: return rnd(100);
        case 2: return rnd(2) === 0 ? null : true;
        case 3: return Array.from({ length: rnd(4) }, () => value(depth + 1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = rnd(4); i > 0; i--) o[rnd(3) === 0 ? 'managedFields' : str()] = value(depth + 1);
          return o;
        }
      }
    };
    for (let i = 0; i < 2000; i++) {
      const metadata: Record<string, unknown> = {};
      for (let k = rnd(4); k > 0; k--) metadata[str()] = value(2);
      if (rnd(4) !== 0) metadata['managedFields'] = Array.from({ length: rnd(3) }, () => value(2));
      for (let k = rnd(3); k > 0; k--) metadata[str()] = value(2);
      const ev = { type: 'MODIFIED', object: { kind: 'X', metadata, spec: value(1) } };
      const l = line(ev);
      expect(JSON.parse(withoutManagedFields(l))).toEqual(expected(l));
    }
  });
});
