/**
 * A persistentVolumeClaim volume on a real node (the kubelet's desired-state populator, getPVCExtractPV and
 * the PV's own plugin): the claim must be Bound to a volume whose claimRef points back at it, the volume's node
 * affinity must admit this node, and its source must be one a node can serve from its own disk (hostPath, as
 * the local-path provisioner makes, created here when its type is DirectoryOrCreate; or local). The objects come
 * through a ClaimSource: this folder never calls the API.
 */
import { checkHostPathType } from './hostpath.js';
import type { KubeObject } from '../../../client/types.js';

export interface ClaimSource {
  /** undefined when the object does not exist (404). */
  claim(namespace: string, name: string): Promise<KubeObject | undefined>;
  volume(name: string): Promise<KubeObject | undefined>;
}

export interface NodeIdentity {
  name: string;
  /** The node's labels; kubernetes.io/hostname defaults to the node name. */
  labels?: Record<string, string>;
}

interface Requirement { key: string; operator: string; values?: string[] }
interface VolumeSpec {
  claimRef?: { uid?: string; namespace?: string; name?: string };
  nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: Requirement[] }[] } };
  hostPath?: { path?: string; type?: string };
  local?: { path?: string };
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const v = labels[r.key];
  switch (r.operator) {
    case 'In': return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn': return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists': return v !== undefined;
    case 'DoesNotExist': return v === undefined;
    case 'Gt': return v !== undefined && Number(v) > Number(r.values?.[0]);
    case 'Lt': return v !== undefined && Number(v) < Number(r.values?.[0]);
    default: return false;
  }
}

/** CheckNodeAffinity: no required terms admit every node; otherwise one term must match all its expressions. */
export function volumeAdmitsNode(spec: VolumeSpec, node: NodeIdentity): boolean {
  const terms = spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  const labels = { 'kubernetes.io/hostname': node.name, ...(node.labels ?? {}) };
  return terms.some((t) => (t.matchExpressions ?? []).length > 0 && (t.matchExpressions ?? []).every((r) => requirementMatches(r, labels)));
}

/** PrepareOptions.claimPath over a source: the host directory of the claim's volume on this node. */
export function claimPathResolver(source: ClaimSource, node: NodeIdentity): (namespace: string, claimName: string) => Promise<{ path: string; readOnly?: boolean } | undefined> {
  return async (namespace, claimName) => {
    const claim = await source.claim(namespace, claimName);
    if (!claim) throw new Error(`persistentvolumeclaim "${claimName}" not found`);
    const volumeName = (claim['spec'] as { volumeName?: string } | undefined)?.volumeName ?? '';
    const phase = (claim['status'] as { phase?: string } | undefined)?.phase ?? '';
    if (phase !== 'Bound' || !volumeName) {
      throw new Error(`PVC ${namespace}/${claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${volumeName}")`);
    }
    const pv = await source.volume(volumeName);
    if (!pv) throw new Error(`failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found`);
    const spec = (pv['spec'] ?? {}) as VolumeSpec;
    if (spec.claimRef?.uid !== claim.metadata?.uid) {
      throw new Error(`the PV's claimRef (${spec.claimRef?.namespace ?? ''}/${spec.claimRef?.name ?? ''}) does not point back to PVC ${namespace}/${claimName}`);
    }
    if (!volumeAdmitsNode(spec, node)) throw new Error(`volume ${volumeName} has a node affinity that does not admit node ${node.name}`);
    if (spec.hostPath?.path) {
      await checkHostPathType(spec.hostPath.path, spec.hostPath.type as Parameters<typeof checkHostPathType>[1]);
      return { path: spec.hostPath.path };
    }
    if (spec.local?.path) {
      await checkHostPathType(spec.local.path, 'Directory');
      return { path: spec.local.path };
    }
    throw new Error(`volume ${volumeName}'s type is not supported by this node (hostPath and local are)`);
  };
}
