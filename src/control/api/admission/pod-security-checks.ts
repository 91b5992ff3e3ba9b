/**
 * The Pod Security Standards as upstream's pod-security-admission evaluates them (policy/check_*.go): one pure
 * check per rule over a pod's metadata and spec, each with the level it belongs to, the first policy version it
 * applies from, and upstream's reason and detail wording. `evaluatePod` runs the checks of a level at a version
 * in upstream's order (the baseline checks, then either baseline's overlapping ones or the restricted ones that
 * replace them), and returns only the failures.
 */

type Obj = Record<string, unknown>;

export type Level = 'privileged' | 'baseline' | 'restricted';
export const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

/** A policy level at a version: `minor` of v1.<minor>, or LATEST. */
export interface LevelVersion {
  level: Level;
  minor: number;
}

/** "latest": newer than every check's version. */
export const LATEST = Number.MAX_SAFE_INTEGER;

export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${lv.minor === LATEST ? 'latest' : `v1.${lv.minor}`}`;
}

/** A failed check: upstream's ForbiddenReason and ForbiddenDetail. */
export interface CheckFailure {
  id: string;
  reason: string;
  detail: string;
}

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** Baseline checks a restricted check replaces (run only at baseline). */
  overlap?: boolean;
  /** First minor version the check applies at. */
  since: number;
  run(meta: Obj, spec: Obj, minor: number): Omit<CheckFailure, 'id'> | null;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

const joinQuote = (items: readonly string[]): string => (items.length ? `"${items.join('", "')}"` : '');
const pluralize = (singular: string, plural: string, n: number): string => (n === 1 ? singular : plural);
const sortedSet = (s: Set<string>): string[] => [...s].sort();
/** "container \"a\"" / "containers \"a\", \"b\"". */
const containersPhrase = (names: readonly string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

/** Init containers, containers, then ephemeral containers, as upstream's visitContainers. */
function containers(spec: Obj): Obj[] {
  return [...arr(spec['initContainers']), ...arr(spec['containers']), ...arr(spec['ephemeralContainers'])];
}
const sc = (c: Obj): Obj | undefined => (isObj(c['securityContext']) ? c['securityContext'] : undefined);
const podSC = (spec: Obj): Obj | undefined => (isObj(spec['securityContext']) ? spec['securityContext'] : undefined);
const nameOf = (c: Obj): string => str(c['name']);
const isWindows = (spec: Obj): boolean => str(obj(spec['os'])['name']) === 'windows';

/** Pods in their own user namespace (hostUsers: false) are relaxed from v1.34 on (root inside is not root outside). */
const userNamespaced = (spec: Obj, minor: number): boolean => minor >= 34 && spec['hostUsers'] === false;
/** "pod and containers \"a\"": who set a forbidden value. */
function setters(pod: boolean, names: readonly string[]): string[] {
  const out: string[] = [];
  if (pod) out.push('pod');
  if (names.length) out.push(containersPhrase(names));
  return out;
}

// ---------------------------------------------------------------- baseline

const windowsHostProcess: Check = {
  id: 'windowsHostProcess', level: 'baseline', since: 0,
  run(_meta, spec) {
    const hp = (o: Obj | undefined) => obj(o?.['windowsOptions'])['hostProcess'] === true;
    const bad = containers(spec).filter((c) => hp(sc(c))).map(nameOf);
    const who = setters(hp(podSC(spec)), bad);
    if (!who.length) return null;
    return { reason: 'hostProcess', detail: `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` };
  },
};

const hostNamespaces: Check = {
  id: 'hostNamespaces', level: 'baseline', since: 0,
  run(_meta, spec) {
    const found = ['hostIPC', 'hostNetwork', 'hostPID'].filter((f) => spec[f] === true);
    return found.length ? { reason: 'host namespaces', detail: found.join(', ') } : null;
  },
};

const privileged: Check = {
  id: 'privileged', level: 'baseline', since: 0,
  run(_meta, spec) {
    const bad = containers(spec).filter((c) => sc(c)?.['privileged'] === true).map(nameOf);
    return bad.length ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : null;
  },
};

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const capabilitiesBaseline: Check = {
  id: 'capabilities_baseline', level: 'baseline', overlap: true, since: 0,
  run(_meta, spec) {
    const bad: string[] = [];
    const caps = new Set<string>();
    for (const c of containers(spec)) {
      const added = strs(obj(sc(c)?.['capabilities'])['add']).filter((x) => !BASELINE_CAPABILITIES.has(x));
      for (const x of added) caps.add(x);
      if (added.length) bad.push(nameOf(c));
    }
    if (!bad.length) return null;
    return { reason: 'non-default capabilities', detail: `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add` };
  },
};

const hostPathVolumes: Check = {
  id: 'hostPathVolumes', level: 'baseline', overlap: true, since: 0,
  run(_meta, spec) {
    const names = arr(spec['volumes']).filter((v) => v['hostPath'] !== undefined && v['hostPath'] !== null).map(nameOf);
    return names.length ? { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}` } : null;
  },
};

