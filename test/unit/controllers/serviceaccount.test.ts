import { describe, expect, it } from 'vitest';
import { missingServiceAccounts } from '../../../src/control/controllers/serviceaccount.js';

const ns = (phase?: string) => ({ metadata: { name: 'a' }, status: phase ? { phase } : {} });

describe('missingServiceAccounts', () => {
  it('wants default in an active namespace that lacks it', () => {
    expect(missingServiceAccounts(ns('Active'), () => false)).toEqual(['default']);
    expect(missingServiceAccounts(ns('Active'), (n) => n === 'default')).toEqual([]);
  });
  it('creates nothing in a terminating or unknown namespace', () => {
    expect(missingServiceAccounts(ns('Terminating'), () => false)).toEqual([]);
    expect(missingServiceAccounts(undefined, () => false)).toEqual([]);
  });
});
