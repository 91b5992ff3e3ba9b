/**
 * A container's environment as upstream validates it: env vars (a name, then a value or exactly one source: a pod
 * field, a container resource, a ConfigMap key or a Secret key) and envFrom (exactly one of a ConfigMap or a
 * Secret, with an optional name prefix).
 */
import type { FieldError } from '../../resource.js';
import { invalid, required } from '../../validation/errors.js';
import { isConfigMapKey } from '../../validation/keys.js';
import { nameIsDNSSubdomain } from '../../validation/names.js';
import { ENV_FIELD_PATHS, validateFieldRef, validateResourceFieldRef } from './downward-api.js';
import { isRecord } from './json.js';
import { isEnvVarName } from '../../../../client/env-var-name.js';

// RelaxedEnvironmentVariableValidation is on in 1.32: any printable ASCII except '='.
function envVarNameErrors(name: string): string[] {
  return isEnvVarName(name, true) ? [] : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

export function validateEnv(env: unknown, field: string): FieldError[] {
  if (env === undefined || env === null) return [];
  if (!Array.isArray(env)) return [invalid(field, env, 'must be a list')];
  const errs: FieldError[] = [];
  for (let i = 0; i < env.length; i++) {
    const e: unknown = env[i];
    const path = `${field}[${i}]`;
    const name = isRecord(e) ? e.name : undefined;
    if (typeof name !== 'string' || name === '') errs.push(required(`${path}.name`, ''));
    else for (const msg of envVarNameErrors(name)) errs.push(invalid(`${path}.name`, name, msg));
    if (isRecord(e) && isRecord(e.valueFrom)) validateValueFrom(e.valueFrom, typeof e.value === 'string' ? e.value : '', `${path}.valueFrom`, errs);
  }
  return errs;
}

function validateValueFrom(from: Record<string, unknown>, value: string, field: string, errs: FieldError[]): void {
  let sources = 0;
  if (isRecord(from.fieldRef)) {
    sources++;
    validateFieldRef(from.fieldRef, ENV_FIELD_PATHS, `${field}.fieldRef`, errs);
  }
  if (isRecord(from.resourceFieldRef)) {
    sources++;
    validateResourceFieldRef(from.resourceFieldRef, `${field}.resourceFieldRef`, false, errs);
  }
  if (isRecord(from.configMapKeyRef)) {
    sources++;
    validateKeySelector(from.configMapKeyRef, `${field}.configMapKeyRef`, errs);
  }
  if (isRecord(from.secretKeyRef)) {
    sources++;
    validateKeySelector(from.secretKeyRef, `${field}.secretKeyRef`, errs);
  }
  if (sources === 0) errs.push(invalid(field, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  else if (value !== '') errs.push(invalid(field, '', 'may not be specified when `value` is not empty'));
  else if (sources > 1) errs.push(invalid(field, '', 'may not have more than one field specified at a time'));
}

/** A ConfigMap or Secret key: the object's name (upstream checks it even when empty) and a valid key. */
function validateKeySelector(sel: Record<string, unknown>, field: string, errs: FieldError[]): void {
  const name = typeof sel.name === 'string' ? sel.name : '';
  for (const msg of nameIsDNSSubdomain(name, false)) errs.push(invalid(`${field}.name`, name, msg));
  const key = typeof sel.key === 'string' ? sel.key : '';
  if (key === '') errs.push(required(`${field}.key`, ''));
  else for (const msg of isConfigMapKey(key)) errs.push(invalid(`${field}.key`, key, msg));
}

export function validateEnvFrom(envFrom: unknown, field: string): FieldError[] {
  if (!Array.isArray(envFrom)) return [];
  const errs: FieldError[] = [];
  for (let i = 0; i < envFrom.length; i++) {
    const e: unknown = envFrom[i];
    if (!isRecord(e)) continue;
    const path = `${field}[${i}]`;
    if (typeof e.prefix === 'string' && e.prefix !== '') {
      for (const msg of envVarNameErrors(e.prefix)) errs.push(invalid(`${path}.prefix`, e.prefix, msg));
    }
    let sources = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = e[kind];
      if (!isRecord(ref)) continue;
      sources++;
      const name = typeof ref.name === 'string' ? ref.name : '';
      if (name === '') errs.push(required(`${path}.${kind}.name`, ''));
      else for (const msg of nameIsDNSSubdomain(name, true)) errs.push(invalid(`${path}.${kind}.name`, name, msg));
    }
    // Upstream reports these two at the list, not at the item.
    if (sources === 0) errs.push(invalid(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalid(field, '', 'may not have more than one field specified at a time'));
  }
  return errs;
}
