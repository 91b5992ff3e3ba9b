/**
 * API Priority and Fairness' bootstrap configuration at server start (upstream's APF configuration ensurer): the
 * mandatory `exempt` and `catch-all` PriorityLevelConfigurations and FlowSchemas, restored when changed or deleted,
 * and the suggested ones, created when missing and kept up to date while annotated
 * apf.kubernetes.io/autoupdate-spec: "true" (flowControlEnsureAction decides). Each bootstrap FlowSchema's
 * Dangling condition says whether its priority level exists. Run once per start, not periodically.
 */
import type { KubeObject, ResourceType } from './api/resource.js';
import { ApiError } from './api/status.js';
import type { ObjectEngine } from './api/routes/objects.js';
import { danglingStatusUpdates } from './flowcontrol-status.js';
import {
  flowControlEnsureAction, FLOWCONTROL_GROUP, mandatoryFlowControlObjects, suggestedFlowControlObjects,
} from './api/kinds/flowcontrol.js';
import { rfc3339 } from '../client/time.js';

async function getOrNull(engine: ObjectEngine, r: ResourceType, name: string): Promise<KubeObject | null> {
  try {
    return await engine.get(r, undefined, name);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return null;
    throw err;
  }
}

async function ensureOne(engine: ObjectEngine, r: ResourceType, wanted: KubeObject, mandatory: boolean): Promise<void> {
  const name = wanted.metadata!.name!;
  const action = flowControlEnsureAction(wanted, await getOrNull(engine, r, name), mandatory);
  if (!action) return;
  try {
    if (action.create) await engine.create(r, undefined, action.object);
    else await engine.update(r, undefined, name, action.object);
  } catch (err) {
    // Another server (or a client) wrote it first: its next start looks again.
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
}

export async function ensureFlowControlBootstrap(engine: ObjectEngine, now: () => Date = () => new Date()): Promise<void> {
  const levels = engine.registry.lookup(FLOWCONTROL_GROUP, 'v1', 'prioritylevelconfigurations');
  const schemas = engine.registry.lookup(FLOWCONTROL_GROUP, 'v1', 'flowschemas');
  if (!levels || !schemas) return;
  const mandatory = mandatoryFlowControlObjects();
  const suggested = suggestedFlowControlObjects();
  // Levels first: a schema made before its level would be briefly dangling.
  for (const pl of mandatory.priorityLevels) await ensureOne(engine, levels, pl, true);
  for (const pl of suggested.priorityLevels) await ensureOne(engine, levels, pl, false);
  for (const fs of mandatory.flowSchemas) await ensureOne(engine, schemas, fs, true);
  for (const fs of suggested.flowSchemas) await ensureOne(engine, schemas, fs, false);
  // Their Dangling condition right away (flowcontrol-status.ts keeps it current where the server runs it).
  const current: KubeObject[] = [];
  for (const fs of [...mandatory.flowSchemas, ...suggested.flowSchemas]) {
    const cur = await getOrNull(engine, schemas, fs.metadata!.name!);
    if (cur) current.push(cur);
  }
  const levelNames = new Set<string>();
  for (const fs of current) {
    const level = (fs.spec as { priorityLevelConfiguration?: { name?: string } } | undefined)?.priorityLevelConfiguration?.name ?? '';
    if (level && (await getOrNull(engine, levels, level))) levelNames.add(level);
  }
  for (const fs of danglingStatusUpdates(current, levelNames, rfc3339(now()))) {
    try {
      await engine.update(schemas, undefined, fs.metadata!.name!, fs, {}, 'status');
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  }
}
