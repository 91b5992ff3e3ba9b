/**
 * Field selectors: `a=b`, `a==b`, `a!=b`, comma-separated and ANDed, with backslash escapes as apimachinery's
 * fields.ParseSelector. Each kind supports metadata.name and metadata.namespace plus the fields its upstream
 * strategy exposes (see FIELD_LABELS); anything else is 400 as upstream.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { badRequest } from '../status.js';

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

export type FieldSelector = FieldRequirement[];

/** Upstream's per-kind field labels (pkg/registry/<group>/<kind>/strategy.go *ToSelectableFields). */
const FIELD_LABELS: Record<string, string[]> = {
  '/Pod': [
    'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork',
    'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName',
  ],
  '/Node': ['spec.unschedulable'],
  '/Namespace': ['status.phase'],
  '/Secret': ['type'],
  '/Event': [
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason',
    'reportingComponent', 'source', 'type',
  ],
  '/ReplicationController': ['status.replicas'],
  'apps/ReplicaSet': ['status.replicas'],
  'batch/Job': ['status.successful'],
};

function splitEscaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      cur += ch + text[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

export function parseFieldSelector(text: string | undefined): FieldSelector {
  if (!text || !text.trim()) return [];
  const out: FieldSelector = [];
  for (const part of splitEscaped(text, ',')) {
    const m = part.match(/^((?:[^=!\\]|\\.)+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    out.push({ field: m[1]!.trim(), negate: m[2] === '!=', value: unescape(m[3]!) });
  }
  return out;
}

/** Rejects fields the kind does not support: `field label not supported: x`. */
export function checkFieldSelector(r: ResourceType, sel: FieldSelector): void {
  const allowed = r.selectableFields ?? FIELD_LABELS[`${r.group}/${r.kind}`] ?? [];
  for (const req of sel) {
    if (req.field === 'metadata.name' || req.field === 'metadata.namespace') continue;
    if (!allowed.includes(req.field)) throw badRequest(`field label not supported: ${req.field}`);
  }
}

/** The string value upstream's selectable-fields function yields for a field. */
function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source') {
    // An Event written through events.k8s.io/v1 has no source: upstream selects its reporting controller.
    const src = (obj['source'] as { component?: string } | undefined)?.component;
    const reporting = obj['reportingComponent'];
    return src || (typeof reporting === 'string' ? reporting : '');
  }
  if (field === 'status.podIPs') {
    const ips = (obj['status'] as { podIPs?: { ip: string }[] } | undefined)?.podIPs;
    return ips && ips[0] ? ips[0].ip : '';
  }
  let cur: unknown = obj;
  for (const seg of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) {
    // Booleans upstream render as "false" when unset; numbers as "0".
    if (field === 'spec.unschedulable' || field === 'spec.hostNetwork') return 'false';
    if (field === 'status.replicas' || field === 'status.successful') return '0';
    return '';
  }
  return typeof cur === 'string' ? cur : String(cur);
}

export function matchesFields(sel: FieldSelector, obj: KubeObject): boolean {
  for (const req of sel) {
    const v = fieldValue(obj, req.field);
    if ((v === req.value) === req.negate) return false;
  }
  return true;
}

/** The single name a selector pins (`metadata.name=x`), which lets a list read one key instead of a prefix. */
export function pinnedName(sel: FieldSelector): string | undefined {
  return sel.find((r) => r.field === 'metadata.name' && !r.negate)?.value;
}
