import { describe, expect, it } from 'vitest';
import { gcDeletionFinalizers } from '../../../src/control/api/routes/engine/delete.js';

describe('gcDeletionFinalizers (upstream deletionFinalizersForGarbageCollection)', () => {
  it('adds orphan or foregroundDeletion for an explicit policy, replacing the other', () => {
    expect(gcDeletionFinalizers([], { propagationPolicy: 'Orphan' })).toEqual(['orphan']);
    expect(gcDeletionFinalizers([], { propagationPolicy: 'Foreground' })).toEqual(['foregroundDeletion']);
    expect(gcDeletionFinalizers(['x', 'orphan'], { propagationPolicy: 'Foreground' })).toEqual(['x', 'foregroundDeletion']);
    expect(gcDeletionFinalizers(['foregroundDeletion'], { orphanDependents: true })).toEqual(['orphan']);
  });
  it('Background (explicit) clears both; the default keeps what is there', () => {
    expect(gcDeletionFinalizers(['orphan', 'x'], { propagationPolicy: 'Background' })).toEqual(['x']);
    expect(gcDeletionFinalizers(['foregroundDeletion'], { orphanDependents: false })).toEqual([]);
    expect(gcDeletionFinalizers(['x', 'foregroundDeletion'], {})).toEqual(['x', 'foregroundDeletion']);
    expect(gcDeletionFinalizers([], {})).toEqual([]);
  });
});
