/**
 * A string kept as a long-lived table key, as one flat string. V8 keeps a string built piece by piece (`+=`,
 * template pieces) as a tree of its pieces (a "cons string") until something reads it whole, and hashing it for a
 * Map does not: such a key keeps every piece and one 32-byte node per `+=`, ~7 times its text in all. At 1,000
 * nodes and 10,000 pods the watch cache's fieldsV1 table and the created-fields memo held ~815,000 such nodes
 * (~25 MB self, their pieces besides) in the API server's heap; informers' PartTable keys are built alike.
 * Slicing reads its string whole into one flat copy, and the slice's result is used, so an optimising compiler
 * cannot drop it, as it may a bare read (measured: `Number(s)` for its side effect no longer flattened once hot).
 */
export function flatString(s: string): string {
  return (s + ' ').slice(0, -1);
}
