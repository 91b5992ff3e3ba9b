import { describe, expect, test } from 'vitest';
import { checkRequest, type QuotaDecision } from '../../../../src/control/api/admission/resource-quota.js';
import { evaluatorFor, podMatchesScope } from '../../../../src/control/api/admission/quota-evaluators.js';
import { computeQuotaStatus, countedKind } from '../../../../src/control/controllers/resource-quota.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const quota = (name: string, hard: Record<string, string>, used: Record<string, string>, spec: object = {}): KubeObject =>
  ({ metadata: { name, namespace: 'ns', resourceVersion: '1' }, spec: { hard, ...spec }, status: { hard, used } });
const pod = (name: string, containers: object[], spec: object = {}): KubeObject => ({ metadata: { name, namespace: 'ns' }, spec: { containers, ...spec } });
const c = (requests?: object, limits?: object) => ({ name: 'c', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } });
const pods = evaluatorFor('', 'pods')!;
const usedOf = (d: QuotaDecision, i = 0) => ('charged' in d ? d.charged[i]?.['status'] : d);

describe('quota deltas', () => {
  test('a pod is charged pods, count/pods and its compute; the used values grow', () => {
    const q = quota('q', { pods: '10', 'requests.cpu': '2', 'requests.memory': '1Gi', 'count/pods': '10' }, { pods: '1', 'requests.cpu': '500m', 'requests.memory': '512Mi', 'count/pods': '1' });
    const d = checkRequest({ operation: 'CREATE', evaluator: pods, object: pod('p', [c({ cpu: '250m', memory: '256Mi' })]), oldObject: null, quotas: [q], now: 0 });
    expect(usedOf(d)).toEqual({ hard: q['status'] && (q['status'] as any).hard, used: { 'count/pods': '2', pods: '2', 'requests.cpu': '750m', 'requests.memory': '768Mi' } });
  });

  test('init containers count at their peak, sidecars throughout', () => {
    const q = quota('q', { 'requests.cpu': '10' }, { 'requests.cpu': '0' });
    const p = pod('p', [c({ cpu: '1' })], { initContainers: [{ name: 'i', resources: { requests: { cpu: '3' } } }, { name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } }] });
    expect((usedOf(checkRequest({ operation: 'CREATE', evaluator: pods, object: p, oldObject: null, quotas: [q], now: 0 })) as any).used).toEqual({ 'requests.cpu': '3' });
  });

  test('a service update is charged the growth only (ClusterIP → NodePort with two ports)', () => {
    const svc = evaluatorFor('', 'services')!;
    const q = quota('q', { services: '5', 'services.nodeports': '2' }, { services: '1', 'services.nodeports': '0' });
    const old: KubeObject = { metadata: { name: 's', resourceVersion: '3' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }, { port: 81 }] } };
    const next: KubeObject = { metadata: { name: 's', resourceVersion: '3' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } };
    expect((usedOf(checkRequest({ operation: 'UPDATE', evaluator: svc, object: next, oldObject: old, quotas: [q], now: 0 })) as any).used).toEqual({ services: '1', 'services.nodeports': '2' });
    const tight = quota('q', { 'services.nodeports': '1' }, { 'services.nodeports': '0' });
    expect(checkRequest({ operation: 'UPDATE', evaluator: svc, object: next, oldObject: old, quotas: [tight], now: 0 }))
      .toEqual({ refused: 'exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1' });
  });

  test('PVC storage by class; object counts by count/<resource>.<group>', () => {
    const pvc = evaluatorFor('', 'persistentvolumeclaims')!;
    const q = quota('q', { 'requests.storage': '10Gi', 'fast.storageclass.storage.k8s.io/requests.storage': '1Gi' }, { 'requests.storage': '0', 'fast.storageclass.storage.k8s.io/requests.storage': '0' });
    const claim: KubeObject = { metadata: { name: 'c' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '2Gi' } } } };
    expect(checkRequest({ operation: 'CREATE', evaluator: pvc, object: claim, oldObject: null, quotas: [q], now: 0 }))
      .toEqual({ refused: 'exceeded quota: q, requested: fast.storageclass.storage.k8s.io/requests.storage=2Gi, used: fast.storageclass.storage.k8s.io/requests.storage=0, limited: fast.storageclass.storage.k8s.io/requests.storage=1Gi' });
    const deploy = evaluatorFor('apps', 'deployments')!;
    const dq = quota('d', { 'count/deployments.apps': '1' }, { 'count/deployments.apps': '1' });
    expect(checkRequest({ operation: 'CREATE', evaluator: deploy, object: { metadata: { name: 'x' } }, oldObject: null, quotas: [dq], now: 0 }))
      .toEqual({ refused: 'exceeded quota: d, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1' });
    expect(deploy.handles('UPDATE')).toBe(false);
    expect(countedKind('count/deployments.apps')).toEqual({ group: 'apps', version: 'v1', plural: 'deployments', namespaced: true });
  });

  test('status not yet computed, and compute quotas that need explicit requests', () => {
    const unknown = quota('q', { pods: '1' }, {});
    expect(checkRequest({ operation: 'CREATE', evaluator: pods, object: pod('p', [c()]), oldObject: null, quotas: [unknown], now: 0 }))
      .toEqual({ refused: 'status unknown for quota: q, resources: pods' });
    const compute = quota('q', { cpu: '1', 'limits.cpu': '2' }, { cpu: '0', 'limits.cpu': '0' });
    expect(checkRequest({ operation: 'CREATE', evaluator: pods, object: pod('p', [c({ cpu: '1' })]), oldObject: null, quotas: [compute], now: 0 }))
      .toEqual({ refused: 'failed quota: q: must specify limits.cpu for: c' });
  });
});

describe('quota scopes', () => {
  const best = pod('b', [c()]);
  const burst = pod('n', [c({ cpu: '1' })], { activeDeadlineSeconds: 30, priorityClassName: 'high' });
  test.each([
    ['BestEffort', best, true], ['BestEffort', burst, false], ['NotBestEffort', burst, true],
    ['Terminating', burst, true], ['Terminating', best, false], ['NotTerminating', best, true],
  ] as const)('%s', (scope, p, want) => {
    expect(podMatchesScope({ scopeName: scope, operator: 'Exists' }, p)).toBe(want);
  });

  test('PriorityClass selectors', () => {
    expect(podMatchesScope({ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }, burst)).toBe(true);
    expect(podMatchesScope({ scopeName: 'PriorityClass', operator: 'NotIn', values: ['high'] }, burst)).toBe(false);
    expect(podMatchesScope({ scopeName: 'PriorityClass', operator: 'Exists' }, best)).toBe(false);
  });

  test('a scoped quota charges only pods its scopes select; the controller counts the same way', () => {
    const q = quota('be', { pods: '1' }, { pods: '1' }, { scopes: ['BestEffort'] });
    expect(checkRequest({ operation: 'CREATE', evaluator: pods, object: burst, oldObject: null, quotas: [q], now: 0 })).toEqual({ charged: [] });
    expect('refused' in checkRequest({ operation: 'CREATE', evaluator: pods, object: best, oldObject: null, quotas: [q], now: 0 })).toBe(true);
    const finished = { ...pod('f', [c()]), status: { phase: 'Succeeded' } };
    const status = computeQuotaStatus(quota('be', { pods: '5', 'count/pods': '5' }, {}, { scopes: ['BestEffort'] }), [pods], () => [best, burst, finished], 0);
    expect(status.used).toEqual({ 'count/pods': '2', pods: '1' });
  });
});
