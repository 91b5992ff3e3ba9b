import { describe, expect, test } from 'vitest';
import { CHECK_IDS, evaluatePod, forbiddenReasons, LATEST, type LevelVersion } from '../../../../src/control/api/admission/pod-security-checks.js';
import { existingPodWarnings, isSignificantPodUpdate, policyFromLabels } from '../../../../src/control/api/admission/pod-security.js';

const baseline: LevelVersion = { level: 'baseline', minor: LATEST };
const restricted: LevelVersion = { level: 'restricted', minor: LATEST };

/** A pod that passes restricted; `patch` edits its spec. */
function goodSpec(patch: (s: any) => void = () => {}): any {
  const spec: any = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  };
  patch(spec);
  return spec;
}
const fail = (lv: LevelVersion, spec: any, meta: any = {}) => evaluatePod(lv, meta, spec).map((f) => `${f.id}: ${f.reason} (${f.detail})`);
const c0 = (s: any) => s.containers[0].securityContext;

describe('PodSecurity checks', () => {
  test('a hardened pod passes restricted; privileged allows anything', () => {
    expect(fail(restricted, goodSpec())).toEqual([]);
    expect(fail({ level: 'privileged', minor: LATEST }, goodSpec((s) => { s.hostPID = true; }))).toEqual([]);
  });

  test.each([
    ['windowsHostProcess', (s: any) => { s.securityContext.windowsOptions = { hostProcess: true }; c0(s).windowsOptions = { hostProcess: true }; },
      'hostProcess (pod and container "c" must not set securityContext.windowsOptions.hostProcess=true)'],
    ['hostNamespaces', (s: any) => { s.hostPID = true; s.hostNetwork = true; }, 'host namespaces (hostNetwork, hostPID)'],
    ['privileged', (s: any) => { c0(s).privileged = true; }, 'privileged (container "c" must not set securityContext.privileged=true)'],
    ['hostPorts', (s: any) => { s.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 81 }]; },
      'hostPort (container "c" uses hostPorts 8080, 81)'], // sorted as strings, as upstream's sets,
    ['appArmorProfile', (s: any) => { c0(s).appArmorProfile = { type: 'Unconfined' }; },
      'forbidden AppArmor profile (container "c" must not set securityContext.appArmorProfile.type to "Unconfined")'],
    ['seLinuxOptions', (s: any) => { s.securityContext.seLinuxOptions = { type: 'spc_t', user: 'root' }; },
      'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)'],
    ['procMount', (s: any) => { c0(s).procMount = 'Unmasked'; }, 'procMount (container "c" must not set securityContext.procMount to "Unmasked")'],
    ['hostProbesAndHostLifecycle', (s: any) => { s.containers[0].livenessProbe = { httpGet: { host: '10.0.0.1', port: 80 } }; s.containers[0].lifecycle = { preStop: { tcpSocket: { host: 'evil', port: 1 } } }; },
      'probe or lifecycle host (container "c" uses probe or lifecycle hosts "10.0.0.1", "evil")'],
    ['sysctls', (s: any) => { s.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }]; },
      'forbidden sysctls (kernel.msgmax)'],
  ])('baseline %s', (id, patch, want) => {
    const f = evaluatePod(baseline, {}, goodSpec(patch));
    expect(f.map((x) => x.id)).toEqual([id]);
    expect(forbiddenReasons(f)).toBe(want);
  });

  test('baseline overlapping checks: capabilities, hostPath, seccomp (replaced by the restricted ones at restricted)', () => {
    const spec = goodSpec((s) => {
      c0(s).capabilities = { drop: ['ALL'], add: ['NET_ADMIN', 'CHOWN'] };
      s.volumes = [{ name: 'h', hostPath: { path: '/' } }];
      s.securityContext.seccompProfile = { type: 'Unconfined' };
    });
    expect(forbiddenReasons(evaluatePod(baseline, {}, spec))).toBe(
      'non-default capabilities (container "c" must not include "NET_ADMIN" in securityContext.capabilities.add), '
      + 'hostPath volumes (volume "h"), seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")');
    expect(evaluatePod(restricted, {}, spec).map((f) => f.id)).toEqual(['capabilities_restricted', 'restrictedVolumes', 'seccompProfile_restricted']);
    expect(forbiddenReasons(evaluatePod(restricted, {}, spec))).toBe(
      'unrestricted capabilities (container "c" must not include "CHOWN", "NET_ADMIN" in securityContext.capabilities.add), '
      + 'restricted volume types (volumes ["h"] have restricted types), seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")');
  });

  test('apparmor annotations and seccomp annotations before 1.19', () => {
    const meta = { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined', 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } };
    expect(fail(baseline, goodSpec(), meta)).toEqual(['appArmorProfile: forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/c="unconfined")']);
    expect(fail({ level: 'baseline', minor: 18 }, goodSpec(), meta)).toContain('seccompProfile_baseline: seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")');
  });

  test('restricted: the upstream message for a privileged pod, in upstream order', () => {
    const spec = { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] };
    expect(forbiddenReasons(evaluatePod(restricted, {}, spec))).toBe(
      'privileged (container "c" must not set securityContext.privileged=true), '
      + 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
      + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
      + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
      + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
  });

  test('restricted runAsNonRoot=false, runAsUser=0, init containers counted', () => {
    const spec = goodSpec((s) => {
      s.securityContext.runAsUser = 0;
      s.initContainers = [{ name: 'i', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: false } }];
    });
    expect(fail(restricted, spec)).toEqual([
      'runAsNonRoot: runAsNonRoot != true (container "i" must not set securityContext.runAsNonRoot=false)',
      'runAsUser: runAsUser=0 (pod must not set runAsUser=0)',
    ]);
    // runAsUser only from v1.23; probe hosts only from v1.34.
    expect(evaluatePod({ level: 'baseline', minor: 33 }, {}, goodSpec((x) => { x.containers[0].livenessProbe = { tcpSocket: { host: 'h', port: 1 } }; }))).toEqual([]);
    expect(fail({ level: 'restricted', minor: 22 }, spec).map((x) => x.split(':')[0])).toEqual(['runAsNonRoot']);
  });

  test('every check is exercised above', () => {
    expect(CHECK_IDS.length).toBe(18);
  });
});

