/**
 * iproute2 for the pod network, started through the node's launcher (launcher.ts: no fork of the agent, no shell);
 * failures are the proxy runner's ExecError, so callers read iproute2's stderr the same way. `ip -n NS` enters the namespace
 * itself, so every change lands inside NS; `ns === null` means the agent's own namespace and is only reached
 * when the node was started with hostNetwork (the caller asked for it explicitly).
 */
import { readdir } from 'node:fs/promises';
import { ExecError, commandFor, describeTarget, type ExecResult, type NetnsTarget } from '../../proxy/apply/exec.js';
import { sharedLauncher } from '../runtime/runc/launcher.js';
import { NETNS_RUN_DIR } from './names.js';

/** Where the `ip` binary runs: always this process's namespace; `-n` picks the one it changes. */
const HERE: NetnsTarget = { hostNetwork: true };

/** The proxy runner's exec() (same targets, same refusal without one), through the launcher. */
async function exec(t: NetnsTarget, cmd: string, args: string[], input?: string): Promise<ExecResult> {
  const r = await sharedLauncher().run(commandFor(t, cmd, args), input !== undefined ? { input } : {});
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function execChecked(t: NetnsTarget, cmd: string, args: string[], input?: string): Promise<ExecResult> {
  const r = await exec(t, cmd, args, input);
  if (r.code !== 0) throw new ExecError(`${cmd} ${args.join(' ')} (${describeTarget(t)})`, r);
  return r;
}

function argv(ns: string | null, args: string[]): string[] {
  return ns === null ? args : ['-n', ns, ...args];
}

export async function ip(ns: string | null, args: string[]): Promise<string> {
  return (await execChecked(HERE, 'ip', argv(ns, args))).stdout;
}

/** `ip -json …` parsed. */
export async function ipJson<T>(ns: string | null, args: string[]): Promise<T[]> {
  const out = (await ip(ns, ['-json', ...args])).trim();
  return out ? (JSON.parse(out) as T[]) : [];
}

/** Several commands in one `ip -batch -`; stops at the first failure (the error names the line). */
export async function ipBatch(ns: string | null, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await execChecked(HERE, 'ip', argv(ns, ['-batch', '-']), lines.join('\n') + '\n');
}

/** Like ipBatch but goes on past failing lines (`-force`); returns iproute2's error text, '' when all passed. */
export async function ipBatchForce(ns: string | null, lines: string[]): Promise<string> {
  if (lines.length === 0) return '';
  const r = await exec(HERE, 'ip', ['-force', ...argv(ns, ['-batch', '-'])], lines.join('\n') + '\n');
  return r.code === 0 ? '' : r.stderr.trim() || `ip -batch exited with ${r.code}`;
}

/** Runs a command inside a namespace (`ip netns exec`), e.g. sysctl. */
export async function inNetns(ns: string, cmd: string, args: string[]): Promise<string> {
  return (await execChecked({ netns: ns }, cmd, args)).stdout;
}

/** Names of the namespaces `ip netns add` made (a directory read: no process per call). */
export async function listNetns(): Promise<Set<string>> {
  try {
    return new Set(await readdir(NETNS_RUN_DIR));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
}

export async function netnsExists(name: string): Promise<boolean> {
  return (await listNetns()).has(name);
}

export async function addNetns(name: string): Promise<void> {
  await execChecked(HERE, 'ip', ['netns', 'add', name]);
}

/** Deletes a namespace; a missing one is not an error. */
export async function deleteNetns(name: string): Promise<void> {
  if (!(await netnsExists(name))) return;
  try {
    await execChecked(HERE, 'ip', ['netns', 'del', name]);
  } catch (e) {
    if (await netnsExists(name)) throw e;
  }
}

/** Deletes a link; one that is gone already is not an error. */
export async function deleteLink(ns: string | null, name: string): Promise<void> {
  try {
    await ip(ns, ['link', 'del', 'dev', name]);
  } catch (e) {
    if (e instanceof ExecError && /Cannot find device|does not exist/.test(e.result.stderr)) return;
    throw e;
  }
}

/** `ip -json -details addr show` rows, the fields the pod network reads. */
export interface IpLink {
  ifname: string;
  flags?: string[];
  /** The MAC. */
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

export async function links(ns: string | null): Promise<IpLink[]> {
  return ipJson<IpLink>(ns, ['-details', 'addr', 'show']);
}
