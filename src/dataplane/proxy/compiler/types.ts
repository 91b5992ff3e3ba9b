/**
 * The contract every iptables rule compiler (WASM in assembly/proxy and its TypeScript reference) meets. Both
 * produce the same bytes for the same model; the differential tests hold them to it.
 */
import type { ServicePortInfo } from '../model.js';

/** One iptables-restore input (tables *filter then *nat, each ending in COMMIT) plus its size. */
export interface RestoreText {
  /** The restore input as bytes (ASCII), ready for a child process's stdin; stable (copied out of WASM once). */
  readonly bytes: Uint8Array;
  /**
   * The same bytes without a copy: from the WASM compiler a view into module memory, valid only until the
   * next compile in this process (reading it later throws). For streaming straight to a child process.
   */
  view(): Uint8Array;
  /** A copy of `bytes` that stays valid. */
  copy(): Uint8Array;
  /** The same input as a string (decoded on first use). */
  readonly text: string;
  /** Rule lines (-A/-I/-D/-X) per table, chain declarations per table. */
  readonly filterRules: number;
  readonly natRules: number;
  readonly filterChains: number;
  readonly natChains: number;
  /**
   * 'full': declares (and so flushes) every top-level chain; apply with `iptables-restore --noflush`.
   * 'partial': only changed chains plus rule-level -D/-I/-A edits in the shared dispatch chains.
   */
  readonly kind: 'full' | 'partial';
}

export interface IptablesCompiler {
  /**
   * Everything for `model`, in upstream's order and layout. Also becomes the state `partial` diffs against.
   */
  full(model: readonly ServicePortInfo[]): RestoreText;
  /**
   * Only what changed since the last full/partial: chains of `changed` service ports re-declared and refilled,
   * chains they no longer use (and all chains of `removed` ones) flushed and deleted (-X), and their rules in
   * the shared dispatch chains (KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES, KUBE-PROXY-FIREWALL) edited
   * one rule at a time (-D old, -A new; nat KUBE-SERVICES uses -I … 1 so its NodePort rule stays last). Cost is
   * O(size of the changed services). `removed` holds servicePortName strings ("ns/name:port"). When the total
   * endpoint count crosses upstream's large-cluster threshold (comments on or off everywhere) it returns a full
   * text (kind 'full') instead. Throws if called before `full`. The state moves forward when this returns: if
   * applying the text fails, recover with a full resync (upstream does the same), not by retrying the partial.
   */
  partial(changed: readonly ServicePortInfo[], removed: readonly string[]): RestoreText;
  /** Forget the state (the next call must be `full`). */
  reset(): void;
}

/** A jump from a built-in chain into one of ours, ensured once by the apply layer (iptables -C, then -I). */
export interface JumpRule {
  table: 'filter' | 'nat';
  /** Built-in chain the rule lives in (INPUT, FORWARD, OUTPUT, PREROUTING, POSTROUTING). */
  srcChain: string;
  /** Our chain it jumps to; must exist (`iptables -N`) before the rule is inserted. */
  dstChain: string;
  /** Rule arguments after the chain name, without quoting (for execFile), e.g. ['-m','comment','--comment','kubernetes service portals','-j','KUBE-SERVICES']. */
  args: string[];
}
