/**
 * apiregistration.k8s.io/v1 APIServices: stored and validated as kube-aggregator's (the name is
 * `<version>.<group>`, priorities in range, a local APIService has no caBundle), printed as its
 * `kubectl get apiservices`. The local APIServices upstream registers for each built-in group-version (no service,
 * Available=True reason Local) are made here from the served kinds, for the bootstrap to store.
 * Remote APIServices (with a service) are proxied by ../aggregator/.
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { invalid, notSupported, required } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { isDNS1035Label, isDNS1123Subdomain, isValidPathSegmentName } from '../validation/names.js';
import { isValidPortNum } from '../validation/ports.js';
import { ageColumn, column, path } from './printers/columns.js';
import { ensure, records, rec, setDefault, str } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';

const GROUP = 'apiregistration.k8s.io';

function validateAPIService(obj: KubeObject): FieldError[] {
  const spec = rec(obj['spec']) ?? {};
  const group = str(spec.group);
  const version = str(spec.version);
  const requiredName = `${version}.${group}`;
  const errs = validateObjectMeta(obj, {
    namespaced: false,
    name: (name) => {
      const minimal = isValidPathSegmentName(name);
      if (minimal.length) return minimal;
      return name === requiredName ? [] : [`must be \`spec.version+"."+spec.group\`: ${JSON.stringify(requiredName)}`];
    },
  });
  if (!group && version !== 'v1') errs.push(required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
  if (group) for (const m of isDNS1123Subdomain(group)) errs.push(invalid('spec.group', group, m));
  for (const m of isDNS1035Label(version)) errs.push(invalid('spec.version', version, m));
  const gpm = typeof spec.groupPriorityMinimum === 'number' ? spec.groupPriorityMinimum : 0;
  if (gpm <= 0 || gpm > 20000) errs.push(invalid('spec.groupPriorityMinimum', gpm, 'must be positive and less than 20000'));
  const vp = typeof spec.versionPriority === 'number' ? spec.versionPriority : 0;
  if (vp <= 0 || vp > 1000) errs.push(invalid('spec.versionPriority', vp, 'must be positive and less than 1000'));
  const caBytes = typeof spec.caBundle === 'string' ? Buffer.from(spec.caBundle, 'base64').length : 0;
  const insecure = spec.insecureSkipTLSVerify === true;
  const service = rec(spec.service);
  if (!service) {
    if (caBytes) errs.push(invalid('spec.caBundle', `${caBytes} bytes`, 'local APIServices may not have a caBundle'));
    if (insecure) errs.push(invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
    return errs;
  }
  if (!str(service.namespace)) errs.push(required('spec.service.namespace', ''));
  if (!str(service.name)) errs.push(required('spec.service.name', ''));
  const port = typeof service.port === 'number' ? service.port : 0;
  const portErrs = isValidPortNum(port);
  if (portErrs.length) errs.push(invalid('spec.service.port', port, `port is not valid: ${portErrs.join(', ')}`));
  if (insecure && caBytes > 0) errs.push(invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  return errs;
}

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];

function validateStatus(obj: KubeObject): FieldError[] {
  return records(rec(obj['status'])?.conditions).flatMap((c, i) =>
    (CONDITION_STATUSES.includes(str(c.status)) ? [] : [notSupported(`status.conditions[${i}].status`, c.status, CONDITION_STATUSES)]));
}

export const apiServiceStrategy: Strategy = {
  default(obj) {
    const service = rec(ensure(obj, 'spec').service);
    if (service) setDefault(service, 'port', 443);
  },
  validate: (obj) => [...validateAPIService(obj), ...validateStatus(obj)],
  validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
  hasStatus: true,
};

/** "True", else the status with its reason in parentheses; "Unknown" without an Available condition. */
export function apiServiceAvailable(o: KubeObject): string {
  const c = records(path(o, 'status', 'conditions')).find((x) => x.type === 'Available');
  if (!c) return 'Unknown';
  if (c.status === 'True' || !str(c.reason)) return str(c.status);
  return `${str(c.status)} (${str(c.reason)})`;
}

export const apiServiceColumns: TableColumn[] = [
  column('Service', 'string', 'The reference to the service that hosts this API endpoint.', (o) => {
    const s = rec(path(o, 'spec', 'service'));
    return s ? `${str(s.namespace)}/${str(s.name)}` : 'Local';
  }),
  column('Available', 'string', 'Whether this service is available.', apiServiceAvailable),
  ageColumn,
];

export const apiservices: ResourceType = {
  group: GROUP, version: 'v1', kind: 'APIService', listKind: 'APIServiceList', plural: 'apiservices', singular: 'apiservice',
  shortNames: [], categories: ['api-extensions'], namespaced: false, verbs: ALL_VERBS, subresources: ['status'],
  strategy: apiServiceStrategy, columns: apiServiceColumns,
  definition: 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService',
};

/** Upstream's priorities for built-in group-versions (kube-apiserver's aggregator setup); others get 1000/100. */
const PRIORITIES: Record<string, [number, number]> = {
  v1: [18000, 1], 'apiregistration.k8s.io/v1': [18000, 15], 'apps/v1': [17800, 15], 'events.k8s.io/v1': [17750, 15],
  'authentication.k8s.io/v1': [17700, 15], 'authorization.k8s.io/v1': [17600, 15], 'autoscaling/v1': [17500, 15],
  'autoscaling/v2': [17500, 30], 'batch/v1': [17400, 15], 'certificates.k8s.io/v1': [17300, 15],
  'networking.k8s.io/v1': [17200, 15], 'policy/v1': [17100, 15], 'rbac.authorization.k8s.io/v1': [17000, 15],
  'storage.k8s.io/v1': [16800, 15], 'admissionregistration.k8s.io/v1': [16700, 15], 'apiextensions.k8s.io/v1': [16700, 15],
  'scheduling.k8s.io/v1': [16600, 15], 'coordination.k8s.io/v1': [16500, 15], 'node.k8s.io/v1': [16300, 15],
  'discovery.k8s.io/v1': [16200, 15], 'flowcontrol.apiserver.k8s.io/v1': [16100, 21], 'metrics.k8s.io/v1beta1': [100, 100],
};

/**
 * The local APIService of each group-version the given kinds are served in (custom resources excluded), as
 * upstream's autoregistration makes them: labelled automanaged onstart, no service, with the status the
 * availability controller gives a local one.
 */
export function localAPIServices(served: readonly ResourceType[], now: string): KubeObject[] {
  const gvs = new Map<string, { group: string; version: string }>();
  for (const r of served) if (!r.custom) gvs.set(r.group ? `${r.group}/${r.version}` : r.version, { group: r.group, version: r.version });
  if (!gvs.has(`${GROUP}/v1`)) gvs.set(`${GROUP}/v1`, { group: GROUP, version: 'v1' });
  return [...gvs].map(([gv, { group, version }]) => {
    const [groupPriorityMinimum, versionPriority] = PRIORITIES[gv] ?? [1000, 100];
    return {
      apiVersion: `${GROUP}/v1`, kind: 'APIService',
      metadata: { name: `${version}.${group}`, labels: { 'kube-aggregator.kubernetes.io/automanaged': 'onstart' } },
      spec: { group, version, groupPriorityMinimum, versionPriority },
      status: { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: now, reason: 'Local', message: 'Local APIServices are always available' }] },
    };
  });
}
