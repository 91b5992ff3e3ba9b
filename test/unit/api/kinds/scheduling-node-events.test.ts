import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { priorityclasses, systemPriorityClassObjects } from '../../../../src/control/api/kinds/scheduling.js';
import { runtimeclasses } from '../../../../src/control/api/kinds/node.js';
import { eventsV1 } from '../../../../src/control/api/kinds/events.js';
import { checkEventsV1, eventCoreToV1, eventV1ToCore } from '../../../../src/control/api/kinds/events-conversion.js';
import { toTable } from '../../../../src/control/api/table.js';

const now = new Date('2026-01-01T00:10:00Z');
const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), creationTimestamp: '2026-01-01T00:00:00Z' });
const cells = (r: Parameters<typeof toTable>[0], o: KubeObject) =>
  (toTable(r, [o], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>)[0]!.cells;

describe('priorityclasses', () => {
  const make = (name: string, extra: Record<string, unknown>): KubeObject => {
    const o: KubeObject = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: meta(name), ...extra };
    priorityclasses.strategy.default!(o);
    return o;
  };

  test('defaults PreemptLowerPriority; the system classes validate and print as upstream', () => {
    for (const pc of systemPriorityClassObjects()) {
      priorityclasses.strategy.default!(pc);
      expect(priorityclasses.strategy.validate!(pc), pc.metadata!.name).toEqual([]);
    }
    const o = make('system-cluster-critical', { value: 2000000000 });
    expect(cells(priorityclasses, o)).toEqual(['system-cluster-critical', 2000000000, false, '10m', 'PreemptLowerPriority']);
  });

  test('system- names are reserved; user values stop at one billion; value and policy are fixed', () => {
    expect(priorityclasses.strategy.validate!(make('system-high', { value: 5 }))).toEqual([{ type: 'FieldValueForbidden', field: 'metadata.name',
      message: "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-high is not a known system priority class" }]);
    expect(priorityclasses.strategy.validate!(make('system-node-critical', { value: 5 }))[0]!.message)
      .toContain('value of system-node-critical PriorityClass must be 2000001000');
    expect(priorityclasses.strategy.validate!(make('high', { value: 1000000001, preemptionPolicy: 'Sometimes' }))).toEqual([
      { type: 'FieldValueForbidden', field: 'value', message: 'Forbidden: maximum allowed value of a user defined priority is 1000000000' },
      { type: 'FieldValueNotSupported', field: 'preemptionPolicy', message: 'Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"' },
    ]);
    const old = make('high', { value: 10 });
    expect(priorityclasses.strategy.validateUpdate!({ ...structuredClone(old), value: 11 }, old)).toEqual([
      { type: 'FieldValueForbidden', field: 'value', message: 'Forbidden: may not be changed in an update.' }]);
  });
});

describe('runtimeclasses', () => {
  test('a DNS-label handler, fixed once created; overhead quantities checked', () => {
    const o: KubeObject = { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: meta('gvisor'), handler: 'runsc' };
    expect(runtimeclasses.strategy.validate!(o)).toEqual([]);
    expect(cells(runtimeclasses, o)).toEqual(['gvisor', 'runsc', '10m']);
    expect(runtimeclasses.strategy.validate!({ ...o, handler: 'Run_SC', overhead: { podFixed: { cpu: 'lots' } } }).map((e) => e.field))
      .toEqual(['handler', 'overhead.podFixed.limits[cpu]']);
    expect(runtimeclasses.strategy.validate!({ ...o, scheduling: { nodeSelector: { 'bad key!': 'x' }, tolerations: [{ key: 'k', operator: 'Sometimes' }] } })
      .map((e) => e.field)).toEqual(['scheduling.nodeSelector', 'scheduling.tolerations[0].operator']);
    expect(runtimeclasses.strategy.validateUpdate!({ ...o, handler: 'runc' }, o)).toEqual([
      { type: 'FieldValueInvalid', field: 'handler', message: 'Invalid value: "runc": field is immutable' }]);
  });
});

