/**
 * The kernel tools IPVS mode drives, each run inside the target namespace only (exec.ts): ipvsadm for virtual
 * and real servers, ipset for the sets the iptables rules match, `ip` for the kube-ipvs0 dummy interface whose
 * addresses make service IPs local. Readers return text the ipvs/ parsers take; writers take the text the
 * ipvs/ compiler and diff produce. A probe tells, before anything is changed, whether the kernel has IPVS.
 */
import { exec, execChecked, describeTarget, type ExecResult, type NetnsTarget } from './exec.js';
import { DUMMY_DEVICE, addressCommands } from '../ipvs/index.js';

/** Where virtual servers live: the kernel (ipvsadm), or, where the kernel lacks ip_vs, a parsed table (tests). */
export interface VirtualServerTable {
  /** The table as `ipvsadm-save -n` prints it. */
  save(): Promise<string>;
  /** Apply ipvsadm-restore lines (a full load or a -D/-d/-E/-A/-a diff). */
  restore(text: string): Promise<void>;
}

export class KernelVirtualServers implements VirtualServerTable {
  constructor(private readonly target: NetnsTarget) {}

  async save(): Promise<string> {
    return (await execChecked(this.target, 'ipvsadm-save', ['-n'])).stdout;
  }

  async restore(text: string): Promise<void> {
    if (text) await execChecked(this.target, 'ipvsadm-restore', [], text);
  }
}

/** The kernel module IPVS mode cannot run without. */
export const IPVS_MODULE = 'ip_vs';

/**
 * Why IPVS cannot be used, judged from `ipvsadm -Ln`'s result in `where`; null when it can. Pure, so the
 * message is tested without a kernel that lacks (or has) the module.
 */
export function ipvsUnavailableReason(r: ExecResult, where: string): string | null {
  if (r.code === 0) return null;
  const err = r.stderr.trim().split('\n')[0] ?? '';
  if (/Protocol not available|Can't initialize ipvs|IP Virtual Server is built/i.test(r.stderr)) {
    return (
      `ipvs mode needs the ${IPVS_MODULE} kernel module, which is not available in ${where} (ipvsadm: ${err}); ` +
      `load it on the host (modprobe ${IPVS_MODULE} ip_vs_rr) or use --mode iptables or nftables`
    );
  }
  if (/exec of "ipvsadm" failed|ipvsadm: (command )?not found|ENOENT/.test(r.stderr)) {
    return `ipvs mode needs the ipvsadm tools (ipvsadm, ipvsadm-save, ipvsadm-restore), not found in ${where}: ${err}`;
  }
  return `ipvs mode: ipvsadm -Ln failed in ${where} (exit ${r.code}): ${err}`;
}

/** Same for `ipset list -n` (the ip_set module and the ipset tool). */
export function ipsetUnavailableReason(r: ExecResult, where: string): string | null {
  if (r.code === 0) return null;
  const err = r.stderr.trim().split('\n')[0] ?? '';
  if (/exec of "ipset" failed|ipset: (command )?not found|ENOENT/.test(r.stderr)) return `ipvs mode needs the ipset tool, not found in ${where}: ${err}`;
  return `ipvs mode needs the ip_set kernel module (ipset list -n failed in ${where}: ${err})`;
}

/** A spawn failure (tool missing in the host network) reported as a result, so the reasons above apply. */
async function tryExec(target: NetnsTarget, cmd: string, args: string[]): Promise<ExecResult> {
  try {
    return await exec(target, cmd, args);
  } catch (e) {
    return { code: -1, stdout: '', stderr: `${cmd}: ${(e as Error).message}` };
  }
}

/** Throws a message naming what is missing when IPVS mode cannot run in `target`; changes nothing. */
export async function probeIpvs(target: NetnsTarget): Promise<void> {
  const where = describeTarget(target);
  const reason = ipvsUnavailableReason(await tryExec(target, 'ipvsadm', ['-Ln']), where) ?? ipsetUnavailableReason(await tryExec(target, 'ipset', ['list', '-n']), where);
  if (reason) throw new Error(reason);
}

/** kube-ipvs0's link type: a dummy as upstream; a test may use a bridge (also never up, same local routes). */
export type DeviceType = 'dummy' | 'bridge';

/** Create kube-ipvs0 unless present. It stays down: its addresses still get local routes, so service IPs are local. */
export async function ensureDevice(target: NetnsTarget, type: DeviceType = 'dummy'): Promise<void> {
  if ((await exec(target, 'ip', ['link', 'show', 'dev', DUMMY_DEVICE])).code === 0) return;
  const r = await exec(target, 'ip', ['link', 'add', DUMMY_DEVICE, 'type', type]);
  if (r.code === 0) return;
  if (/Unknown device type/.test(r.stderr)) {
    throw new Error(`ipvs mode needs the ${type} kernel module for ${DUMMY_DEVICE} (ip link add ${DUMMY_DEVICE} type ${type}: ${r.stderr.trim()}) in ${describeTarget(target)}`);
  }
  throw new Error(`ip link add ${DUMMY_DEVICE} type ${type} failed in ${describeTarget(target)}: ${r.stderr.trim()}`);
}

/** Addresses bound to kube-ipvs0 ([] when it does not exist). */
export async function deviceAddresses(target: NetnsTarget): Promise<string[]> {
  const r = await exec(target, 'ip', ['-j', 'addr', 'show', 'dev', DUMMY_DEVICE]);
  if (r.code !== 0) {
    if (/does not exist/.test(r.stderr)) return [];
    throw new Error(`ip addr show dev ${DUMMY_DEVICE} failed in ${describeTarget(target)}: ${r.stderr.trim()}`);
  }
  const links = JSON.parse(r.stdout) as Array<{ addr_info?: Array<{ local?: string; scope?: string }> }>;
  const out: string[] = [];
  for (const l of links) for (const a of l.addr_info ?? []) if (a.local && a.scope !== 'link') out.push(a.local);
  return out;
}

/** Bind and unbind kube-ipvs0 addresses in one `ip -batch` (unbinds first). Returns the bytes sent. */
export async function changeAddresses(target: NetnsTarget, add: readonly string[], del: readonly string[]): Promise<number> {
  const lines = [...addressCommands(del, 'del'), ...addressCommands(add, 'add')].map((a) => a.join(' '));
  if (lines.length === 0) return 0;
  const text = lines.join('\n') + '\n';
  await execChecked(target, 'ip', ['-batch', '-'], text);
  return text.length;
}

export async function ipsetSave(target: NetnsTarget): Promise<string> {
  return (await execChecked(target, 'ipset', ['save'])).stdout;
}

/** `ipset restore -exist`: an add of a present entry or a del of an absent one is not an error. */
export async function ipsetRestore(target: NetnsTarget, text: string): Promise<void> {
  if (text) await execChecked(target, 'ipset', ['restore', '-exist'], text);
}

/** Names of the sets `ipset save` text declares. */
export function savedSetNames(save: string): Set<string> {
  const out = new Set<string>();
  for (const line of save.split('\n')) {
    const m = /^create (\S+) /.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** Destroy the named sets that exist (agent cleanup; after the iptables rules that match them are gone). */
export async function ipsetDestroy(target: NetnsTarget, names: readonly string[]): Promise<void> {
  const have = savedSetNames(await ipsetSave(target));
  for (const n of names) if (have.has(n)) await execChecked(target, 'ipset', ['destroy', n]);
}

export async function deleteDevice(target: NetnsTarget): Promise<void> {
  await exec(target, 'ip', ['link', 'del', DUMMY_DEVICE]);
}
