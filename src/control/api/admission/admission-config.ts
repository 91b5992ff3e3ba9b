/**
 * kube-apiserver's --admission-control-config-file: an AdmissionConfiguration (apiserver.config.k8s.io/v1) whose
 * plugins each carry their configuration inline (`configuration`) or in a file (`path`, relative to this one).
 * Skiff reads PodSecurity's (pod-security.admission.config.k8s.io/v1 PodSecurityConfiguration: the policy of
 * namespaces without labels, and the exempt users, namespaces and runtime classes, as the admission plugin uses
 * them); other plugins' entries are refused by name, so a file meant for more is not silently half-applied.
 * Parsing names every bad field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LATEST, type LevelVersion } from './pod-security-checks.js';
import { aggregateErrors } from '../../aggregate-errors.js';

export interface PodSecurityConfig {
  /** Each mode's policy for namespaces without the mode's labels (labels still win). */
  defaults: { enforce: LevelVersion; audit: LevelVersion; warn: LevelVersion };
  exemptions: { usernames: string[]; namespaces: string[]; runtimeClasses: string[] };
}

export interface AdmissionConfig {
  podSecurity?: PodSecurityConfig;
}

export class AdmissionConfigError extends Error {
  constructor(source: string, readonly errors: string[]) {
    super(`${source}: ${aggregateErrors(errors)}`);
    this.name = 'AdmissionConfigError';
  }
}

const ADMISSION_VERSIONS = ['apiserver.config.k8s.io/v1', 'apiserver.k8s.io/v1alpha1'];
const POD_SECURITY_VERSIONS = ['pod-security.admission.config.k8s.io/v1', 'pod-security.admission.config.k8s.io/v1beta1'];
const LEVELS = ['privileged', 'baseline', 'restricted'];
const MODES = ['enforce', 'audit', 'warn'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function yamlOf(text: string, source: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new AdmissionConfigError(source, [`not YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
}

function readText(file: string, source: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new AdmissionConfigError(source, [`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
}

/** A PodSecurityConfiguration object; `at` prefixes field names in errors. */
export function parsePodSecurityConfig(v: unknown, at: string, errs: string[]): PodSecurityConfig {
  const out: PodSecurityConfig = {
    defaults: { enforce: { level: 'privileged', minor: LATEST }, audit: { level: 'privileged', minor: LATEST }, warn: { level: 'privileged', minor: LATEST } },
    exemptions: { usernames: [], namespaces: [], runtimeClasses: [] },
  };
  if (!isObject(v)) {
    errs.push(`${at}: Invalid value: must be a PodSecurityConfiguration object`);
    return out;
  }
  if (!POD_SECURITY_VERSIONS.includes(String(v['apiVersion'])) || v['kind'] !== 'PodSecurityConfiguration') {
    errs.push(`${at}: Invalid value: ${JSON.stringify(`${String(v['apiVersion'] ?? '')}, Kind=${String(v['kind'] ?? '')}`)}: expected ${POD_SECURITY_VERSIONS[0]}, Kind=PodSecurityConfiguration`);
  }
  const defaults = v['defaults'] ?? {};
  if (!isObject(defaults)) errs.push(`${at}.defaults: Invalid value: must be an object`);
  else {
    for (const mode of MODES) {
      const level = defaults[mode];
      if (level !== undefined) {
        if (typeof level === 'string' && LEVELS.includes(level)) out.defaults[mode].level = level as LevelVersion['level'];
        else errs.push(`${at}.defaults.${mode}: Unsupported value: ${JSON.stringify(level)}: supported values: ${LEVELS.map((l) => JSON.stringify(l)).join(', ')}`);
      }
      const version = defaults[`${mode}-version`];
      if (version !== undefined) {
        const m = typeof version === 'string' ? /^v1\.(0|[1-9][0-9]*)$/.exec(version) : null;
        if (version === 'latest') out.defaults[mode].minor = LATEST;
        else if (m) out.defaults[mode].minor = Number(m[1]);
        else errs.push(`${at}.defaults.${mode}-version: Invalid value: ${JSON.stringify(version)}: must be "latest" or "v1.x"`);
      }
    }
  }
  const exemptions = v['exemptions'] ?? {};
  if (!isObject(exemptions)) errs.push(`${at}.exemptions: Invalid value: must be an object`);
  else {
    for (const key of ['usernames', 'namespaces', 'runtimeClasses'] as const) {
      const list = exemptions[key];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) errs.push(`${at}.exemptions.${key}: Invalid value: must be a list of non-empty strings`);
      else out.exemptions[key] = [...new Set(list as string[])];
    }
  }
  return out;
}

/** An AdmissionConfiguration's text; `file` names it in errors and anchors relative plugin paths. */
export function parseAdmissionConfig(text: string, file: string): AdmissionConfig {
  const doc = yamlOf(text, file);
  const errs: string[] = [];
  const out: AdmissionConfig = {};
  if (!isObject(doc)) throw new AdmissionConfigError(file, ['expected an AdmissionConfiguration object']);
  if (!ADMISSION_VERSIONS.includes(String(doc['apiVersion'])) || doc['kind'] !== 'AdmissionConfiguration') {
    errs.push(`apiVersion/kind: expected ${ADMISSION_VERSIONS[0]}, Kind=AdmissionConfiguration, got ${String(doc['apiVersion'] ?? '')}, Kind=${String(doc['kind'] ?? '')}`);
  }
  const plugins = doc['plugins'] ?? [];
  if (!Array.isArray(plugins)) errs.push('plugins: Invalid value: must be a list');
  else {
    plugins.forEach((p: unknown, i) => {
      const at = `plugins[${i}]`;
      if (!isObject(p) || typeof p['name'] !== 'string' || !p['name']) {
        errs.push(`${at}.name: Required value`);
        return;
      }
      if (p['name'] !== 'PodSecurity') {
        errs.push(`${at}.name: Unsupported value: ${JSON.stringify(p['name'])}: supported values: "PodSecurity"`);
        return;
      }
      let config: unknown = p['configuration'];
      if (config === undefined && typeof p['path'] === 'string' && p['path']) {
        const path = resolve(dirname(file), p['path']);
        config = yamlOf(readText(path, file), path);
      }
      if (config === undefined) {
        errs.push(`${at}: Required value: configuration or path`);
        return;
      }
      out.podSecurity = parsePodSecurityConfig(config, `${at}.configuration`, errs);
    });
  }
  if (errs.length) throw new AdmissionConfigError(file, errs);
  return out;
}

export function loadAdmissionConfig(file: string): AdmissionConfig {
  return parseAdmissionConfig(readText(file, file), file);
}
