import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { apiservices, localAPIServices } from '../../../../src/control/api/kinds/apiregistration.js';
import { builtinResources, servedResources } from '../../../../src/control/api/kinds/index.js';
import { definitionSchema } from '../../../../src/control/api/schema/index.js';
import { toTable } from '../../../../src/control/api/table.js';

const now = new Date('2026-01-10T12:00:00Z');
const check = (o: KubeObject) => {
  apiservices.strategy.default!(o);
  return apiservices.strategy.validate!(o).map((e) => `${e.field}: ${e.message}`);
};
const svc = (name: string, spec: Record<string, unknown>): KubeObject => ({ metadata: { name }, spec });

describe('APIService', () => {
  test("aggregator rules: the name is version.group, priorities in range, a local one has no caBundle", () => {
    expect(check(svc('v1beta1.metrics.k8s.io', {
      group: 'metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100,
      service: { namespace: 'kube-system', name: 'metrics-server' }, insecureSkipTLSVerify: true,
    }))).toEqual([]);
    expect(check(svc('wrong', { group: '', version: 'v2', groupPriorityMinimum: 0, versionPriority: 1001, caBundle: 'Zm9v', insecureSkipTLSVerify: true }))).toEqual([
      'metadata.name: Invalid value: "wrong": must be `spec.version+"."+spec.group`: "v2."',
      'spec.group: Required value: only v1 may have an empty group and it better be legacy kube',
      'spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000',
      'spec.versionPriority: Invalid value: 1001: must be positive and less than 1000',
      'spec.caBundle: Invalid value: "3 bytes": local APIServices may not have a caBundle',
      'spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have insecureSkipTLSVerify',
    ]);
    const withService = svc('v1.x.io', { group: 'x.io', version: 'v1', groupPriorityMinimum: 1, versionPriority: 1, service: {} });
    expect(check(withService)).toEqual(['spec.service.namespace: Required value', 'spec.service.name: Required value']);
    expect(withService.spec).toMatchObject({ service: { port: 443 } });
  });

  test('the local APIServices of the served kinds, Available, printed as kubectl prints them', () => {
    const list = localAPIServices(servedResources, '2026-01-10T11:00:00Z');
    const names = list.map((o) => o.metadata!.name);
    expect(names).toEqual(expect.arrayContaining(['v1.', 'v1.apps', 'v2.autoscaling', 'v1.autoscaling', 'v1.rbac.authorization.k8s.io', 'v1.apiregistration.k8s.io']));
    expect(new Set(names).size).toBe(names.length);
    for (const o of list) expect(apiservices.strategy.validate!(o), o.metadata!.name).toEqual([]);
    const core = list.find((o) => o.metadata!.name === 'v1.')!;
    expect(core.spec).toEqual({ group: '', version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
    const rows = (toTable(apiservices, [core, svc('v1beta1.metrics.k8s.io', { service: { namespace: 'kube-system', name: 'metrics-server' } })], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>);
    expect(rows[0]!.cells.slice(0, 3)).toEqual(['v1.', 'Local', 'True']);
    expect(rows[1]!.cells.slice(0, 3)).toEqual(['v1beta1.metrics.k8s.io', 'kube-system/metrics-server', 'Unknown']);
    const down = { ...core, status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] } };
    expect((toTable(apiservices, [down], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>)[0]!.cells[2]).toBe('False (MissingEndpoints)');
  });
});

describe('schemas', () => {
  test('every new kind has its OpenAPI definition (kubectl explain, pruning, apply)', () => {
    const groups = ['rbac.authorization.k8s.io', 'certificates.k8s.io', 'admissionregistration.k8s.io', 'apiregistration.k8s.io'];
    const kinds = builtinResources.filter((r) => groups.includes(r.group));
    expect(kinds).toHaveLength(10);
    for (const r of kinds) {
      const schema = definitionSchema(r.definition);
      expect(schema, r.definition).toBeDefined();
      expect(Object.keys(schema!.properties ?? {}), r.definition).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata']));
    }
  });
});
