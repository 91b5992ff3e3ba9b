import type { UserInfo } from '../../auth/user.js';
import type { FieldValidation } from '../unknown-fields.js';
import type { ResourceType } from '../../resource.js';

export interface WriteOptions {
  dryRun?: boolean;
  /** How unknown fields are reported (they are always dropped); default Warn. */
  fieldValidation?: FieldValidation;
  /** Collects warnings (unknown fields) for the response's Warning headers. */
  warnings?: string[];
  /** Adds an annotation to the request's audit events (admission's AdmissionAttributes.audit). */
  auditAnnotation?: (key: string, value: string) => void;
  /**
   * The manager metadata.managedFields records this write under (fieldManager, else from the User-Agent).
   * Absent: not recorded (the server's own writes, as bootstrap's).
   */
  fieldManager?: string;
  /** A server-side apply: the mutation already set managedFields, so no Update entry is added. */
  applied?: boolean;
  /**
   * The served version when the request came in another version than the storage one (ResourceType.conversion):
   * managedFields then record the write under that apiVersion, in its fields.
   */
  servedAs?: ResourceType;
  /**
   * Who asked (authentication's user), for the steps that record it: admission webhooks' userInfo and a
   * CertificateSigningRequest's requester. Absent for the server's own writes.
   */
  user?: UserInfo;
}
