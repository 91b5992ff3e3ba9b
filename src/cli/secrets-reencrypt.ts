/**
 * What `skiff secrets reencrypt` does, through the API only. Its own module so that the command loads it, and the
 * REST client with it, only when it runs.
 */
import { ApiError, type RestClient } from '../client/rest.js';
import { Secrets } from '../client/resources.js';

/** Every Secret written back unchanged (the server stores a stale one again with its first key). */
export async function reencryptSecrets(client: RestClient): Promise<{ rewritten: number; skipped: number }> {
  let rewritten = 0;
  let skipped = 0;
  let cont: string | undefined;
  do {
    const page = await client.list(Secrets, { limit: 500, ...(cont ? { continue: cont } : {}) });
    for (const s of page.items) {
      try {
        await client.update(Secrets, s);
        rewritten++;
      } catch (err) {
        // Written (so re-encrypted) or deleted since the list: nothing left to do for it.
        if (err instanceof ApiError && (err.code === 409 || err.code === 404)) skipped++;
        else throw err;
      }
    }
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return { rewritten, skipped };
}
