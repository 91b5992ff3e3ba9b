/** Packet tracer and jump-consistency check over iptables-restore text (used by tests and `skiff proxy trace`). */
export { trace, type TraceOptions, type TraceOutcome, type TracePacket, type TraceResult } from './trace.js';
export { checkJumps } from './check-jumps.js';
export { RuleSet, RestoreError, tokenize, type Rule } from './ruleset.js';
