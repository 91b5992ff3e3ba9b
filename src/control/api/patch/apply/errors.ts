/** The ways server-side apply refuses a request, carrying what routes need to answer as kube-apiserver does. */

export interface ApplyConflict {
  /** The other manager's name (not its identity string). */
  manager: string;
  /** The field as upstream prints it: `.spec.replicas`, `.spec.containers[name="nginx"].image`. */
  field: string;
  /** Upstream's cause message: `conflict with "kubectl-client-side-apply" using apps/v1`. */
  message: string;
}

/** A Status cause as routes return it (metav1.StatusCause). */
export interface ConflictCause {
  reason: 'FieldManagerConflict';
  message: string;
  field: string;
}

/** Fields owned by other managers would change and force was not set: 409 Conflict. */
export class ApplyConflictError extends Error {
  readonly code = 409;
  readonly reason = 'Conflict';
  readonly conflicts: ApplyConflict[];

  constructor(conflicts: ApplyConflict[]) {
    super(conflictMessage(conflicts));
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }

  /** details.causes of the Status. */
  get causes(): ConflictCause[] {
    return this.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: c.message, field: c.field }));
  }

  /** The whole metav1.Status kube-apiserver answers with. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message,
      reason: 'Conflict', details: { causes: this.causes }, code: 409,
    };
  }
}

/** Upstream's message: one conflict inline, several grouped by manager (managers sorted). */
function conflictMessage(conflicts: ApplyConflict[]): string {
  if (conflicts.length === 1) return `Apply failed with 1 conflict: ${conflicts[0]!.message}: ${conflicts[0]!.field}`;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const list = byManager.get(c.message) ?? [];
    list.push(c.field);
    byManager.set(c.message, list);
  }
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${m.slice('conflict with '.length)}:`);
    for (const f of byManager.get(m)!) lines.push(`- ${f}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/**
 * An apply request upstream refuses before merging. `code` 400 (BadRequest: wrong apiVersion or kind,
 * managedFields in the body) or 500 (upstream's plain error for a configuration its schema rejects:
 * "failed to create typed patch object …", answered as an InternalError Status).
 */
export class ApplyRequestError extends Error {
  readonly code: 400 | 500;

  constructor(message: string, code: 400 | 500 = 400) {
    super(message);
    this.name = 'ApplyRequestError';
    this.code = code;
  }

  /** The Status upstream answers: BadRequest, or for 500 a plain error's Status (reason left empty). */
  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message };
    if (this.code === 400) status['reason'] = 'BadRequest';
    status['code'] = this.code;
    return status;
  }
}