describe('events.k8s.io/v1 over core/v1 Events', () => {
  const v1: KubeObject = {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'default' },
    eventTime: '2026-01-01T00:05:00.000000Z', reportingController: 'example.com/ctl', reportingInstance: 'ctl-1', action: 'Scale',
    reason: 'Scaled', note: 'scaled to 3', type: 'Normal',
    regarding: { kind: 'Deployment', namespace: 'default', name: 'web' }, related: { kind: 'ReplicaSet', name: 'web-1' },
    series: { count: 2, lastObservedTime: '2026-01-01T00:06:00.000000Z' },
  };

  test('fields map one to one and back (upstream\'s names), sharing core storage', () => {
    const core = eventV1ToCore(v1);
    expect(core).toEqual({
      apiVersion: 'v1', kind: 'Event', metadata: v1.metadata, involvedObject: v1.regarding, related: v1.related, message: 'scaled to 3',
      reportingComponent: 'example.com/ctl', reportingInstance: 'ctl-1', eventTime: v1.eventTime, series: v1.series, action: 'Scale',
      reason: 'Scaled', type: 'Normal',
    });
    expect(eventCoreToV1(core)).toEqual(v1);
    expect(eventsV1.conversion!.storage.group).toBe('');
    expect(eventsV1.conversion!.storage.plural).toBe('events');
  });

  test('a legacy core event reads with deprecated* fields and a null eventTime', () => {
    const legacy: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'p.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Pulled', message: 'pulled', source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:01:00Z', count: 3, type: 'Normal' };
    expect(eventCoreToV1(legacy)).toMatchObject({ eventTime: null, note: 'pulled', regarding: legacy.involvedObject,
      deprecatedSource: { component: 'kubelet', host: 'n1' }, deprecatedFirstTimestamp: legacy.firstTimestamp,
      deprecatedLastTimestamp: legacy.lastTimestamp, deprecatedCount: 3 });
    // Printed as the stored core Event.
    const row = cells(eventsV1, eventCoreToV1(legacy));
    expect([...row.slice(0, 4), row[6], row[5], row[8]]).toEqual(['9m', 'Normal', 'Pulled', 'pod/p', 'pulled', 'kubelet, n1', 3]);
  });

  test('creates through events.k8s.io/v1 pass the strict rules, in upstream\'s words', () => {
    expect(checkEventsV1(v1)).toEqual([]);
    const bad = { ...structuredClone(v1), eventTime: undefined, type: 'Odd', deprecatedCount: 2, deprecatedSource: { component: 'x' }, series: { count: 1 } };
    expect(checkEventsV1(bad)).toEqual([
      { type: 'FieldValueInvalid', field: 'series.count', message: 'Invalid value: "": should be at least 2' },
      { type: 'FieldValueRequired', field: 'series.lastObservedTime', message: 'Required value' },
      { type: 'FieldValueRequired', field: 'eventTime', message: 'Required value' },
      { type: 'FieldValueInvalid', field: 'type', message: 'Invalid value: "": has invalid value: Odd' },
      { type: 'FieldValueInvalid', field: 'deprecatedCount', message: 'Invalid value: "": needs to be unset' },
      { type: 'FieldValueInvalid', field: 'deprecatedSource', message: 'Invalid value: "": needs to be unset' },
    ]);
    const noController = { ...structuredClone(v1), reportingController: '', action: '' };
    // Upstream also reports the empty controller as an invalid qualified name.
    expect(checkEventsV1(noController).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'reportingController: Required value', 'reportingController: Invalid value: "": name part must be non-empty',
      expect.stringContaining('reportingController: Invalid value: "": name part must consist of'), 'action: Required value']);
    // An update of a stored legacy event (it has a uid) is not held to the create-only rules.
    const stored = eventCoreToV1({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'p.1', namespace: 'default', uid: 'u' },
      involvedObject: { namespace: 'default' }, source: { component: 'kubelet' }, count: 3 });
    expect(checkEventsV1(stored)).toEqual([]);
  });
});
