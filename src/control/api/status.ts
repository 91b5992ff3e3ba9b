/**
 * Kubernetes `Status` errors, shaped and worded as apimachinery's k8s.io/apimachinery/pkg/api/errors builds them.
 * Every failure the API server answers with is an ApiError; the one error handler in server.ts serialises it.
 */
import type { FieldError } from './resource.js';
import { aggregateErrors } from '../aggregate-errors.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** What apimachinery calls a qualified resource: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export const qualified = (gr: GroupResource): string => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

const details = (gr: GroupResource | undefined, name: string | undefined): StatusDetails => {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr?.group) d.group = gr.group;
  if (gr) d.kind = gr.resource;
  return d;
};

export const notFound = (gr: GroupResource, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name));

/** The catch-all for paths the server does not serve. */
export const pathNotFound = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export const alreadyExists = (gr: GroupResource, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name));

export const conflict = (gr: GroupResource, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, details(gr, name));

export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export const staleConflict = (gr: GroupResource, name: string): ApiError => conflict(gr, name, OPTIMISTIC_LOCK_MESSAGE);

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const forbidden = (gr: GroupResource, name: string, why: string): ApiError => {
  const what = name ? `${qualified(gr)} "${name}"` : qualified(gr);
  return new ApiError(403, 'Forbidden', `${what} is forbidden: ${why}`, details(gr, name));
};

export const methodNotSupported = (gr: GroupResource, verb: string): ApiError =>
  new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(gr)}"`, details(gr, undefined));

/** 410 Gone, reason Expired: a resourceVersion or continue token older than the history kept. */
export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const tooLarge = (limit: number): ApiError =>
  new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const unsupportedMediaType = (contentType: string, accepted: readonly string[]): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    contentType ? { causes: [{ reason: 'UnexpectedHeader', message: `unsupported media type "${contentType}"`, field: 'Content-Type' }] } : undefined,
  );

export const notAcceptable = (accepted: string[]): ApiError =>
  new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);

export const internalError = (err: unknown): ApiError =>
  new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`, {
    causes: [{ message: err instanceof Error ? err.message : String(err) }],
  });

export const timeout = (message: string): ApiError => new ApiError(504, 'Timeout', message);

/** One field error as apimachinery's field.Error.Error() renders it: `spec.x: Required value`. */
export const fieldErrorText = (e: FieldError): string => (e.field ? `${e.field}: ${e.message}` : e.message);

/**
 * 422 Invalid: `Pod "x" is invalid: spec.containers[0].image: Required value`; several errors are listed in
 * brackets as upstream's aggregate does.
 */
export function invalid(group: string, kind: string, name: string, errors: FieldError[]): ApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const texts = errors.map(fieldErrorText);
  const body = aggregateErrors(texts);
  const d: StatusDetails = { name, kind, causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })) };
  if (group) d.group = group;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${body}`, d);
}

export type SuccessStatus = Omit<Status, 'message' | 'reason' | 'code'> & { code?: number };

/** A Success Status; upstream omits `code` on delete results and sets it (201) on bindings. */
export const successStatus = (code: number | undefined, d?: StatusDetails): SuccessStatus => {
  const s: SuccessStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  if (code) s.code = code;
  if (d) s.details = d;
  return s;
};
