/**
 * Edits that move IPVS state `prev` to `next`: ipvsadm-restore lines (-D/-d for what went away, -E for changed
 * scheduler or persistence, -A/-a for what is new), ipset restore lines (del/add), and addresses to bind or
 * unbind on kube-ipvs0. Restore tools only add, so without this a removed endpoint would keep its traffic.
 */
import { rsSpec, vsSpec, type IpvsState, type VirtualServer } from './compile.js';
import { SETS } from './sets.js';
import { hostPort } from '../../../net/host-port.js';

export interface IpvsDiff {
  ipvsadm: string;
  ipset: string;
  addressesToAdd: string[];
  addressesToDel: string[];
}

function protoAddr(vs: VirtualServer): string {
  // "-t 1.2.3.4:80" part of a spec.
  return vsSpec(vs).split(' -s ')[0]!;
}

export function diffIpvs(prev: IpvsState, next: IpvsState): IpvsDiff {
  const del: string[] = [];
  const upd: string[] = [];
  const add: string[] = [];
  for (const [key, old] of prev.virtualServers) {
    const now = next.virtualServers.get(key);
    if (!now) {
      del.push(`-D ${protoAddr(old)}`);
      continue;
    }
    if (old.scheduler !== now.scheduler || old.persistence !== now.persistence) upd.push(`-E ${vsSpec(now)}`);
    const want = new Set(now.reals.map((r) => `${r.ip}:${r.port}`));
    const have = new Set(old.reals.map((r) => `${r.ip}:${r.port}`));
    for (const r of old.reals) if (!want.has(`${r.ip}:${r.port}`)) del.push(`-d ${protoAddr(old)} -r ${hostPort(r.ip, r.port)}`);
    for (const r of now.reals) if (!have.has(`${r.ip}:${r.port}`)) add.push(`-a ${rsSpec(now, r)}`);
  }
  for (const [key, vs] of next.virtualServers) {
    if (prev.virtualServers.has(key)) continue;
    add.push(`-A ${vsSpec(vs)}`);
    for (const r of vs.reals) add.push(`-a ${rsSpec(vs, r)}`);
  }
  const ipvsadm = [...del, ...upd, ...add];
  const ipset: string[] = [];
  for (const s of SETS) {
    const before = new Set(prev.sets.get(s.name) ?? []);
    const after = new Set(next.sets.get(s.name) ?? []);
    for (const e of before) if (!after.has(e)) ipset.push(`del ${s.name} ${e}`);
    for (const e of after) if (!before.has(e)) ipset.push(`add ${s.name} ${e}`);
  }
  const pa = new Set(prev.addresses);
  const na = new Set(next.addresses);
  return {
    ipvsadm: ipvsadm.length ? ipvsadm.join('\n') + '\n' : '',
    ipset: ipset.length ? ipset.join('\n') + '\n' : '',
    addressesToAdd: next.addresses.filter((a) => !pa.has(a)),
    addressesToDel: prev.addresses.filter((a) => !na.has(a)),
  };
}
