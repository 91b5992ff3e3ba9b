/**
 * The text of Go's utilerrors.NewAggregate(errs).Error(), which upstream's messages embed: one error alone,
 * several as `[a, b, c]`. Shared by the API server's statuses and the configuration files' errors.
 */
export const aggregateErrors = (errs: readonly string[]): string => (errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
