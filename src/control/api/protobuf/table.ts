/**
 * One wire-format table for every served built-in kind: the generated one (upstream v1.20.2's generated.proto and
 * types.go, and kubectl 1.32's descriptors for what is newer, by qualified message name) with the hand-checked
 * fields of messages.ts laid over it (field numbers the generated message lacks or only guessed the JSON facts of;
 * messages it lacks are added). Kinds resolve from their
 * apiVersion to a proto package, with the beta package a v1 was promoted from where v1.20 has no v1 yet (field
 * numbers survive promotion).
 */
import { GENERATED_MESSAGES, type GeneratedField } from './generated-messages.js';
import { PROTO_MESSAGES, type ProtoField, type ScalarType } from './messages.js';

export type WireType = ScalarType | 'microtime' | 'rawextension' | 'stringsmap' | 'bytess' | 'double' | 'duration';

export type TableField =
  | { name: string; type: WireType; keepZero: boolean }
  | { name: string; type: 'message'; message: string; repeated: boolean; inline: boolean }
  | { name: string; type: 'messagemap'; message: string };

export type TableMessage = Map<number, TableField>;

const CORE = 'k8s.io.api.core.v1';
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Where a bare (hand table) message name is looked for, in order. */
const PREFERRED_PACKAGES = [
  CORE, META, 'k8s.io.api.apps.v1', 'k8s.io.api.batch.v1', 'k8s.io.api.batch.v1beta1', 'k8s.io.api.autoscaling.v1', 'k8s.io.api.rbac.v1',
  'k8s.io.api.certificates.v1', 'k8s.io.api.networking.v1', 'k8s.io.api.scheduling.v1', 'k8s.io.api.authentication.v1',
  'k8s.io.api.authorization.v1', 'k8s.io.apimachinery.pkg.api.resource', 'k8s.io.apimachinery.pkg.util.intstr',
];

/** A generated field newer than v1.20.2, whose JSON name and zero handling are guessed: messages.ts wins over it. */
const isGuessed = (f: GeneratedField): boolean => f[f.length - 1] === 'n';

function fromGenerated(f: GeneratedField): TableField {
  const [name, type, ...rest] = f as [string, string, ...(string | number)[]];
  if (type === 'message') return { name, type, message: String(rest[0]), repeated: rest[1] === 1, inline: rest[2] === 1 };
  if (type === 'messagemap') return { name, type, message: String(rest[0]) };
  return { name, type: type as WireType, keepZero: rest.includes('z') };
}

function build(): Map<string, TableMessage> {
  const table = new Map<string, TableMessage>();
  const bySimpleName = new Map<string, string[]>();
  const guessed = new Set<string>();
  for (const [q, fields] of Object.entries(GENERATED_MESSAGES)) {
    table.set(q, new Map(Object.entries(fields).map(([n, f]) => [Number(n), fromGenerated(f)])));
    for (const [n, f] of Object.entries(fields)) if (isGuessed(f)) guessed.add(`${q}#${n}`);
    const simple = q.slice(q.lastIndexOf('.') + 1);
    bySimpleName.set(simple, [...(bySimpleName.get(simple) ?? []), q]);
  }
  const resolve = (bare: string): string => {
    const candidates = bySimpleName.get(bare) ?? [];
    for (const p of PREFERRED_PACKAGES) if (candidates.includes(`${p}.${bare}`)) return `${p}.${bare}`;
    return candidates[0] ?? `skiff.hand.${bare}`;
  };
  const fromHand = (f: ProtoField): TableField =>
    f.type === 'message'
      ? { name: f.name, type: 'message', message: resolve(f.message), repeated: f.repeated === true, inline: f.inline === true }
      : { name: f.name, type: f.type, keepZero: f.keepZero === true };
  for (const [bare, fields] of Object.entries(PROTO_MESSAGES)) {
    const q = resolve(bare);
    let target = table.get(q);
    if (!target) table.set(q, (target = new Map()));
    for (const [n, f] of Object.entries(fields)) if (!target.has(Number(n)) || guessed.has(`${q}#${n}`)) target.set(Number(n), fromHand(f));
  }
  return table;
}

export const WIRE_TABLE: ReadonlyMap<string, TableMessage> = build();

/** Proto packages of a group's short name (the first label of a *.k8s.io group). */
const SPECIAL_GROUPS: Record<string, string> = {
  'apiregistration.k8s.io': 'k8s.io.kube_aggregator.pkg.apis.apiregistration',
  'flowcontrol.apiserver.k8s.io': 'k8s.io.api.flowcontrol',
  'meta.k8s.io': META.slice(0, META.lastIndexOf('.')),
};
/** v1.20 has the beta a later v1 (or v2) was promoted from. */
const PROMOTED_FROM: Record<string, string> = {
  'k8s.io.api.batch.v1': 'k8s.io.api.batch.v1beta1', 'k8s.io.api.discovery.v1': 'k8s.io.api.discovery.v1beta1',
  'k8s.io.api.policy.v1': 'k8s.io.api.policy.v1beta1', 'k8s.io.api.autoscaling.v2': 'k8s.io.api.autoscaling.v2beta2',
  'k8s.io.api.flowcontrol.v1': 'k8s.io.api.flowcontrol.v1beta1', 'k8s.io.api.storage.v1': 'k8s.io.api.storage.v1beta1',
};

function packagesOf(apiVersion: string): string[] {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return apiVersion === 'v1' ? [CORE, META] : [];
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const base = SPECIAL_GROUPS[group] ?? (group.endsWith('.k8s.io') || !group.includes('.') ? `k8s.io.api.${group.split('.')[0]}` : '');
  if (!base) return [];
  const pkg = `${base}.${version}`;
  return PROMOTED_FROM[pkg] ? [pkg, PROMOTED_FROM[pkg]!, META] : [pkg, META];
}

/** The message of a kind (`Pod`, `PodList`, `Status`, ...) in an apiVersion, or undefined when it has no wire form here. */
export function messageOfKind(apiVersion: string, kind: string): string | undefined {
  for (const p of packagesOf(apiVersion)) if (WIRE_TABLE.has(`${p}.${kind}`)) return `${p}.${kind}`;
  return undefined;
}
