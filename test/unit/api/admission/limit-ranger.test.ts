import { describe, expect, test } from 'vitest';
import { LimitRanger, applyDefaults, containerDefaults, validateClaimLimits, validatePodLimits } from '../../../../src/control/api/admission/limit-ranger.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';

const lr = (limits: object[]): KubeObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } });
const pod = (containers: object[], initContainers: object[] = []): any => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers, initContainers } });

describe('LimitRanger defaults', () => {
  test('default and defaultRequest fill what each container left out, with upstream\'s annotation', () => {
    const range = lr([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }]);
    const p = pod([{ name: 'app', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }, { name: 'side' }], [{ name: 'init' }]);
    applyDefaults(p, containerDefaults(range));
    expect(p.spec.containers[0].resources).toEqual({ limits: { cpu: '1', memory: '256Mi' }, requests: { cpu: '1', memory: '128Mi' } });
    expect(p.spec.containers[1].resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(p.spec.initContainers[0].resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
    expect(p.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: memory request for container app; memory limit for container app; '
      + 'cpu, memory request for container side; cpu, memory limit for container side; '
      + 'cpu, memory request for init container init; cpu, memory limit for init container init');
  });

  test('nothing to set: no annotation', () => {
    const p = pod([{ name: 'c', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }]);
    expect(applyDefaults(p, containerDefaults(lr([{ type: 'Container', default: { cpu: '2' } }])))).toBeUndefined();
    expect(p.metadata.annotations).toBeUndefined();
  });
});

describe('LimitRanger validation', () => {
  test('Container max, min and ratio in upstream\'s words', () => {
    const range = lr([{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } }]);
    expect(validatePodLimits(range, pod([{ name: 'c', resources: { limits: { cpu: '2', memory: '128Mi' }, requests: { cpu: '500m', memory: '32Mi' } } }]))).toEqual([
      'minimum memory usage per Container is 64Mi, but request is 32Mi',
      'maximum cpu usage per Container is 1, but limit is 2',
      'cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    ]);
    expect(validatePodLimits(range, pod([{ name: 'c' }]))).toEqual([
      'minimum memory usage per Container is 64Mi.  No request is specified',
      'maximum cpu usage per Container is 1.  No limit is specified',
      'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0',
    ]);
    expect(validatePodLimits(range, pod([{ name: 'c', resources: { limits: { cpu: '1' }, requests: { cpu: '500m', memory: '64Mi' } } }]))).toEqual([]);
  });

  test('Pod items sum the containers; init containers count at their peak', () => {
    const range = lr([{ type: 'Pod', max: { cpu: '1' } }]);
    const c = (cpu: string) => ({ name: `c${cpu}`, resources: { limits: { cpu }, requests: { cpu } } });
    expect(validatePodLimits(range, pod([c('600m'), c('300m')]))).toEqual([]);
    expect(validatePodLimits(range, pod([c('600m'), c('500m')]))).toEqual(['maximum cpu usage per Pod is 1, but limit is 1100m']);
    expect(validatePodLimits(range, pod([c('100m')], [c('2')]))).toEqual(['maximum cpu usage per Pod is 1, but limit is 2']);
  });

  test('PersistentVolumeClaim storage', () => {
    const range = lr([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }]);
    const claim = (storage: string): KubeObject => ({ metadata: { name: 'c' }, spec: { resources: { requests: { storage } } } });
    expect(validateClaimLimits(range, claim('20Gi'))).toEqual(['maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi']);
    expect(validateClaimLimits(range, claim('500Mi'))).toEqual(['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
    expect(validateClaimLimits(range, claim('5Gi'))).toEqual([]);
  });

  test('the plugin refuses with 403 and pods "p" is forbidden: …', async () => {
    const plugin = new LimitRanger({ limitRanges: async () => [lr([{ type: 'Container', max: { cpu: '1' } }])] });
    const resource = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' } as ResourceType;
    const a: AdmissionAttributes = { operation: 'CREATE', resource, subresource: '', namespace: 'ns', name: 'p', object: pod([{ name: 'c', resources: { limits: { cpu: '2' } } }]), oldObject: null, dryRun: false };
    await expect(plugin.validate(a)).rejects.toMatchObject({ code: 403, message: 'pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2' });
  });
});