const hostPorts: Check = {
  id: 'hostPorts', level: 'baseline', since: 0,
  run(_meta, spec) {
    const bad: string[] = [];
    const ports = new Set<string>();
    for (const c of containers(spec)) {
      let used = false;
      for (const p of arr(c['ports'])) {
        if (typeof p['hostPort'] === 'number' && p['hostPort'] !== 0) {
          used = true;
          ports.add(String(p['hostPort']));
        }
      }
      if (used) bad.push(nameOf(c));
    }
    if (!bad.length) return null;
    return {
      reason: 'hostPort',
      detail: `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.size)} ${sortedSet(ports).join(', ')}`,
    };
  },
};

/** 1.34+: probes and lifecycle handlers may not aim at another host (httpGet.host, tcpSocket.host). */
const hostProbesAndHostLifecycle: Check = {
  id: 'hostProbesAndHostLifecycle', level: 'baseline', since: 34,
  run(_meta, spec) {
    const bad = new Set<string>();
    const hosts = new Set<string>();
    const handlerHosts = (h: unknown): string[] => {
      const o = obj(h);
      return [str(obj(o['httpGet'])['host']), str(obj(o['tcpSocket'])['host'])].filter((x) => x !== '');
    };
    for (const c of containers(spec)) {
      const lifecycle = obj(c['lifecycle']);
      const found = [c['livenessProbe'], c['readinessProbe'], c['startupProbe'], lifecycle['postStart'], lifecycle['preStop']].flatMap(handlerHosts);
      if (!found.length) continue;
      bad.add(nameOf(c));
      for (const h of found) hosts.add(h);
    }
    if (!bad.size) return null;
    return {
      reason: 'probe or lifecycle host',
      detail: `${containersPhrase(sortedSet(bad))} ${pluralize('uses', 'use', bad.size)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', hosts.size)} ${joinQuote(sortedSet(hosts))}`,
    };
  },
};

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const allowedAppArmorAnnotation = (v: string): boolean => v === '' || v === 'runtime/default' || v.startsWith('localhost/');

