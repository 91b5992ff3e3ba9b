/** kube-proxy's IPVS mode as text (ipvsadm-restore, ipset restore, kube-ipvs0 addresses, iptables) and diffs. */
export {
  compileIpvs, ipvsadmRestoreText, ipsetRestoreText, ipvsIptablesText, addressCommands, createSetLine, vsKey, vsSpec, rsSpec,
  DUMMY_DEVICE, IPVS_JUMPS, type IpvsState, type IpvsOptions, type VirtualServer, type RealServer,
} from './compile.js';
export { diffIpvs, type IpvsDiff } from './diff.js';
export { SETS, SET_RULES, type SetInfo, type SetRule, type SetType } from './sets.js';
export { parseIpvsadm, parseIpset, ipvsStateFromSave, traceIpvs, type IpvsTraceOutcome } from './parse.js';
