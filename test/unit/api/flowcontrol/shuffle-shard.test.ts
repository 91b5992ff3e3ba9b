import { describe, expect, it } from 'vitest';
import { deal, dealHand, flowHash } from '../../../../src/control/api/flowcontrol/shuffle-shard.js';

describe('shuffle sharding', () => {
  it('deals distinct cards within the deck for every hash of a small deck', () => {
    for (let deck = 1; deck <= 7; deck++) {
      for (let hand = 1; hand <= deck; hand++) {
        const bad: string[] = [];
        for (let hash = 0; hash < 2000; hash++) {
          const cards = dealHand(hash, deck, hand);
          if (cards.length !== hand || new Set(cards).size !== hand || cards.some((c) => c < 0 || c >= deck)) bad.push(`${deck}/${hand}/${hash}: ${cards}`);
        }
        expect(bad).toEqual([]);
      }
    }
  });

  it('reads the hash as a mixed-radix number, as upstream\'s Dealer: every hand of a deck appears, equally often', () => {
    // deck 4, hand 2: 4 * 3 = 12 ordered hands, each exactly once in the hashes 0..11.
    const seen = new Map<string, number>();
    for (let hash = 0; hash < 12; hash++) {
      const key = dealHand(hash, 4, 2).join(',');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(12);
    expect(dealHand(0, 4, 2)).toEqual([0, 1]);
    expect(dealHand(1, 4, 2)).toEqual([1, 0]);
    expect(dealHand(4, 4, 2)).toEqual([0, 2]);
  });

  it('handles 53-bit hashes exactly (64 queues, hand 8)', () => {
    const h = 2 ** 53 - 1;
    const cards: number[] = [];
    deal(h, 64, 8, (c) => cards.push(c));
    expect(new Set(cards).size).toBe(8);
    expect(Math.max(...cards)).toBeLessThan(64);
  });

  it('hashes flows to safe integers that differ by schema and distinguisher', () => {
    const a = flowHash('global-default', 'alice');
    expect(Number.isSafeInteger(a)).toBe(true);
    expect(a).toBe(flowHash('global-default', 'alice'));
    expect(a).not.toBe(flowHash('global-default', 'bob'));
    expect(a).not.toBe(flowHash('catch-all', 'alice'));
    expect(flowHash('ab', 'c')).not.toBe(flowHash('a', 'bc'));
  });
});
