import { describe, expect, test } from 'vitest';
import { ruleMatches, webhookMatches } from '../../../../src/control/api/admission/webhook-rules.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import { configmaps, deployments, namespaces, nodes, pods } from '../../../../src/control/api/kinds/index.js';

const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'CREATE', resource: pods, subresource: '', namespace: 'default', name: 'p',
  object: { metadata: { name: 'p', labels: { app: 'web' } } }, oldObject: null, dryRun: false, ...over,
});
const rule = (over: Record<string, unknown> = {}) => ({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], ...over });

describe('webhook rules', () => {
  test('operation, group, version and resource, with wildcards', () => {
    expect(ruleMatches(rule(), attrs())).toBe(true);
    expect(ruleMatches(rule({ operations: ['UPDATE'] }), attrs())).toBe(false);
    expect(ruleMatches(rule({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }), attrs({ resource: deployments }))).toBe(true);
    expect(ruleMatches(rule({ apiGroups: ['apps'] }), attrs())).toBe(false);
  });

  test('subresources: pods/status, pods/*, */status; "*" alone never matches a subresource', () => {
    const status = attrs({ operation: 'UPDATE', subresource: 'status' });
    expect(ruleMatches(rule({ operations: ['UPDATE'] }), status)).toBe(false);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['pods/status'] }), status)).toBe(true);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['pods/*'] }), status)).toBe(true);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['*/status'] }), status)).toBe(true);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['*'] }), status)).toBe(false);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['*/*'] }), status)).toBe(true);
  });

  test('scope', () => {
    const node = attrs({ resource: nodes, namespace: undefined });
    expect(ruleMatches(rule({ resources: ['nodes'], scope: 'Namespaced' }), node)).toBe(false);
    expect(ruleMatches(rule({ resources: ['nodes'], scope: 'Cluster' }), node)).toBe(true);
    expect(ruleMatches(rule({ scope: 'Cluster' }), attrs())).toBe(false);
  });
});

describe('selectors', () => {
  const hook = (over: Record<string, unknown> = {}) => ({ name: 'h.example.com', rules: [rule({ resources: ['pods', 'configmaps', 'namespaces', 'nodes'] })], ...over });

  test('namespaceSelector against the namespace labels; cluster-scoped objects always pass; a Namespace by its own labels', () => {
    const sel = { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } };
    expect(webhookMatches(hook(sel), attrs(), { env: 'prod' })).toBe(true);
    expect(webhookMatches(hook(sel), attrs(), { env: 'dev' })).toBe(false);
    expect(webhookMatches(hook(sel), attrs(), undefined)).toBe(false);
    expect(webhookMatches(hook(sel), attrs({ resource: nodes, namespace: undefined }), undefined)).toBe(true);
    const ns = attrs({ resource: namespaces, namespace: undefined, object: { metadata: { name: 'n', labels: { env: 'prod' } } } });
    expect(webhookMatches(hook(sel), ns, undefined)).toBe(true);
  });

  test('objectSelector matches the new or the old object', () => {
    const sel = { objectSelector: { matchLabels: { app: 'db' } } };
    expect(webhookMatches(hook(sel), attrs({ resource: configmaps }), undefined)).toBe(false);
    const relabel = attrs({ operation: 'UPDATE', object: { metadata: { labels: {} } }, oldObject: { metadata: { labels: { app: 'db' } } } });
    expect(webhookMatches(hook({ ...sel, rules: [rule({ operations: ['UPDATE'] })] }), relabel, {})).toBe(true);
  });
});
