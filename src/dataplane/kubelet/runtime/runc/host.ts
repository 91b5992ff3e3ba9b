/**
 * Facts about the host that a container spec depends on, read once by the driver and passed to buildOciSpec:
 * the capabilities this process holds (what privileged grants), the host's devices (what privileged sees),
 * whether the memory controller accounts swap, and the cgroup layout.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_CAPABILITIES, type OciDevice } from './oci-spec.js';

/** Names of the capabilities in a /proc/<pid>/status mask (hex), known ones only. */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt('0x' + hex.trim());
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** This process's bounding set (containerd's cap.Current()); all capabilities when it cannot be read. */
export function currentCapabilities(statusText?: string): string[] {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return [...ALL_CAPABILITIES];
    }
  }
  const m = /^CapBnd:\s*([0-9a-fA-F]+)$/m.exec(text);
  return m ? capabilitiesFromMask(m[1]!) : [...ALL_CAPABILITIES];
}

// Not devices a container should get from the host: its own pts, shm and mqueue come from its mounts.
const SKIP_DIRS = new Set(['pts', 'shm', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Character and block devices under /dev (containerd's HostDevices), for privileged containers. */
export function hostDevices(root = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(path);
        continue;
      }
      if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
      const rdev = st.rdev;
      // glibc's major()/minor() on the 64-bit dev_t.
      const hi = Math.floor(rdev / 2 ** 32);
      const lo = rdev % 2 ** 32;
      const major = ((lo >>> 8) & 0xfff) | (hi & 0xfffff000) >>> 0;
      const minor = (lo & 0xff) | ((lo >>> 12) & 0xfff00);
      out.push({ path, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  };
  walk(root);
  return out;
}

/** The memory controller accounts swap: v1 memory.memsw.* or v2 memory.swap.max exists. */
export function swapAccounting(cgroupRoot = '/sys/fs/cgroup'): boolean {
  return existsSync(join(cgroupRoot, 'memory', 'memory.memsw.limit_in_bytes')) || existsSync(join(cgroupRoot, 'memory.swap.max')) || unifiedOnly(cgroupRoot);
}

/** The host runs cgroup v2 alone (no v1 controllers): containers get their own cgroup namespace there. */
export function unifiedOnly(cgroupRoot = '/sys/fs/cgroup'): boolean {
  try {
    return existsSync(join(cgroupRoot, 'cgroup.controllers')) && statSync(cgroupRoot).isDirectory();
  } catch {
    return false;
  }
}
