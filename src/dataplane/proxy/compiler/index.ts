/**
 * The proxy's iptables rule compiler. API (WASM and reference share it, see types.ts):
 *
 *   createIptablesCompiler(config, opts?) → Promise<IptablesCompiler>   WASM (build/proxy.wasm)
 *   createReferenceIptablesCompiler(config) → IptablesCompiler          plain TypeScript, the test oracle
 *   compiler.full(model) → RestoreText        filter + nat tables for `iptables-restore --noflush`
 *       (.bytes / .text are stable; .view() is zero-copy, valid until the next compile)
 *   compiler.partial(changed, removed) → RestoreText
 *       only changed services' chains (re-declared, refilled), their old chains flushed and -X'd, and their
 *       dispatch rules (KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES, KUBE-PROXY-FIREWALL) as -D/-A/-I
 *       edits, never a rewrite of a dispatch chain (rewriting a 10,000-rule chain costs ~1.25 s in the kernel).
 *       The compiler keeps the last model per service port, so a partial is O(changed services).
 *   chainName(prefix, servicePortName, protocol, endpoint?) → "KUBE-SVC-XPGD46QRK7WJZT7O" (hashed in WASM)
 *   jumpRules() / ensureText()                  the PREROUTING/OUTPUT/… → KUBE-* jumps, ensured once
 *
 * Layout and bytes follow upstream kube-proxy (pkg/proxy/iptables/proxier.go), with these choices:
 * masquerade mark printed as Go's %#08x (0x00004000, which iptables-save shows as 0x4000); NodePorts on
 * `config.nodeIPs` when given, else on every local address except 127.0.0.0/8 (localhostNodePorts off, so no
 * route_localnet); an empty clusterCIDR masquerades all ClusterIP traffic; rules come in model order (the model
 * builder sorts). After a partial, dispatch chains hold the same rules as after a full compile but not in the
 * same order (new nat KUBE-SERVICES rules are inserted at the top): compare them as sets.
 */
import type { ProxyConfig } from '../model.js';
import type { IptablesCompiler } from './types.js';
import { WasmIptablesCompiler } from './wasm.js';

export type { IptablesCompiler, JumpRule, RestoreText } from './types.js';
export { chainName, proxyWasm } from './wasm.js';
export { jumpRules, ensureText } from './jump-rules.js';
export { createReferenceIptablesCompiler, ReferenceIptablesCompiler, LARGE_CLUSTER_ENDPOINTS } from '../reference/iptables.js';

export interface CompilerOptions {
  /** Reserved; the module is loaded from build/proxy.wasm next to the package root. */
  wasmPath?: string;
}

export async function createIptablesCompiler(config: ProxyConfig, _opts: CompilerOptions = {}): Promise<IptablesCompiler> {
  return new WasmIptablesCompiler(config);
}
