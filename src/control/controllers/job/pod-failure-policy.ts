/**
 * podFailurePolicy matching, as upstream: rules in order, the first that matches a failed pod decides. An
 * onExitCodes rule looks at terminated containers with a non-zero exit code (app containers, then init
 * containers); an onPodConditions rule at the pod's conditions.
 */
import type { PodFailurePolicy } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { Pod } from './types.js';

export type PodFailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailurePolicyMatch {
  /** Set when a FailJob rule matched: the Job's failure message. */
  failJobMessage?: string;
  /** False when an Ignore rule matched: the failure does not count towards backoffLimit. */
  countFailed: boolean;
  action?: PodFailurePolicyAction;
}

function matchingContainer(statuses: ContainerStatus[] | undefined, req: { containerName?: string; operator: string; values: number[] }): ContainerStatus | undefined {
  for (const cs of statuses ?? []) {
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (req.containerName && req.containerName !== cs.name) continue;
    const listed = req.values.includes(code);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return cs;
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailurePolicyMatch {
  if (!policy) return { countFailed: true };
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    const action = rule.action as PodFailurePolicyAction;
    let matched: { exit?: ContainerStatus; condition?: string } | null = null;
    if (rule.onExitCodes) {
      const cs = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (cs) matched = { exit: cs };
    } else if (rule.onPodConditions) {
      const c = pod.status?.conditions?.find((pc) => rule.onPodConditions!.some((pat) => pat.type === pc.type && (pat.status ?? 'True') === pc.status));
      if (c) matched = { condition: c.type };
    }
    if (!matched) continue;
    switch (action) {
      case 'Ignore':
        return { countFailed: false, action };
      case 'Count':
      case 'FailIndex':
        return { countFailed: true, action };
      case 'FailJob': {
        const failJobMessage = matched.exit
          ? `Container ${matched.exit.name} for pod ${ns}/${name} failed with exit code ${matched.exit.state!.terminated!.exitCode} matching FailJob rule at index ${index}`
          : `Pod ${ns}/${name} has condition ${matched.condition} matching FailJob rule at index ${index}`;
        return { failJobMessage, countFailed: true, action };
      }
      default:
        // An unknown action (newer API) matches nothing here, as upstream's switch falls through.
        continue;
    }
  }
  return { countFailed: true };
}
