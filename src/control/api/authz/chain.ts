/**
 * Authorisers in a row, as kube-apiserver's union authoriser: the first Allow or Deny decides; NoOpinion passes
 * on; when none decides, the request is refused with every non-empty reason, one per line. Members of
 * system:masters are allowed first (upstream's privileged-group authoriser, ahead of every mode).
 */
import { SYSTEM_MASTERS, type UserInfo } from '../auth/user.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer, NonResourceRule, ResourceRule, RuleResolver } from './types.js';

const isResolver = (a: Authorizer): a is Authorizer & RuleResolver => typeof (a as Partial<RuleResolver>).rulesFor === 'function';

export class AuthorizerChain implements Authorizer, RuleResolver {
  constructor(readonly authorizers: readonly Authorizer[]) {}

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    let reasons: string[] | undefined;
    for (const z of this.authorizers) {
      const r = z.authorize(a);
      if (r.decision !== 'NoOpinion') return r;
      if (r.reason) (reasons ??= []).push(r.reason);
    }
    return { decision: 'NoOpinion', reason: reasons ? reasons.join('\n') : '' };
  }

  /** The union of every rule resolver's rules (what SelfSubjectRulesReview lists). */
  rulesFor(user: UserInfo, namespace: string): ReturnType<RuleResolver['rulesFor']> {
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    let incomplete = false;
    const errors: string[] = [];
    for (const z of this.authorizers) {
      if (!isResolver(z)) continue;
      const r = z.rulesFor(user, namespace);
      resourceRules.push(...r.resourceRules);
      nonResourceRules.push(...r.nonResourceRules);
      incomplete ||= r.incomplete;
      if (r.evaluationError) errors.push(r.evaluationError);
    }
    return { resourceRules, nonResourceRules, incomplete, ...(errors.length ? { evaluationError: errors.join(', ') } : {}) };
  }
}

/** Members of system:masters may do anything, whatever the policy says. */
const PRIVILEGED: AuthorizationResult = Object.freeze({ decision: 'Allow', reason: '' });
const NOT_PRIVILEGED: AuthorizationResult = Object.freeze({ decision: 'NoOpinion', reason: '' });
export const privilegedGroups: Authorizer = {
  // Shared frozen results: asked first on every request.
  authorize: (a) => (a.user.groups.includes(SYSTEM_MASTERS) ? PRIVILEGED : NOT_PRIVILEGED),
};

/** Every request allowed (a server without authorisation, as --authorization-mode=AlwaysAllow). */
export const alwaysAllow: Authorizer & RuleResolver = {
  authorize: () => ({ decision: 'Allow', reason: '' }),
  rulesFor: () => ({
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  }),
};
