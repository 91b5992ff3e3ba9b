/**
 * Feeds FlowControl from the API server's own watch caches of FlowSchemas and PriorityLevelConfigurations (what
 * upstream's APF configuration controller reads through informers): the current lists, then a new configuration
 * after every change, so a FlowSchema created through the API classifies the next requests. Changes arriving
 * together (the bootstrap writes a dozen objects) are digested once, on the next turn of the event loop.
 */
import type { KubeObject } from '../resource.js';
import type { PolicyEngine } from '../authz/policy-source.js';
import { FLOWCONTROL_GROUP } from '../kinds/flowcontrol.js';
import type { FlowControl } from './index.js';

export interface FlowControlSource {
  readonly ready: Promise<void>;
  stop(): void;
}

export function followEngineFlowControl(engine: PolicyEngine, fc: FlowControl, onError: (err: unknown) => void = () => {}): FlowControlSource {
  let stopped = false;
  const objects = { flowschemas: new Map<string, KubeObject>(), prioritylevelconfigurations: new Map<string, KubeObject>() };
  const subs: { cancel(): void }[] = [];
  let pending = false;
  const digest = (): void => {
    pending = false;
    if (stopped) return;
    try {
      fc.update([...objects.flowschemas.values()], [...objects.prioritylevelconfigurations.values()]);
    } catch (err) {
      onError(err);
    }
  };
  const changed = (): void => {
    if (pending) return;
    pending = true;
    setImmediate(digest);
  };

  const follow = async (plural: keyof typeof objects): Promise<void> => {
    const r = engine.registry.lookup(FLOWCONTROL_GROUP, 'v1', plural);
    if (!r) return;
    const c = engine.cache(r);
    await c.start();
    if (stopped) return;
    const m = objects[plural];
    m.clear();
    for (const e of c.list()) m.set(e.object.metadata?.name ?? '', e.object);
    subs.push(c.subscribe(c.revision, (ev) => {
      const name = ev.object.metadata?.name ?? '';
      if (ev.type === 'DELETED') m.delete(name);
      else m.set(name, ev.object);
      changed();
    }, (err) => {
      if (stopped) return;
      if (err) onError(err);
      // The cache is rebuilding; read the kind again once it is back.
      setTimeout(() => void follow(plural).then(changed, onError), 100).unref();
    }));
  };
  const ready = Promise.all([follow('flowschemas'), follow('prioritylevelconfigurations')]).then(digest);
  return {
    ready,
    stop() {
      stopped = true;
      for (const s of subs) s.cancel();
    },
  };
}
