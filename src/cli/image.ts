/**
 * `skiff image …`: the node image store in <data-dir>/images (the same --data-dir as `skiff server`).
 *   skiff image load FILE [--name REPO] [--data-dir DIR]   OCI layout (dir or tar) or `docker save` tarball
 *   skiff image pull REF [--creds USER:PASS] [--data-dir DIR]
 *   skiff image list [--data-dir DIR]
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { guard } from './guard.js';
import { ImageStore } from '../dataplane/kubelet/images/store.js';
import type { StoredImage } from '../dataplane/kubelet/images/types.js';

/** `skiff server`'s default data dir, with the image store under it. */
const DEFAULT_DATA_DIR = './.skiff';

export const imageStoreDir = (dataDir: string): string => join(resolve(dataDir), 'images');

/** docker's units.HumanSize: decimal units, four significant digits (what crictl images prints). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

export function imageRows(images: StoredImage[]): string[][] {
  const rows = [['IMAGE', 'DIGEST', 'SIZE']];
  for (const img of [...images].sort((a, b) => a.ref.localeCompare(b.ref))) {
    const digest = img.imageID.slice(img.imageID.indexOf('@sha256:') + 8, img.imageID.indexOf('@sha256:') + 8 + 13);
    rows.push([img.ref, digest, humanSize(img.sizeBytes)]);
  }
  return rows;
}

function print(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()}\n`);
}

function parseCreds(v: string): { username: string; password: string } {
  const i = v.indexOf(':');
  if (i <= 0) throw new Error('--creds: expected USER:PASS');
  return { username: v.slice(0, i), password: v.slice(i + 1) };
}

export function registerImageCommand(program: Command): Command {
  const image = program.command('image').description('Load, pull and list images in the node image store (<data-dir>/images)');
  const dataDirFlag = ['--data-dir <dir>', 'data directory of skiff (images live in <dir>/images)', DEFAULT_DATA_DIR] as const;

  image
    .command('load <file>')
    .description('Load an OCI image layout (directory or tar) or a `docker save` tarball')
    .option(...dataDirFlag)
    .option('--name <repo>', 'repository for images the archive names only by tag or not at all')
    .action(
      guard('image load', async (file: string, o: { dataDir: string; name?: string }) => {
        const store = new ImageStore({ root: imageStoreDir(o.dataDir) });
        for (const name of await store.load(resolve(file), { name: o.name })) process.stdout.write(`Loaded image: ${name}\n`);
      }),
    );

  image
    .command('pull <ref>')
    .description('Pull an image from its registry (plain HTTP only for localhost and 127.0.0.1)')
    .option(...dataDirFlag)
    .option('--creds <user:pass>', 'registry credentials')
    .action(
      guard('image pull', async (ref: string, o: { dataDir: string; creds?: string }) => {
        const store = new ImageStore({ root: imageStoreDir(o.dataDir) });
        const creds = o.creds ? [parseCreds(o.creds)] : [];
        const img = await store.ensure(ref, { policy: 'Always', credentials: () => creds });
        process.stdout.write(`Image is up to date for ${img.imageID}\n`);
      }),
    );

  image
    .command('list')
    .description('List stored images')
    .option(...dataDirFlag)
    .action(
      guard('image list', async (o: { dataDir: string }) => {
        print(imageRows(await new ImageStore({ root: imageStoreDir(o.dataDir) }).list()));
      }),
    );
  return image;
}
