/** The pure pieces under the API: selector parsing/matching and the allocators. */
import { describe, expect, test } from 'vitest';
import { parseLabelSelector, matchesLabels, formatLabelSelector, fromLabelSelectorObject } from '../../../src/control/api/selectors/label.js';
import { parseFieldSelector, matchesFields } from '../../../src/control/api/selectors/field.js';
import { ClusterIPAllocator } from '../../../src/control/api/allocators/clusterip.js';
import { NodePortAllocator } from '../../../src/control/api/allocators/nodeport.js';
import { ApiError } from '../../../src/control/api/status.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'fe', n: '5' };
  const cases: [string, boolean][] = [
    ['app=web', true], ['app==web', true], ['app!=web', false], ['missing!=x', true],
    ['app in (web, db)', true], ['app notin (web)', false], ['missing notin (x)', true],
    ['tier', true], ['!tier', false], ['!missing', true], ['n>4', true], ['n<5', false],
    ['app=web,tier=be', false], ['app in (web),tier', true], ['', true],
  ];
  for (const [sel, want] of cases) test(`"${sel}" → ${want}`, () => expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want));

  test('malformed selectors are 400 BadRequest', () => {
    for (const bad of ['app in (', 'a b c', 'app=we b', ',app', 'n>x']) {
      let err: unknown;
      try {
        parseLabelSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(400);
    }
  });

  test('a LabelSelector object renders as upstream orders it', () => {
    const sel = fromLabelSelectorObject({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['y', 'x'] }, { key: 'd', operator: 'DoesNotExist' }] });
    expect(formatLabelSelector(sel)).toBe('a=1,b=2,c in (x,y),!d');
  });
});

describe('field selectors', () => {
  test('=, ==, != and escapes', () => {
    const obj = { metadata: { name: 'a,b', namespace: 'ns' }, spec: { nodeName: 'n1' } };
    expect(matchesFields(parseFieldSelector('metadata.name=a\\,b'), obj)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName==n1,metadata.namespace!=other'), obj)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName!=n1'), obj)).toBe(false);
  });
});

describe('allocators', () => {
  test('ClusterIPs stay inside the range and skip network, broadcast and the first address', () => {
    const a = new ClusterIPAllocator('10.96.0.0/29', () => 0);
    const got = [a.allocate(), a.allocate(), a.allocate(), a.allocate(), a.allocate()];
    expect(got.sort()).toEqual(['10.96.0.2', '10.96.0.3', '10.96.0.4', '10.96.0.5', '10.96.0.6']);
    expect(() => a.allocate()).toThrow(/range is full/);
    a.release('10.96.0.4');
    expect(a.allocate()).toBe('10.96.0.4');
    expect(a.allocate.bind(a, '10.96.0.7')).toThrow(/not in the valid range/);
    expect(a.first).toBe('10.96.0.1');
  });

  test('NodePorts: random free ports in range, explicit ones checked', () => {
    const p = new NodePortAllocator(30000, 30002, () => 0.99);
    expect(p.allocate()).toBe(30002);
    expect(p.allocate(30000)).toBe(30000);
    expect(() => p.allocate(30000)).toThrow('provided port is already allocated');
    expect(() => p.allocate(80)).toThrow('provided port is not in the valid range. The range of valid ports is 30000-30002');
    expect(p.allocate()).toBe(30001);
    expect(() => p.allocate()).toThrow(/full/);
  });
});
