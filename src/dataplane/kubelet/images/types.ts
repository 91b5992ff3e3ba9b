/**
 * The seam between a real node's pod driver and its image store: turn an image reference into unpacked layers
 * and a writable root filesystem. The store knows nothing of pods or the API; pull secrets arrive resolved.
 */

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** One entry of a docker config.json `auths` map, as an imagePullSecret holds it. */
export interface RegistryCredential {
  username?: string;
  password?: string;
  /** base64(username:password), the form `kubectl create secret docker-registry` writes. */
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The parts of an OCI image config the runtime uses (config.Entrypoint, Cmd, Env, WorkingDir, User). */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
}

export interface StoredImage {
  /** Normalised reference, e.g. docker.io/library/busybox:latest or 127.0.0.1:5000/app@sha256:… */
  ref: string;
  /** What the kubelet reports as containerStatuses[].imageID: <repository>@sha256:<manifest digest>. */
  imageID: string;
  /** Every name this image is known by (node.status.images[].names). */
  names: string[];
  config: ImageConfig;
  /** Unpacked layer directories, lowest first. */
  layers: string[];
  sizeBytes: number;
}

export interface EnsureImageOptions {
  policy: PullPolicy;
  /**
   * Credentials for a registry host (e.g. "127.0.0.1:5000", "docker.io") and repository path (e.g. "library/busybox"),
   * from the pod's imagePullSecrets; tried in order (auth.ts credentialsFor matches docker config keys as the kubelet does).
   */
  credentials?: (registryHost: string, repository: string) => RegistryCredential[];
}

/** Upstream's waiting reasons for a container whose image cannot be had. */
export type ImageErrorReason = 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';

export class ImageError extends Error {
  constructor(readonly reason: ImageErrorReason, message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** A container's root filesystem; release() unmounts and removes it. */
export interface Rootfs {
  path: string;
  release(): Promise<void>;
}

export interface ImageService {
  /** Have the image locally per the pull policy (pulling if needed); throws ImageError. */
  ensure(image: string, opts: EnsureImageOptions): Promise<StoredImage>;
  /** A fresh writable rootfs for one container at `dir`: overlay over the layers where the kernel allows, a copy otherwise. */
  createRootfs(dir: string, image: StoredImage): Promise<Rootfs>;
  /** Every stored image, for node.status.images. */
  list(): Promise<StoredImage[]>;
}
