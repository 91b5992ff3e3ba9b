/**
 * Server-side apply and managedFields tracking. Routes call serverSideApply for
 * `PATCH … Content-Type: application/apply-patch+yaml` and trackUpdate for every other write.
 */
export { serverSideApply, LAST_APPLIED_ANNOTATION, type ApplyOptions } from './apply.js';
export { trackUpdate, managedFieldsAfterUpdate, definitionOf, type TrackUpdateOptions } from './update.js';
export { ApplyConflictError, ApplyRequestError, type ApplyConflict, type ConflictCause } from './errors.js';
export { validatePatchOptions, validateFieldManager, managerFromUserAgent, managerOf, FIELD_MANAGER_MAX_LENGTH } from './options.js';
export { FieldSet, pathString, type FieldsV1 } from './field-set.js';
export { type ManagedFieldsEntry, MAX_UPDATE_MANAGERS, ANCIENT_CHANGES } from './managed-fields.js';
