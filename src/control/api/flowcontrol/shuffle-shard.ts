/**
 * Shuffle sharding, as upstream's shufflesharding.Dealer: a flow's hash picks a hand of `handSize` distinct queues
 * out of a deck of `deckSize`, reading the hash as a mixed-radix number (deckSize, deckSize-1, ...), so two flows
 * rarely share their whole hand. Upstream hashes to 64 bits (sha256 of the schema's name and the distinguisher);
 * here a 53-bit FNV-1a pair, enough for 64 queues and a hand of 8 (48 bits) and exact in a JS number.
 */

const TWO_32 = 2 ** 32;

/** A 53-bit hash of a flow (its FlowSchema's name and its distinguisher), as a safe integer. */
export function flowHash(schema: string, distinguisher: string): number {
  let lo = 0x811c9dc5;
  let hi = 0x01000193 ^ 0x5bd1e995;
  const feed = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      lo = Math.imul(lo ^ c, 0x01000193);
      hi = Math.imul(hi ^ c, 0x01000193) ^ (lo >>> 13);
    }
  };
  feed(schema);
  lo = Math.imul(lo ^ 0, 0x01000193); // a separator, so ("ab","c") and ("a","bc") differ
  feed(distinguisher);
  return ((hi >>> 0) & 0x1fffff) * TWO_32 + (lo >>> 0);
}

/**
 * The hand for a hash: `handSize` distinct queue indices in [0, deckSize), each chosen uniformly from the cards not
 * yet dealt, calling `pick` in dealing order (upstream's Dealer.Deal).
 */
export function deal(hash: number, deckSize: number, handSize: number, pick: (card: number) => void): void {
  const n = Math.min(handSize, deckSize);
  const rem: number[] = new Array<number>(n);
  let h = hash;
  for (let i = 0; i < n; i++) {
    const radix = deckSize - i;
    const next = Math.floor(h / radix);
    rem[i] = h - next * radix;
    h = next;
  }
  for (let i = 0; i < n; i++) {
    let card = rem[i]!;
    // Each earlier card taken out of the deck shifts this one up past it.
    for (let j = i; j > 0; j--) if (card >= rem[j - 1]!) card++;
    pick(card);
  }
}

/** The hand as an array (tests, and callers that keep it). */
export function dealHand(hash: number, deckSize: number, handSize: number): number[] {
  const hand: number[] = [];
  deal(hash, deckSize, handSize, (c) => hand.push(c));
  return hand;
}
