import { describe, expect, it } from 'vitest';
import { hasSubPathExpr, subPathExprError } from '../../../../../src/dataplane/kubelet/runtime/simulated/subpath-expr.js';
import type { Pod } from '../../../../../src/dataplane/kubelet/types.js';

const facts = { podIPs: ['10.244.1.2'], hostIPs: ['10.200.0.7'] };
const pod = (annotations: Record<string, string> = {}): Pod => ({ metadata: { name: 'p', namespace: 'ns', uid: 'u', annotations }, spec: { containers: [] } });
const container = (env: unknown[], subPathExpr: string, extra: Record<string, unknown> = {}) => ({
  name: 'dapi-container',
  image: 'busybox',
  env,
  volumeMounts: [{ name: 'workdir1', mountPath: '/logscontainer', subPathExpr }],
  ...extra,
});

describe('subPathExprError: makeMounts as the kubelet runs it', () => {
  it('an expansion to an absolute path or one with .. fails with the kubelet\'s message', () => {
    expect(subPathExprError(pod(), container([{ name: 'POD_NAME', value: '/tmp' }], '$(POD_NAME)'), facts, {})).toBe('error SubPath `/tmp` must not be an absolute path');
    expect(subPathExprError(pod(), container([{ name: 'POD_NAME', value: '..' }], '$(POD_NAME)'), facts, {})).toBe("unable to provision SubPath `..`: must not contain '..'");
  });

  it('a reference to a missing or empty value fails; a fieldRef to an annotation set later works', () => {
    const env = [
      { name: 'POD_NAME', value: 'foo' },
      { name: 'ANNOTATION', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['mysubpath']" } } },
    ];
    const c = container(env, '$(ANNOTATION)/$(POD_NAME)');
    expect(subPathExprError(pod({ notmysubpath: 'mypath' }), c, facts, {})).toBe('missing value for ANNOTATION');
    expect(subPathExprError(pod({ mysubpath: 'mypath' }), c, facts, {})).toBeUndefined();
    expect(subPathExprError(pod(), container([], '$(NOPE)'), facts, {})).toBe('missing value for NOPE');
  });

  it('values built from other variables and the downward API expand; ConfigMap and Secret keys are assumed fine', () => {
    const env = [
      { name: 'A', value: 'x' },
      { name: 'B', value: '$(A)/y' },
      { name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
    ];
    expect(subPathExprError(pod(), container(env, '$(B)/$(NODE_IP)'), facts, {})).toBeUndefined();
    expect(subPathExprError(pod(), container(env, '$(FROM_CM)'), facts, {})).toBeUndefined();
    expect(subPathExprError(pod(), container([], '$(ANY)', { envFrom: [{ configMapRef: { name: 'cm' } }] }), facts, {})).toBeUndefined();
  });

  it('hasSubPathExpr: the cheap test', () => {
    expect(hasSubPathExpr([{ name: 'a' }])).toBe(false);
    expect(hasSubPathExpr([container([], 'x') as never])).toBe(true);
  });
});
