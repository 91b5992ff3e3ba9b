/**
 * A StatefulSet's current and update revisions (upstream's getStatefulSetRevisions), pure: the update revision is
 * the newest revision when it already records the template, an older equal revision renumbered to the newest
 * (a rollback), or a new one; the current revision is the one status names, else the update revision.
 */
import {
  findEqualRevisions, newControllerRevision, nextRevision, revisionDataEqual, sortRevisions, templatePatch, type ControllerRevision,
} from '../shared/history.js';
import { GVK, type StatefulSetLike } from './decide.js';

/** The revision that records the set's template now (history.NewControllerRevision + the set's annotations). */
export function newRevision(set: StatefulSetLike, revision: number, collisionCount: number): ControllerRevision {
  return newControllerRevision(set, GVK, set.spec?.template?.metadata?.labels, templatePatch(set.spec?.template), revision, collisionCount,
    { annotations: set.metadata?.annotations });
}

export type UpdateRevisionChoice =
  | { kind: 'existing'; revision: ControllerRevision }
  | { kind: 'renumber'; revision: ControllerRevision; to: number }
  | { kind: 'create'; revision: ControllerRevision };

export function chooseUpdateRevision(set: StatefulSetLike, revisions: readonly ControllerRevision[]): UpdateRevisionChoice {
  const sorted = sortRevisions(revisions);
  const candidate = newRevision(set, nextRevision(sorted), set.status?.collisionCount ?? 0);
  const equal = findEqualRevisions(sorted, candidate.data);
  const last = sorted[sorted.length - 1];
  const newestEqual = equal[equal.length - 1];
  if (newestEqual && last && revisionDataEqual(last.data, newestEqual.data)) return { kind: 'existing', revision: last };
  if (newestEqual) return { kind: 'renumber', revision: newestEqual, to: candidate.revision ?? 1 };
  return { kind: 'create', revision: candidate };
}

/** The revision status.currentRevision names, else `update` (a new set starts at its update revision). */
export function chooseCurrentRevision(set: StatefulSetLike, revisions: readonly ControllerRevision[], update: ControllerRevision): ControllerRevision {
  const name = set.status?.currentRevision;
  return (name && revisions.find((r) => r.metadata?.name === name)) || update;
}
