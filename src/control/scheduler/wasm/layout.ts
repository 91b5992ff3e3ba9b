/**
 * The contract between the bridge and assembly/scheduler/index.ts: header word indices (column pointers),
 * query flags, reason codes and output offsets. Keep in sync with the constants at the top of the AS module.
 */
export const H = {
  N: 0, C: 1, ALLOC: 3, REQ: 4, NZCPU: 5, NZMEM: 6, FLAGS: 7,
  LABEL_OFF: 8, LABEL_LEN: 9, LABEL_ARENA: 10,
  TAINT_OFF: 11, TAINT_LEN: 12, TAINT_ARENA: 13,
  IMAGE_OFF: 14, IMAGE_LEN: 15, IMAGE_ID_ARENA: 16, IMAGE_SIZE_ARENA: 17,
  PORT_OFF: 18, PORT_LEN: 19, PORT_ARENA: 20,
  TOPO: 21, COLS: 23, VALUE_NUM: 25, IMAGE_NODES: 26, TAINT_BITS: 27,
  QUERY: 29, QUERY_F: 30, OUT: 31, SCRATCH: 32, TAINT_COUNT: 34, EXPLAIN: 35, DOMAINS: 36,
  SCORE_CACHE: 37, DIRTY: 38, AFF_CACHE: 39,
} as const;
export const HEADER_WORDS = 64;

export const F = {
  TOL_UNSCHED: 1, NODE_NAME: 2, BEST_EFFORT: 4, EXPLAIN: 8, ANY_REQUEST: 16, OWN_AFFINITY: 32,
  REQUIRE_ALL: 64, HAS_REQUIRED: 128, HAS_SELECTOR: 256,
} as const;

/** Reason codes the AS filter returns (explain) and counts (out[OUT_REASONS + code]). */
export const R = {
  UNSCHED: 0, NODE_NAME: 1, TAINT: 2, AFFINITY: 3, PORTS: 4, FIT: 5, SPREAD_LABEL: 6, SPREAD: 7,
  POD_AFF: 8, POD_ANTI: 9, EXISTING_ANTI: 10, PASS: 99,
} as const;
export const OUT_WORDS = 64;
export const OUT_REASONS = 4;
export const OUT_INSUFFICIENT = 20;
export const OUT_TOO_MANY = 36;
export const EXPLAIN_STRIDE = 9;

/** Resource slots: fixed ones first, then scalar (extended) resources in order of first sight. */
export const NRES = 16;
export const SLOT = { cpu: 0, memory: 1, 'ephemeral-storage': 2, pods: 3 } as const;
/** f64 query words: [0,16) requests per slot, 16/17 non-zero cpu/memory, 18/19 cpu/memory requests, 20.. shape, then bounds. */
export const QF_SHAPE = 20;
export const Q_SECTIONS = 16;
/** Node-affinity match cache columns kept across cycles (one per recent distinct nodeSelector + required terms). */
export const AFF_SLOTS = 8;
