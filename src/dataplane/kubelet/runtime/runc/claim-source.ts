/** The ClaimSource of a real node: PersistentVolumeClaims and PersistentVolumes read straight from the API (404 → undefined). */
import { isNotFound, type RestClient } from '../../../../client/index.js';
import { PersistentVolumeClaims, PersistentVolumes, type ResourceRef } from '../../../../client/resources.js';
import type { KubeObject } from '../../../../client/types.js';
import type { ClaimSource } from '../../volumes/claim-path.js';

export function apiClaimSource(client: RestClient): ClaimSource {
  const get = async (ref: ResourceRef, name: string, ns?: string): Promise<KubeObject | undefined> => {
    try {
      return await client.get(ref, name, ns);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return { claim: (ns, name) => get(PersistentVolumeClaims, name, ns), volume: (name) => get(PersistentVolumes, name) };
}
