import { describe, expect, it } from 'vitest';
import { compileFlowControl } from '../../../../src/control/api/flowcontrol/classify.js';
import { requestInfo } from '../../../../src/control/api/authz/request-info.js';
import { mandatoryFlowControlObjects, suggestedFlowControlObjects } from '../../../../src/control/api/kinds/flowcontrol.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import type { UserInfo } from '../../../../src/control/api/auth/user.js';

const withUid = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, uid: `uid-${o.kind}-${o.metadata!.name}` } });
const m = mandatoryFlowControlObjects();
const s = suggestedFlowControlObjects();
const levels = [...m.priorityLevels, ...s.priorityLevels].map(withUid);
const schemas = [...m.flowSchemas, ...s.flowSchemas].map(withUid);
const cfg = compileFlowControl(schemas, levels, 600);

const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, 'system:authenticated'] });
const classify = (u: UserInfo, method: string, url: string) => cfg.classify(u, Object.freeze(requestInfo(method, url)));
const schemaOf = (u: UserInfo, method: string, url: string) => classify(u, method, url).schema.name;

describe('APF classification (upstream\'s bootstrap configuration)', () => {
  it('gives each level ceil(serverCL * NCS / sum of NCS), as upstream (sum 245 over 600 seats)', () => {
    const cl = Object.fromEntries([...cfg.levels.values()].map((l) => [l.name, l.nominalCL]));
    expect(cl).toEqual({ exempt: 0, 'catch-all': 13, system: 74, 'node-high': 98, 'leader-election': 25, 'workload-high': 98, 'workload-low': 245, 'global-default': 49 });
    expect(cfg.levels.get('catch-all')!.queuing).toBeNull();
    expect(cfg.levels.get('global-default')!.queuing).toEqual({ queues: 128, handSize: 6, queueLengthLimit: 50 });
  });

  it('orders schemas by matchingPrecedence, then name', () => {
    const order = cfg.schemas.map((x) => x.name);
    expect(order[0]).toBe('exempt');
    expect(order[1]).toBe('probes');
    expect(order.indexOf('kube-controller-manager')).toBeLessThan(order.indexOf('kube-scheduler'));
    expect(order[order.length - 1]).toBe('catch-all');
  });

  it('matches subjects: groups, users, service accounts by namespace and name', () => {
    expect(schemaOf(user('admin', 'system:masters'), 'GET', '/api/v1/pods')).toBe('exempt');
    expect(schemaOf(user('system:node:n1', 'system:nodes'), 'PUT', '/api/v1/nodes/n1/status')).toBe('system-node-high');
    expect(schemaOf(user('system:node:n1', 'system:nodes'), 'GET', '/api/v1/namespaces/a/pods')).toBe('system-nodes');
    expect(schemaOf(user('system:kube-controller-manager'), 'GET', '/api/v1/namespaces/a/pods')).toBe('kube-controller-manager');
    expect(schemaOf(user('system:serviceaccount:kube-system:x', 'system:serviceaccounts'), 'GET', '/api/v1/namespaces/a/pods')).toBe('kube-system-service-accounts');
    expect(schemaOf(user('system:serviceaccount:app:x', 'system:serviceaccounts'), 'GET', '/api/v1/namespaces/a/pods')).toBe('service-accounts');
    expect(schemaOf(user('alice'), 'POST', '/api/v1/namespaces/a/pods')).toBe('global-default');
    expect(schemaOf({ name: 'system:anonymous', groups: ['system:unauthenticated'] }, 'GET', '/version')).toBe('global-default');
  });

  it('matches resource rules by verb, group, resource/subresource and namespace or cluster scope', () => {
    const sa = user('system:serviceaccount:kube-system:lease-holder', 'system:serviceaccounts');
    // leader election: leases in any namespace, endpoints/configmaps only in kube-system, get/create/update only.
    expect(schemaOf(sa, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l')).toBe('system-leader-election');
    expect(schemaOf(sa, 'PUT', '/api/v1/namespaces/kube-system/configmaps/c')).toBe('system-leader-election');
    expect(schemaOf(sa, 'PUT', '/api/v1/namespaces/other/configmaps/c')).toBe('workload-leader-election');
    expect(schemaOf(sa, 'DELETE', '/api/v1/namespaces/kube-system/configmaps/c')).toBe('kube-system-service-accounts');
    // nodes/status is its own resource in the rule: a subresource not listed does not match.
    const node = user('system:node:n1', 'system:nodes');
    expect(schemaOf(node, 'PATCH', '/api/v1/nodes/n1/status')).toBe('system-node-high');
    expect(schemaOf(node, 'GET', '/api/v1/nodes/n1/proxy')).toBe('system-nodes'); // nodes/proxy is not listed
    // A namespaced leases request does not match a cluster-scoped-only rule, and vice versa.
    expect(schemaOf(node, 'GET', '/apis/coordination.k8s.io/v1/leases')).toBe('system-nodes');
  });

  it('matches non-resource rules by exact path or prefix glob', () => {
    const anon = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
    expect(schemaOf(anon, 'GET', '/healthz')).toBe('probes');
    expect(schemaOf(anon, 'GET', '/healthz/etcd')).toBe('global-default');
    expect(schemaOf(anon, 'POST', '/readyz')).toBe('global-default');
    const globbed = compileFlowControl([...schemas, withUid({
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', metadata: { name: 'metrics' },
      spec: { priorityLevelConfiguration: { name: 'system' }, matchingPrecedence: 50, rules: [{ subjects: [{ kind: 'Group', group: { name: '*' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/metrics', '/debug/*'] }] }] },
    })], levels, 600);
    const c = (url: string) => globbed.classify(anon, requestInfo('GET', url)).schema.name;
    expect(c('/metrics')).toBe('metrics');
    expect(c('/debug/pprof')).toBe('metrics');
    expect(c('/debugger')).toBe('global-default');
  });

  it('distinguishes flows by user or namespace', () => {
    const a = classify(user('alice'), 'GET', '/api/v1/namespaces/x/pods');
    const b = classify(user('bob'), 'GET', '/api/v1/namespaces/x/pods');
    expect(a.distinguisher).toBe('alice');
    expect(a.flowHash).not.toBe(b.flowHash);
    const kcm = user('system:kube-controller-manager');
    expect(classify(kcm, 'GET', '/api/v1/namespaces/x/pods').distinguisher).toBe('x');
    expect(classify(kcm, 'GET', '/api/v1/namespaces/y/pods').distinguisher).toBe('y');
    expect(classify(user('admin', 'system:masters'), 'GET', '/api/v1/pods').distinguisher).toBe('');
  });

  it('imagines the mandatory objects when storage has none, and skips a schema whose level is missing', () => {
    const bare = compileFlowControl([withUid({
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', metadata: { name: 'dangling' },
      spec: { priorityLevelConfiguration: { name: 'nowhere' }, matchingPrecedence: 10, rules: [{ subjects: [{ kind: 'Group', group: { name: '*' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true }] }] },
    })], [], 600);
    expect(bare.schemas.map((x) => x.name)).toEqual(['exempt', 'catch-all']);
    expect(bare.levels.get('catch-all')!.nominalCL).toBe(600);
    expect(bare.classify(user('alice'), requestInfo('GET', '/api/v1/pods')).schema.name).toBe('catch-all');
    expect(bare.classify(user('root', 'system:masters'), requestInfo('GET', '/api/v1/pods')).level.exempt).toBe(true);
  });

  it('remembers a classification per user and request shape (not per object name)', () => {
    const u = user('alice');
    const one = cfg.classify(u, Object.freeze(requestInfo('GET', '/api/v1/namespaces/x/pods/a')));
    expect(cfg.classify(u, Object.freeze(requestInfo('GET', '/api/v1/namespaces/x/pods/b')))).toBe(one);
    expect(cfg.classify(user('alice', 'system:masters'), Object.freeze(requestInfo('GET', '/api/v1/namespaces/x/pods/b')))).not.toBe(one);
  });
});