const appArmorProfile: Check = {
  id: 'appArmorProfile', level: 'baseline', since: 0,
  run(meta, spec, minor) {
    const annotations = obj(meta['annotations']);
    const bad: string[] = [];
    for (const [k, v] of Object.entries(annotations)) {
      if (k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(str(v))) bad.push(`${k}=${JSON.stringify(str(v))}`);
    }
    if (bad.length) {
      bad.sort();
      return { reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', bad.length), detail: bad.join(', ') };
    }
    if (minor < 30) return null;
    // 1.30+: the appArmorProfile fields; only Unconfined is forbidden (RuntimeDefault and Localhost are fine).
    const values = new Set<string>();
    const unconfined = (o: Obj | undefined): boolean => {
      const t = str(obj(o?.['appArmorProfile'])['type']);
      if (t !== 'Unconfined') return false;
      values.add(t);
      return true;
    };
    const pod = unconfined(podSC(spec));
    const names = containers(spec).filter((c) => unconfined(sc(c))).map(nameOf);
    const who = setters(pod, names);
    if (!who.length) return null;
    return { reason: 'forbidden AppArmor profile', detail: `${who.join(' and ')} must not set securityContext.appArmorProfile.type to ${joinQuote(sortedSet(values))}` };
  },
};

const seLinuxOptions: Check = {
  id: 'seLinuxOptions', level: 'baseline', since: 0,
  run(_meta, spec, minor) {
    const allowed = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
    if (minor >= 31) allowed.add('container_engine_t');
    const badTypes = new Set<string>();
    let setUser = false;
    let setRole = false;
    const valid = (o: Obj | undefined): boolean => {
      if (!isObj(o?.['seLinuxOptions'])) return true;
      const opts = o['seLinuxOptions'] as Obj;
      let ok = true;
      if (!allowed.has(str(opts['type']))) { ok = false; badTypes.add(str(opts['type'])); }
      if (str(opts['user'])) { ok = false; setUser = true; }
      if (str(opts['role'])) { ok = false; setRole = true; }
      return ok;
    };
    const pod = !valid(podSC(spec));
    const names = containers(spec).filter((c) => !valid(sc(c))).map(nameOf);
    const who = setters(pod, names);
    if (!who.length) return null;
    // As upstream: the user/role notes are only listed alongside a bad type.
    const data: string[] = [];
    if (badTypes.size) {
      data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sortedSet(badTypes))}`);
      if (setUser) data.push('user may not be set');
      if (setRole) data.push('role may not be set');
    }
    return { reason: 'seLinuxOptions', detail: `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
  },
};

const procMount: Check = {
  id: 'procMount', level: 'baseline', since: 0,
  run(_meta, spec, minor) {
    // User-namespaced pods (hostUsers: false) may unmask /proc: the relaxation upstream made GA at policy v1.34.
    if (userNamespaced(spec, minor)) return null;
    const bad: string[] = [];
    const types = new Set<string>();
    for (const c of containers(spec)) {
      const pm = sc(c)?.['procMount'];
      if (typeof pm === 'string' && pm !== 'Default') {
        bad.push(nameOf(c));
        types.add(pm);
      }
    }
    if (!bad.length) return null;
    return { reason: 'procMount', detail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}` };
  },
};

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccomp = (t: string): boolean => t === 'RuntimeDefault' || t === 'Localhost';
const validSeccompAnnotation = (v: string): boolean => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');

const seccompProfileBaseline: Check = {
  id: 'seccompProfile_baseline', level: 'baseline', overlap: true, since: 0,
  run(meta, spec, minor) {
    if (minor < 19) {
      const annotations = obj(meta['annotations']);
      const bad = new Set<string>();
      const checkKey = (k: string) => {
        if (typeof annotations[k] === 'string' && !validSeccompAnnotation(annotations[k] as string)) bad.add(`${k}=${JSON.stringify(annotations[k])}`);
      };
      checkKey(SECCOMP_POD_ANNOTATION);
      for (const c of containers(spec)) checkKey(SECCOMP_CONTAINER_PREFIX + nameOf(c));
      if (!bad.size) return null;
      return { reason: 'seccompProfile', detail: `forbidden ${pluralize('annotation', 'annotations', bad.size)} ${sortedSet(bad).join(', ')}` };
    }
    const values = new Set<string>();
    const bad = (o: Obj | undefined): boolean => {
      if (!isObj(o?.['seccompProfile'])) return false;
      const t = str((o['seccompProfile'] as Obj)['type']);
      if (validSeccomp(t)) return false;
      values.add(t);
      return true;
    };
    const pod = bad(podSC(spec));
    const names = containers(spec).filter((c) => bad(sc(c))).map(nameOf);
    const who = setters(pod, names);
    if (!who.length) return null;
    return { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}` };
  },
};