describe('PodSecurity namespace policy', () => {
  test('labels to policy, defaults and errors', () => {
    expect(policyFromLabels(undefined).policy.enforce).toEqual({ level: 'privileged', minor: LATEST });
    const p = policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.24', 'pod-security.kubernetes.io/warn': 'restricted' });
    expect(p.errors).toEqual([]);
    expect(p.policy).toEqual({ enforce: { level: 'baseline', minor: 24 }, audit: { level: 'privileged', minor: LATEST }, warn: { level: 'restricted', minor: LATEST } });
    const bad = policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn': 'nope', 'pod-security.kubernetes.io/audit-version': '1.2' });
    expect(bad.policy.enforce.level).toBe('restricted');
    expect(bad.policy.warn.level).toBe('privileged');
    expect(bad.errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "1.2": must be "latest" or "v1.x"',
      'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "nope": must be one of privileged, baseline, restricted',
    ]);
  });

  test('existing pods are grouped by reason', () => {
    const pod = (name: string, spec: any) => ({ metadata: { name }, spec });
    const w = existingPodWarnings('ns', baseline, [
      pod('a', { hostPID: true, containers: [{ name: 'c' }] }), pod('b', { hostPID: true, containers: [{ name: 'c' }] }),
      pod('ok', { containers: [{ name: 'c' }] }),
    ]);
    expect(w).toEqual(['existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"', 'a (and 1 other pod): host namespaces (hostPID)']);
  });

  test('pod updates that only change images or labels are not re-evaluated', () => {
    const old = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'a' }] } };
    expect(isSignificantPodUpdate({ metadata: { name: 'p', labels: { x: 'y' } }, spec: { containers: [{ name: 'c', image: 'b' }] } }, old)).toBe(false);
    expect(isSignificantPodUpdate({ metadata: { name: 'p', annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } }, spec: old.spec }, old)).toBe(true);
  });
});
