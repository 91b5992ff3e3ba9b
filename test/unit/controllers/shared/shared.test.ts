import { describe, expect, it } from 'vitest';
import { adoptPatch, claimAction, releasePatch } from '../../../../src/control/controllers/shared/controller-ref.js';
import { isNamespaceTerminating, podFromTemplate, podsPrefix } from '../../../../src/control/controllers/shared/pod-control.js';
import {
  controllerOf, filterActivePods, isPodActive, isPodAvailable, isPodReady, isPodTerminating, newControllerRef, podReadyTime, type Pod,
} from '../../../../src/control/controllers/shared/pod-util.js';
import { compileSelector, selectorFromSet, selectorMatches, selectorString } from '../../../../src/control/controllers/shared/selector.js';
import { ApiError } from '../../../../src/client/rest.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const ready = (since: string | undefined, status = 'True'): Pod => ({ status: { phase: 'Running', conditions: [{ type: 'Ready', status, lastTransitionTime: since }] } });

describe('pod-util', () => {
  it('reads readiness and the ready time', () => {
    expect(isPodReady(ready('2024-01-01T00:00:00Z'))).toBe(true);
    expect(isPodReady(ready('2024-01-01T00:00:00Z', 'False'))).toBe(false);
    expect(isPodReady({})).toBe(false);
    expect(podReadyTime(ready('2024-01-01T00:00:00Z'))).toBe(T0);
    expect(podReadyTime(ready('2024-01-01T00:00:00Z', 'False'))).toBeUndefined();
  });
  it('is available only after minReadySeconds have passed (strictly)', () => {
    const p = ready('2024-01-01T00:00:00Z');
    expect(isPodAvailable(p, 0, T0)).toBe(true);
    expect(isPodAvailable(p, 10, T0 + 10_000)).toBe(false);
    expect(isPodAvailable(p, 10, T0 + 10_001)).toBe(true);
    expect(isPodAvailable(ready(undefined), 10, T0 + 1e9)).toBe(false);
    expect(isPodAvailable(ready('2024-01-01T00:00:00Z', 'False'), 0, T0)).toBe(false);
  });
  it('active excludes terminal and deleting pods; terminating is deleting but not terminal', () => {
    const running: Pod = { status: { phase: 'Running' } };
    const done: Pod = { status: { phase: 'Succeeded' } };
    const failedDeleting: Pod = { metadata: { deletionTimestamp: 'x' }, status: { phase: 'Failed' } };
    const deleting: Pod = { metadata: { deletionTimestamp: 'x' }, status: { phase: 'Running' } };
    expect([running, done, failedDeleting, deleting].map(isPodActive)).toEqual([true, false, false, false]);
    expect([running, done, failedDeleting, deleting].map(isPodTerminating)).toEqual([false, false, false, true]);
    expect(filterActivePods([running, done, deleting])).toEqual([running]);
  });
  it('builds and finds controller references', () => {
    const owner = { metadata: { name: 'web', uid: 'u1' } };
    const ref = newControllerRef(owner, { apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    expect(ref).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true });
    expect(controllerOf({ metadata: { ownerReferences: [{ ...ref, controller: false }, ref] } })).toBe(ref);
    expect(controllerOf({ metadata: { ownerReferences: [{ ...ref, controller: false }] } })).toBeUndefined();
  });
});

describe('selector', () => {
  it('matches matchLabels and every expression operator', () => {
    const s = compileSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'team', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(selectorMatches(s, { app: 'web', tier: 'a', team: 'x' })).toBe(true);
    expect(selectorMatches(s, { app: 'web', tier: 'c', team: 'x' })).toBe(false);
    expect(selectorMatches(s, { app: 'web', tier: 'a', team: 'x', env: 'prod' })).toBe(false);
    expect(selectorMatches(s, { app: 'web', tier: 'a' })).toBe(false);
    expect(selectorMatches(s, { app: 'web', tier: 'a', team: 'x', legacy: '1' })).toBe(false);
    expect(selectorString(s)).toBe('app=web,env notin (prod),!legacy,team,tier in (a,b)');
  });
  it('nil selects nothing, {} everything, a set selects by equality', () => {
    expect(selectorMatches(compileSelector(undefined), {})).toBe(false);
    expect(selectorMatches(compileSelector({}), { any: 'x' })).toBe(true);
    expect(selectorMatches(selectorFromSet({ a: 'b' }), { a: 'b', c: 'd' })).toBe(true);
    expect(selectorMatches(selectorFromSet({ a: 'b' }), { a: 'c' })).toBe(false);
  });
});

describe('claim decisions', () => {
  const owner = { metadata: { name: 'rs', namespace: 'ns', uid: 'own' } };
  const deleting = { metadata: { ...owner.metadata, deletionTimestamp: 'x' } };
  const child = (ref?: string, extra: Record<string, unknown> = {}) => ({
    metadata: { namespace: 'ns', name: 'p', uid: 'c', ...(ref ? { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'n', uid: ref, controller: true }] } : {}), ...extra },
  });
  it('keeps, releases, adopts or ignores as ClaimObject does', () => {
    expect(claimAction(owner, child('own'), true)).toBe('keep');
    expect(claimAction(owner, child('own'), false)).toBe('release');
    expect(claimAction(deleting, child('own'), false)).toBe('ignore');
    expect(claimAction(owner, child('other'), true)).toBe('ignore');
    expect(claimAction(owner, child(), true)).toBe('adopt');
    expect(claimAction(owner, child(), false)).toBe('ignore');
    expect(claimAction(deleting, child(), true)).toBe('ignore');
    expect(claimAction(owner, child(undefined, { deletionTimestamp: 'x' }), true)).toBe('ignore');
    expect(claimAction(owner, child(undefined, { namespace: 'other' }), true)).toBe('ignore');
  });
  it('sends upstream’s patch bodies', () => {
    const ref = newControllerRef(owner, { apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    expect(JSON.stringify(adoptPatch(ref, 'c'))).toBe(
      '{"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"own","controller":true,"blockOwnerDeletion":true}],"uid":"c"}}',
    );
    expect(JSON.stringify(releasePatch('own', 'c'))).toBe('{"metadata":{"ownerReferences":[{"$patch":"delete","uid":"own"}],"uid":"c"}}');
  });
});

describe('pod-control', () => {
  it('builds the pod from the template with generateName and the controller ref', () => {
    const owner = { metadata: { name: 'web', uid: 'u' } };
    const ref = newControllerRef(owner, { apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    const tpl = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const pod = podFromTemplate(tpl, owner, ref);
    expect(pod.metadata).toEqual({ generateName: 'web-', labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['f'], ownerReferences: [ref] });
    expect(pod.spec).toEqual(tpl.spec);
    expect(pod.spec).not.toBe(tpl.spec);
    expect(podsPrefix('web')).toBe('web-');
    expect(podsPrefix('x'.repeat(253))).toBe('x'.repeat(253));
  });
  it('recognises a terminating namespace', () => {
    const msg = 'pods "x" is forbidden: unable to create new content in namespace ns because it is being terminated';
    expect(isNamespaceTerminating(new ApiError(403, 'Forbidden', { message: msg }, 'POST', '/'))).toBe(true);
    expect(isNamespaceTerminating(new ApiError(403, 'Forbidden', { message: 'exceeded quota' }, 'POST', '/'))).toBe(false);
  });
});
