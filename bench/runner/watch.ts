/** Waiting on cluster state the way a user's client does: one list, then a watch from its revision. */
import type { RestClient } from '../../src/client/rest.js';
import { Events, Nodes, Pods } from '../../src/client/resources.js';
import type { ResourceRef } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';

/**
 * Resolves when `done` holds for the watched collection's latest event object (null after a DELETED), checked
 * on the list's items first. `name` narrows to one object.
 */
export async function watchUntil<T extends KubeObject>(
  client: RestClient,
  ref: ResourceRef,
  opts: { namespace?: string; name?: string },
  done: (obj: T | null) => boolean,
): Promise<void> {
  const fieldSelector = opts.name ? `metadata.name=${opts.name}` : undefined;
  const list = await client.list<T>(ref, { namespace: opts.namespace, fieldSelector });
  if (opts.name ? done(list.items[0] ?? null) : list.items.some((o) => done(o))) return;
  const ac = new AbortController();
  try {
    for await (const ev of client.watch<T>(ref, { namespace: opts.namespace, fieldSelector, resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
      if (ev.type === 'ERROR') throw new Error(`watch of ${ref.plural} failed: ${JSON.stringify(ev.object)}`);
      if (ev.type === 'BOOKMARK') continue;
      if (done(ev.type === 'DELETED' ? null : ev.object)) return;
    }
    throw new Error(`watch of ${ref.plural} ended before the state was reached`);
  } finally {
    ac.abort();
  }
}

/** Resolves when `want` nodes report Ready=True. */
export function waitNodesReady(client: RestClient, want: number): Promise<void> {
  return waitNodesWhere(client, want, (n) =>
    ((n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
}

/** Resolves when `want` nodes hold `holds` (on their latest state: one that stops holding is counted out again). */
export async function waitNodesWhere(client: RestClient, want: number, holds: (n: KubeObject) => boolean): Promise<void> {
  const seen = new Set<string>();
  const list = await client.list(Nodes);
  for (const n of list.items) if (holds(n)) seen.add(n.metadata!.name!);
  if (seen.size >= want) return;
  const ac = new AbortController();
  try {
    for await (const ev of client.watch(Nodes, { resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
      const name = ev.object.metadata?.name ?? '';
      if (ev.type !== 'DELETED' && holds(ev.object)) seen.add(name);
      else seen.delete(name);
      if (seen.size >= want) return;
    }
  } finally {
    ac.abort();
  }
}

/** Resolves when the namespace holds exactly `want` pods (terminating ones count until they are gone). */
export async function waitPodCount(client: RestClient, namespace: string, want: number): Promise<void> {
  const names = new Set<string>();
  const list = await client.list(Pods, { namespace });
  for (const p of list.items) names.add(p.metadata!.name!);
  if (names.size === want) return;
  const ac = new AbortController();
  try {
    for await (const ev of client.watch(Pods, { namespace, resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
      if (ev.type === 'ADDED') names.add(ev.object.metadata!.name!);
      if (ev.type === 'DELETED') names.delete(ev.object.metadata!.name!);
      if (names.size === want) return;
    }
  } finally {
    ac.abort();
  }
}

/**
 * Resolves once no Event was created for `quietMs` (or after `maxMs`): the components' startup Events (a node's
 * NodeHasSufficientMemory … NodeReady, RegisteredNode) have all been posted. Returns how many came and how long it took.
 */
export async function waitEventsQuiet(client: RestClient, quietMs: number, maxMs: number): Promise<{ events: number; ms: number }> {
  const t0 = Date.now();
  const list = await client.list(Events, { limit: 1 });
  const ac = new AbortController();
  let events = 0;
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<void>((resolve) => {
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(resolve, Math.min(quietMs, Math.max(0, t0 + maxMs - Date.now())));
    };
    arm();
    void (async () => {
      try {
        for await (const ev of client.watch(Events, { resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
          if (ev.type !== 'ADDED') continue;
          events++;
          if (Date.now() - t0 < maxMs) arm();
        }
      } catch {
        // Aborted below, or the watch failed: the timer still ends the wait.
      }
    })();
  });
  try {
    await quiet;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { events, ms: Date.now() - t0 };
}
