import { describe, expect, test } from 'vitest';
import { CHECK_IDS, evaluatePod, forbiddenReasons, LATEST, type LevelVersion } from '../../../../src/control/api/admission/pod-security-checks.js';
import { existingPodWarnings, isSignificantPodUpdate, PodSecurityAdmission, policyFromLabels } from '../../../../src/control/api/admission/pod-security.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import { AdmissionConfigError, parseAdmissionConfig } from '../../../../src/control/api/admission/admission-config.js';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';

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

const pods = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true } as unknown as ResourceType;

/** A CREATE in namespace `namespace` validated by `plugin`: its refusal's message, warnings and audit annotations. */
async function validateCreate(plugin: PodSecurityAdmission, resource: ResourceType, namespace: string, object: KubeObject, user?: string) {
  const notes: Record<string, string> = {};
  const warnings: string[] = [];
  const a: AdmissionAttributes = {
    operation: 'CREATE', resource, subresource: '', namespace, name: object.metadata?.name ?? '', object, oldObject: null,
    dryRun: false, warnings, audit: (k, v) => void (notes[k] = v), ...(user ? { user: { name: user, groups: [] } } : {}),
  };
  const error = await plugin.validate(a).then(() => undefined, (e: Error) => e.message);
  return { notes, warnings, error };
}

describe('PodSecurity audit annotations', () => {
  const deployments = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true } as unknown as ResourceType;
  const plugin = (labels: Record<string, string>) =>
    new PodSecurityAdmission({ namespace: async (name) => ({ metadata: { name, labels } }), pods: async () => [] });
  const run = (labels: Record<string, string>, resource: ResourceType, object: KubeObject) => validateCreate(plugin(labels), resource, 'ns', object);
  const privilegedPod = { metadata: { name: 'p' }, spec: goodSpec((s) => { c0(s).privileged = true; }) } as KubeObject;

  test('a pod: enforce-policy always, audit-violations when the audit level fails, also when enforce refuses', async () => {
    const audited = await run({ 'pod-security.kubernetes.io/audit': 'baseline' }, pods, privilegedPod);
    expect(audited.error).toBeUndefined();
    expect(audited.notes).toEqual({
      'pod-security.kubernetes.io/enforce-policy': 'privileged:latest',
      'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)',
    });
    const refused = await run({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted' }, pods, privilegedPod);
    expect(refused.error).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(refused.notes['pod-security.kubernetes.io/enforce-policy']).toBe('restricted:latest');
    expect(refused.notes['pod-security.kubernetes.io/audit-violations']).toMatch(/^would violate PodSecurity "restricted:latest": /);
    const clean = await run({ 'pod-security.kubernetes.io/audit': 'restricted' }, pods, { metadata: { name: 'ok' }, spec: goodSpec() } as KubeObject);
    expect(clean.notes).toEqual({ 'pod-security.kubernetes.io/enforce-policy': 'privileged:latest' });
  });

  test('a workload: audit-violations without enforce-policy; unparsable labels give the error annotation', async () => {
    const d = { metadata: { name: 'd' }, spec: { template: { metadata: {}, spec: privilegedPod['spec'] } } } as KubeObject;
    const r = await run({ 'pod-security.kubernetes.io/audit': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v2' }, deployments, d);
    expect(r.error).toBeUndefined();
    expect(r.warnings).toEqual([]);
    expect(r.notes).toEqual({
      'pod-security.kubernetes.io/error': 'Failed to parse policy: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "v2": must be "latest" or "v1.x"',
      'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)',
    });
  });

  test('nothing is evaluated or annotated in a namespace without PodSecurity labels', async () => {
    expect((await run({ team: 'a' }, pods, privilegedPod)).notes).toEqual({});
  });
});

describe('PodSecurity configuration (AdmissionConfiguration)', () => {
  /** An AdmissionConfiguration whose PodSecurity entry holds `podSecurity` (YAML lines), then `more` plugins. */
  const admissionYaml = (podSecurity: string, more = '') => `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
${podSecurity.replace(/^/gm, '      ')}
${more}`;
  const config = parseAdmissionConfig(admissionYaml(
    'defaults: { enforce: baseline, enforce-version: v1.30, warn: restricted }\nexemptions: { usernames: [ci-bot], namespaces: [kube-system], runtimeClasses: [kata] }',
  ), '/etc/skiff/admission.yaml').podSecurity!;
  const plugin = new PodSecurityAdmission({ namespace: async (name) => ({ metadata: { name, labels: name === 'labelled' ? { 'pod-security.kubernetes.io/enforce': 'privileged' } : {} } }), pods: async () => [] }, config);
  const run = async (namespace: string, user = 'dev', runtimeClassName?: string) => {
    const spec = goodSpec((s) => { c0(s).privileged = true; if (runtimeClassName) s.runtimeClassName = runtimeClassName; });
    const { error, notes } = await validateCreate(plugin, pods, namespace, { metadata: { name: 'p' }, spec } as KubeObject, user);
    return { error, notes };
  };

  test('defaults apply to namespaces without labels; labels still win', async () => {
    expect((await run('team')).error).toMatch(/violates PodSecurity "baseline:v1.30": privileged/);
    expect((await run('labelled')).error).toBeUndefined();
  });

  test('exempt namespaces, users and runtime classes are not evaluated, and say why', async () => {
    expect(await run('kube-system')).toEqual({ error: undefined, notes: { 'pod-security.kubernetes.io/exempt': 'namespace' } });
    expect(await run('team', 'ci-bot')).toEqual({ error: undefined, notes: { 'pod-security.kubernetes.io/exempt': 'user' } });
    expect(await run('team', 'dev', 'kata')).toEqual({ error: undefined, notes: { 'pod-security.kubernetes.io/exempt': 'runtimeClass' } });
  });

  test('a bad file names the field', () => {
    const bad = () => parseAdmissionConfig(admissionYaml(
      'defaults: { enforce: strict, audit-version: "1.2" }\nexemptions: { usernames: [""] }',
      '  - name: EventRateLimit\n    path: erl.yaml\n',
    ), 'a.yaml');
    expect(bad).toThrow(AdmissionConfigError);
    expect(bad).toThrow('a.yaml: [plugins[0].configuration.defaults.enforce: Unsupported value: "strict": supported values: "privileged", "baseline", "restricted", '
      + 'plugins[0].configuration.defaults.audit-version: Invalid value: "1.2": must be "latest" or "v1.x", '
      + 'plugins[0].configuration.exemptions.usernames: Invalid value: must be a list of non-empty strings, '
      + 'plugins[1].name: Unsupported value: "EventRateLimit": supported values: "PodSecurity"]');
  });
});
