/**
 * What a real container sees besides its image: its volumes, its mounts and its environment, as the kubelet
 * (and containerd below it) would give them. The runc pod driver calls, per pod and container:
 *
 *   // once per pod sync (idempotent; call again on resync to push configMap/secret updates into volumes)
 *   const prepared = await prepareVolumes(pod, podDir, source, { allocatable, token?, claimPath?, mounter? });
 *     → Map<volumeName, PreparedVolume>; throws PrepareVolumesError (reason FailedMount, `.failures` one per
 *       volume with upstream's `MountVolume.SetUp failed for volume "x" : …`). Layout: podDir/volumes/<plugin>/<name>.
 *
 *   // per container start
 *   const env = await resolveEnv(pod, container, source, image.config.env,
 *                                { podIPs, hostIPs, allocatable, services, hostname });
 *     → { env: string[] (OCI process.env), vars: Map (for $(VAR)), warnings }; throws VolumeError
 *       (CreateContainerConfigError, e.g. `configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`).
 *   const { command, args } = expandCommandAndArgs(container.command, container.args, env.vars);
 *   const m = await containerMounts(pod, container, prepared,
 *                                   { podDir, env: env.vars, podIPs, dns: { clusterDNS, clusterDomain } });
 *     → { mounts: OciMount[] (append after the spec's default mounts), terminationLogPath, hostname, warnings };
 *       throws VolumeError (CreateContainerConfigError). Also writes podDir/etc-hosts, resolv.conf, hostname.
 *
 *   // when the pod is gone (its containers removed)
 *   await cleanupVolumes(podDir);   // unmounts tmpfs volumes, removes what the calls above created
 *
 * `source` is an ObjectSource (Secrets/ConfigMaps by namespace/name, undefined on 404): this folder never calls
 * the API. Use podHostnameAndDomain(pod, clusterDomain) for the OCI spec's hostname.
 */
export type { ObjectSource, OciMount, PreparedVolume } from './types.js';
export { VolumeError } from './types.js';
export { prepareVolumes, cleanupVolumes, PrepareVolumesError, emptyDirMemorySize, setUpFailedMessage } from './prepare.js';
export type { PrepareOptions, CleanupOptions, VolumeFailure } from './prepare.js';
export { resolveEnv, mergeEnv, DEFAULT_PATH_ENV } from './env.js';
export { isEnvVarName } from '../../../client/env-var-name.js';
export type { EnvOptions, ResolvedEnv, EnvWarning } from './env.js';
export { expand, mappingFuncFor, expandCommandAndArgs, expandSubPathExpr } from './expansion.js';
export { containerMounts, validateSubPath, DEFAULT_TERMINATION_MESSAGE_PATH } from './mounts.js';
export type { ContainerMountOptions, ContainerMounts } from './mounts.js';
export { podHostnameAndDomain, managedHostsFile, podDNSConfig, resolvConfText, parseResolvConf } from './etc-files.js';
export type { NodeDNS, DNSConfig } from './etc-files.js';
export type { TokenProvider, TokenRequest } from './payload.js';
export type { Mounter } from './mounter.js';
export { SystemMounter } from './mounter.js';
export { serviceEnvMap } from './service-env.js';
