/**
 * The NamesAccepted decision, as upstream's naming controller makes it: within a group, a CRD may take a name
 * (plural, singular, short names, kind, list kind) that is already its own or that no other CRD of the group has
 * accepted; a conflict keeps the previously accepted name and says which one clashed. Pure.
 */
import type { CRDCondition, CRDNames, CustomResourceDefinition } from './definition.js';
import { findCondition } from './definition.js';
import { aggregateErrors } from '../../aggregate-errors.js';

export interface NamingResult {
  accepted: CRDNames;
  namesAccepted: CRDCondition;
  established: CRDCondition;
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === (b ?? [])[i]);

/** The names a CRD's spec asks for equal the ones it has been given. */
export function namesSettled(crd: CustomResourceDefinition): boolean {
  const s = crd.spec.names;
  const a = crd.status?.acceptedNames;
  if (!a) return false;
  return s.plural === a.plural && (s.singular ?? '') === (a.singular ?? '') && s.kind === a.kind && (s.listKind ?? '') === (a.listKind ?? '')
    && sameList(s.shortNames, a.shortNames) && sameList(s.categories, a.categories);
}

/** `others`: every other CRD (any group; only the same group's count). */
export function calculateNames(crd: CustomResourceDefinition, others: readonly CustomResourceDefinition[]): NamingResult {
  const resources = new Set<string>();
  const kinds = new Set<string>();
  for (const o of others) {
    if (o.spec.group !== crd.spec.group || o.metadata?.name === crd.metadata?.name) continue;
    const a = o.status?.acceptedNames;
    if (!a) continue;
    for (const n of [a.plural, a.singular ?? '', ...(a.shortNames ?? [])]) if (n) resources.add(n);
    for (const n of [a.kind, a.listKind ?? '']) if (n) kinds.add(n);
  }
  const requested = crd.spec.names;
  const current = crd.status?.acceptedNames ?? { plural: '', kind: '' };
  const next: CRDNames = { ...current };
  let conflict: { reason: string; message: string } | undefined;
  const fresh = (want: string, have: string | undefined, used: Set<string>): string | undefined =>
    want === (have ?? '') || !used.has(want) ? undefined : `${JSON.stringify(want)} is already in use`;

  const plural = fresh(requested.plural, current.plural, resources);
  if (plural) conflict = { reason: 'PluralConflict', message: plural };
  else next.plural = requested.plural;
  const singular = fresh(requested.singular ?? '', current.singular, resources);
  if (singular) conflict = { reason: 'SingularConflict', message: singular };
  else next.singular = requested.singular ?? '';
  if (!sameList(requested.shortNames, current.shortNames)) {
    const mine = new Set(current.shortNames ?? []);
    const clashes = (requested.shortNames ?? [])
      .filter((s) => !mine.has(s) && s !== current.plural && s !== current.singular && resources.has(s))
      .map((s) => `${JSON.stringify(s)} is already in use`);
    if (clashes.length) {
      // utilerrors.NewAggregate: one error alone, several as "[a, b]".
      conflict = { reason: 'ShortNamesConflict', message: aggregateErrors(clashes) };
    } else if (requested.shortNames) next.shortNames = [...requested.shortNames];
    else delete next.shortNames;
  }
  const kind = fresh(requested.kind, current.kind, kinds);
  if (kind) conflict = { reason: 'KindConflict', message: kind };
  else next.kind = requested.kind;
  const listKind = fresh(requested.listKind ?? '', current.listKind, kinds);
  if (listKind) conflict = { reason: 'ListKindConflict', message: listKind };
  else next.listKind = requested.listKind ?? '';
  if (requested.categories) next.categories = [...requested.categories];
  else delete next.categories;

  const namesAccepted: CRDCondition = conflict
    ? { type: 'NamesAccepted', status: 'False', reason: conflict.reason, message: conflict.message }
    : { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };
  let established: CRDCondition = findCondition(crd, 'Established')
    ?? { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' };
  if (established.status !== 'True' && namesAccepted.status === 'True') {
    established = { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' };
  }
  return { accepted: next, namesAccepted, established };
}