/** Safe sysctls by the version that allowed them. */
const SAFE_SYSCTLS: ReadonlyArray<[string, number]> = [
  ['kernel.shm_rmid_forced', 0], ['net.ipv4.ip_local_port_range', 0], ['net.ipv4.tcp_syncookies', 0],
  ['net.ipv4.ping_group_range', 0], ['net.ipv4.ip_unprivileged_port_start', 0],
  ['net.ipv4.ip_local_reserved_ports', 27],
  ['net.ipv4.tcp_keepalive_time', 29], ['net.ipv4.tcp_fin_timeout', 29], ['net.ipv4.tcp_keepalive_intvl', 29],
  ['net.ipv4.tcp_keepalive_probes', 29],
  ['net.ipv4.tcp_rmem', 32], ['net.ipv4.tcp_wmem', 32],
];

const sysctls: Check = {
  id: 'sysctls', level: 'baseline', since: 0,
  run(_meta, spec, minor) {
    const allowed = new Set(SAFE_SYSCTLS.filter(([, v]) => v <= minor).map(([n]) => n));
    const bad = arr(podSC(spec)?.['sysctls']).map((s) => str(s['name'])).filter((n) => !allowed.has(n));
    return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : null;
  },
};

// ---------------------------------------------------------------- restricted

/** Volume sources the restricted level allows (the ones defined through PersistentVolumes or by the pod itself). */
const ALLOWED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

const restrictedVolumes: Check = {
  id: 'restrictedVolumes', level: 'restricted', since: 0,
  run(_meta, spec) {
    const bad = new Set<string>();
    for (const v of arr(spec['volumes'])) {
      if (!ALLOWED_VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) bad.add(nameOf(v));
    }
    if (!bad.size) return null;
    // Go's %q of a []string: ["a" "b"].
    return { reason: 'restricted volume types', detail: `volumes [${sortedSet(bad).map((n) => JSON.stringify(n)).join(' ')}] have restricted types` };
  },
};

const allowPrivilegeEscalation: Check = {
  id: 'allowPrivilegeEscalation', level: 'restricted', since: 8,
  run(_meta, spec, minor) {
    if (minor >= 25 && isWindows(spec)) return null;
    const bad = containers(spec).filter((c) => sc(c)?.['allowPrivilegeEscalation'] !== false).map(nameOf);
    return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` } : null;
  },
};

const runAsNonRoot: Check = {
  id: 'runAsNonRoot', level: 'restricted', since: 0,
  run(_meta, spec, minor) {
    if (userNamespaced(spec, minor)) return null;
    const podValue = podSC(spec)?.['runAsNonRoot'];
    const podBad = podValue === false;
    const podOk = podValue === true;
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containers(spec)) {
      const v = sc(c)?.['runAsNonRoot'];
      if (typeof v === 'boolean') {
        if (!v) explicit.push(nameOf(c));
      } else if (!podOk) implicit.push(nameOf(c));
    }
    const who = setters(podBad, explicit);
    if (who.length) return { reason: 'runAsNonRoot != true', detail: `${who.join(' and ')} must not set securityContext.runAsNonRoot=false` };
    if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` };
    return null;
  },
};

const runAsUser: Check = {
  id: 'runAsUser', level: 'restricted', since: 23,
  run(_meta, spec, minor) {
    if (userNamespaced(spec, minor)) return null;
    const pod = podSC(spec)?.['runAsUser'] === 0;
    const names = containers(spec).filter((c) => sc(c)?.['runAsUser'] === 0).map(nameOf);
    const who = setters(pod, names);
    return who.length ? { reason: 'runAsUser=0', detail: `${who.join(' and ')} must not set runAsUser=0` } : null;
  },
};

