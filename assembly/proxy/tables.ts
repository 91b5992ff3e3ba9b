// The flat input the TypeScript bridge (src/dataplane/proxy/compiler/wasm.ts) writes at the arena's base:
// a header, then service records, endpoint records, string refs and the string bytes. All i32, little-endian.
// Kept in step with the bridge by hand; the differential tests catch any drift.

export const H_NSVC = 0;
export const H_NEP = 1;
export const H_NSTR = 2;
export const H_NBYTES = 3;
export const H_SVC_OFF = 4;
export const H_EP_OFF = 5;
export const H_STR_OFF = 6;
export const H_BYTES_OFF = 7;
export const H_CIDR = 8; // string index of clusterCIDR, -1 when empty
export const H_NODEIP_START = 9;
export const H_NODEIP_COUNT = 10;
export const H_MARK_BIT = 11;
export const H_LARGE = 12;
export const H_OUT_CAP = 13;
export const H_NPAIRS = 14;
export const H_PAIRS_OFF = 15;
export const HEADER_WORDS = 16;

export const SVC_WORDS = 18;
export const S_NAME_OFF = 0;
export const S_NAME_LEN = 1;
export const S_PROTO = 2; // 0 tcp, 1 udp, 2 sctp
export const S_CIP = 3; // string index
export const S_PORT = 5;
export const S_NODEPORT = 6;
export const S_HCPORT = 7;
export const S_AFFINITY = 8;
export const S_FLAGS = 9;
export const S_EXT_START = 10;
export const S_EXT_COUNT = 11;
export const S_LB_START = 12;
export const S_LB_COUNT = 13;
export const S_SRC_START = 14;
export const S_SRC_COUNT = 15;
export const S_EP_START = 16;
export const S_EP_COUNT = 17;

export const F_INTERNAL_LOCAL = 1;
export const F_EXTERNAL_LOCAL = 2;
export const F_ALLOW_FROM_NODE = 4;

export const EP_WORDS = 4;
export const E_IP = 0; // string index
export const E_PORT = 2;
export const E_FLAGS = 3;
export const EF_READY = 1;
export const EF_SERVING = 2;
export const EF_TERMINATING = 4;
export const EF_LOCAL = 8;
