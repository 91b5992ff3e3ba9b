import { describe, expect, test } from 'vitest';
import { aggregatedRules, type ClusterRole } from '../../../src/control/controllers/clusterrole-aggregation.js';

const role = (name: string, labels: Record<string, string>, rules: ClusterRole['rules'], selectors?: object[]): ClusterRole => ({
  metadata: { name, labels }, rules, ...(selectors ? { aggregationRule: { clusterRoleSelectors: selectors } } : {}),
});
const get = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
const watch = { verbs: ['watch'], apiGroups: [''], resources: ['pods'] };
const health = { verbs: ['get'], nonResourceURLs: ['/healthz'] };

describe('aggregatedRules', () => {
  test('selector by selector, roles in name order, each rule once, never the role itself', () => {
    const admin = role('admin', { a: 'x', b: 'x' }, [], [{ matchLabels: { a: 'x' } }, { matchExpressions: [{ key: 'b', operator: 'Exists' }] }]);
    const all = [admin, role('z-watch', { a: 'x' }, [watch, get]), role('m-get', { a: 'x' }, [get]), role('health', { b: '1' }, [health]), role('other', {}, [health])];
    expect(aggregatedRules(admin, all)).toEqual([get, watch, health]);
  });

  test('nothing to do without an aggregationRule or when the rules already match', () => {
    expect(aggregatedRules(role('plain', {}, [get]), [role('x', {}, [watch])])).toBeNull();
    const agg = role('agg', {}, [get], [{ matchLabels: { a: 'x' } }]);
    expect(aggregatedRules(agg, [agg, role('g', { a: 'x' }, [get])])).toBeNull();
    // No selected roles left: the rules empty out.
    expect(aggregatedRules(agg, [agg])).toEqual([]);
  });
});
