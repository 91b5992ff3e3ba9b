/**
 * The seam between a real node's pod driver and pod volumes/environment: what a container sees besides its
 * image. Objects the pod refers to (Secrets, ConfigMaps) come through a source, so this folder never calls the API.
 */
import type { KubeObject } from '../../../client/types.js';

export interface ObjectSource {
  /** undefined when the object does not exist (404). */
  secret(namespace: string, name: string): Promise<KubeObject | undefined>;
  configMap(namespace: string, name: string): Promise<KubeObject | undefined>;
}

/** One OCI mount (runtime-spec config.json `mounts[]`). */
export interface OciMount {
  destination: string;
  source: string;
  type: string;
  options: string[];
}

/** A volume prepared on disk for a pod, by volume name. */
export interface PreparedVolume {
  name: string;
  /** Host path to bind into containers. */
  hostPath: string;
  readOnly: boolean;
}

/** Why a pod's volumes or env could not be prepared, as the kubelet reports it (event reason FailedMount / CreateContainerConfigError). */
export class VolumeError extends Error {
  constructor(readonly reason: 'FailedMount' | 'CreateContainerConfigError', message: string) {
    super(message);
    this.name = 'VolumeError';
  }
}