const seccompProfileRestricted: Check = {
  id: 'seccompProfile_restricted', level: 'restricted', since: 19,
  run(_meta, spec, minor) {
    if (minor >= 25 && isWindows(spec)) return null;
    const values = new Set<string>();
    let podSet = false;
    let podBad = false;
    const podProfile = podSC(spec)?.['seccompProfile'];
    if (isObj(podProfile)) {
      const t = str(podProfile['type']);
      if (validSeccomp(t)) podSet = true;
      else { podBad = true; values.add(t); }
    }
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containers(spec)) {
      const p = sc(c)?.['seccompProfile'];
      if (isObj(p)) {
        const t = str(p['type']);
        if (!validSeccomp(t)) { explicit.push(nameOf(c)); values.add(t); }
      } else if (!podSet) implicit.push(nameOf(c));
    }
    const who = setters(podBad, explicit);
    if (who.length) return { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}` };
    if (implicit.length) return { reason: 'seccompProfile', detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
    return null;
  },
};

const capabilitiesRestricted: Check = {
  id: 'capabilities_restricted', level: 'restricted', since: 22,
  run(_meta, spec, minor) {
    if (minor >= 25 && isWindows(spec)) return null;
    const missingDrop: string[] = [];
    const adding: string[] = [];
    const caps = new Set<string>();
    for (const c of containers(spec)) {
      const capabilities = sc(c)?.['capabilities'];
      if (!isObj(capabilities)) {
        missingDrop.push(nameOf(c));
        continue;
      }
      if (!strs(capabilities['drop']).includes('ALL')) missingDrop.push(nameOf(c));
      const bad = strs(capabilities['add']).filter((x) => x !== 'NET_BIND_SERVICE');
      for (const x of bad) caps.add(x);
      if (bad.length) adding.push(nameOf(c));
    }
    const details: string[] = [];
    if (missingDrop.length) details.push(`${containersPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
    if (adding.length) details.push(`${containersPhrase(adding)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
    return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : null;
  },
};

/**
 * Upstream registers checks file by file (check_<id>.go in name order), and the evaluator keeps that order
 * within each group.
 */
const ALL_CHECKS: readonly Check[] = [
  allowPrivilegeEscalation, appArmorProfile, capabilitiesBaseline, capabilitiesRestricted, hostNamespaces,
  hostPathVolumes, hostPorts, hostProbesAndHostLifecycle, privileged, procMount, restrictedVolumes, runAsNonRoot, runAsUser, seLinuxOptions,
  seccompProfileBaseline, seccompProfileRestricted, sysctls, windowsHostProcess,
];
const BASELINE = ALL_CHECKS.filter((c) => c.level === 'baseline' && !c.overlap);
const OVERLAPPING = ALL_CHECKS.filter((c) => c.level === 'baseline' && c.overlap);
const RESTRICTED = ALL_CHECKS.filter((c) => c.level === 'restricted');

/** The ids of every check (for tests and documentation). */
export const CHECK_IDS: readonly string[] = ALL_CHECKS.map((c) => c.id);

/** The failures of a pod (metadata + spec) against a level at a version; none at privileged. */
export function evaluatePod(lv: LevelVersion, meta: unknown, spec: unknown): CheckFailure[] {
  if (lv.level === 'privileged') return [];
  const m = obj(meta);
  const s = obj(spec);
  const out: CheckFailure[] = [];
  const run = (checks: readonly Check[]) => {
    for (const c of checks) {
      if (c.since > lv.minor) continue;
      const r = c.run(m, s, lv.minor);
      if (r) out.push({ id: c.id, ...r });
    }
  };
  run(BASELINE);
  run(lv.level === 'baseline' ? OVERLAPPING : RESTRICTED);
  return out;
}

/** Upstream's aggregate: "reason (detail), reason (detail)". */
export function forbiddenReasons(failures: readonly CheckFailure[]): string {
  return failures.map((f) => (f.detail ? `${f.reason} (${f.detail})` : f.reason)).join(', ');
}
