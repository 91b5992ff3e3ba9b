import { describe, expect, it } from 'vitest';
import { decide, parseAuditPolicy } from '../../../../src/control/api/audit/policy.js';
import { requestInfo as auditAttributes } from '../../../../src/control/api/authz/request-info.js';
import { microTime, sourceIPs, responseStatus } from '../../../../src/control/api/audit/event.js';

const alice = { name: 'alice', groups: ['dev', 'system:authenticated'] };
const policy = parseAuditPolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
    verbs: [watch]
  - level: None
    nonResourceURLs: ["/healthz*", /version]
  - level: Metadata
    resources: [{group: "", resources: [secrets, configmaps]}]
  - level: RequestResponse
    userGroups: [dev]
    resources: [{group: apps, resources: ["deployments/scale"]}]
  - level: Request
    resources: [{group: "", resources: ["pods/*"]}]
    namespaces: [team]
  - level: Metadata
    omitStages: [ResponseStarted]
`);

describe('audit policy', () => {
  it('the first matching rule decides; none is None', () => {
    expect(decide(policy, alice, auditAttributes('GET', '/api/v1/namespaces/a/secrets/s')).level).toBe('Metadata');
    expect(decide(policy, { name: 'system:kube-proxy', groups: [] }, auditAttributes('GET', '/api/v1/services?watch=true')).level).toBe('None');
    expect(decide(policy, { name: 'system:kube-proxy', groups: [] }, auditAttributes('GET', '/api/v1/services')).level).toBe('Metadata');
    expect(decide(policy, alice, auditAttributes('GET', '/healthz/ready')).level).toBe('None');
    expect(decide(policy, alice, auditAttributes('PUT', '/apis/apps/v1/namespaces/a/deployments/d/scale')).level).toBe('RequestResponse');
    expect(decide(policy, { name: 'bob', groups: [] }, auditAttributes('PUT', '/apis/apps/v1/namespaces/a/deployments/d/scale')).level).toBe('Metadata');
    expect(decide(policy, alice, auditAttributes('GET', '/api/v1/namespaces/team/pods/p/log')).level).toBe('Request');
    expect(decide(policy, alice, auditAttributes('GET', '/api/v1/namespaces/other/pods/p/log')).level).toBe('Metadata');
    expect(decide({ rules: [{ level: 'Request', verbs: ['create'] }] }, alice, auditAttributes('GET', '/api/v1/pods')).level).toBe('None');
  });

  it('omitStages is the policy\'s and the rule\'s', () => {
    expect([...decide(policy, alice, auditAttributes('GET', '/api/v1/nodes')).omitStages].sort()).toEqual(['RequestReceived', 'ResponseStarted']);
  });

  it('names bad fields', () => {
    expect(() => parseAuditPolicy('{apiVersion: audit.k8s.io/v1, kind: Policy, rules: [{level: Everything}]}', 'p.yaml'))
      .toThrow('p.yaml: rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"');
    expect(() => parseAuditPolicy('{apiVersion: audit.k8s.io/v1, kind: Policy, rules: [{level: None, omitStages: [Sometimes]}]}'))
      .toThrow('rules[0].omitStages[0]: Unsupported value: "Sometimes"');
  });
});

describe('audit event pieces', () => {
  it('request attributes as upstream reads them', () => {
    expect(auditAttributes('GET', '/api/v1/namespaces/default/pods?watch=1')).toMatchObject({ verb: 'watch', resource: 'pods', namespace: 'default', name: '' });
    expect(auditAttributes('DELETE', '/apis/apps/v1/namespaces/x/deployments')).toMatchObject({ verb: 'deletecollection', apiGroup: 'apps', apiVersion: 'v1' });
    expect(auditAttributes('GET', '/api/v1/namespaces/x')).toMatchObject({ verb: 'get', resource: 'namespaces', name: 'x', namespace: 'x' });
    expect(auditAttributes('GET', '/api/v1/watch/namespaces/x/pods')).toMatchObject({ verb: 'watch', resource: 'pods', namespace: 'x' });
    expect(auditAttributes('POST', '/api/v1/namespaces/x/pods/p/eviction')).toMatchObject({ verb: 'create', name: 'p', subresource: 'eviction' });
    expect(auditAttributes('GET', '/version')).toMatchObject({ verb: 'get', resourceRequest: false, path: '/version' });
  });

  it('micro-second timestamps, source IPs, response status', () => {
    expect(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678) + 0.901)).toBe('2024-01-02T03:04:05.678901Z');
    expect(sourceIPs({ 'x-forwarded-for': '10.0.0.1, 10.0.0.2', 'x-real-ip': '10.0.0.2' }, '::ffff:127.0.0.1')).toEqual(['10.0.0.1', '10.0.0.2', '127.0.0.1']);
    expect(responseStatus(200, { message: 'x' })).toEqual({ metadata: {}, code: 200 });
    expect(responseStatus(404, { kind: 'Status', status: 'Failure', message: 'pods "p" not found', reason: 'NotFound' } as never)).toEqual({ metadata: {}, status: 'Failure', message: 'pods "p" not found', reason: 'NotFound', code: 404 });
  });
});
