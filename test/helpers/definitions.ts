/**
 * Definitions (catalogue, code tables, mappings, flows) loaded once per test process for each set of
 * files and configuration, instead of once per app: loading them compiles every request schema with
 * Ajv (~0.5 s on a quiet 2-core machine, far more on a busy one), and the suite starts well over a
 * hundred apps. The loaded objects are read-only at run time (a request validator coerces the request,
 * not itself), so apps may share them the way one server's concurrent requests do.
 *
 * The key is the content, never a name: the SHA-256 of every file under the definition folders (of
 * the project and of an overlay `home` if the configuration names one) and the configuration itself
 * minus what differs per app (data folder, database URL). A suite that edits a flow file, or starts an
 * app with another unit, gets its own load.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Definitions, loadDefinitionsOrThrow } from '../../src/app';
import { checkConfigObject, type Config } from '../../src/config';
import { Problems } from '../../src/engine/lint';

const DEFINITION_DIRS = ['config', 'mappings', 'flows'];

const cache = new Map<string, Definitions>();

function hashTree(h: ReturnType<typeof createHash>, dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // a missing folder has no files; the loaders report what that means
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) hashTree(h, p);
    else if (e.isFile()) h.update(p).update('\0').update(readFileSync(p)).update('\0');
  }
}

function definitionsKey(cfg: Config): string {
  const h = createHash('sha256');
  const { dataDir, db: _db, ...rest } = cfg;
  h.update(JSON.stringify(rest).split(dataDir).join('<dataDir>'));
  const home = (cfg as unknown as { home?: unknown }).home;
  for (const root of [cfg.projectRoot, ...(typeof home === 'string' && home ? [home] : [])])
    for (const d of DEFINITION_DIRS) hashTree(h, path.join(root, d));
  return h.digest('hex');
}

/**
 * What `createApp` would load for `cfg` (configuration checked as it does: a bad one throws the same
 * ConfigError every time), from the per-process cache when the files and configuration are the same.
 */
export function sharedDefinitions(cfg: Config): Definitions {
  const key = definitionsKey(cfg);
  let d = cache.get(key);
  if (!d) {
    d = loadDefinitionsOrThrow(cfg);
    cache.set(key, d);
  } else {
    // The key leaves out the data folder and database URL: their checks still run for every app.
    const problems = new Problems();
    checkConfigObject(cfg, problems);
    problems.throwIfAny();
  }
  // Each app reports its own load time (GET …/admin/flows); the rest is the same for equal files.
  return { ...d, loaded: { ...d.loaded, loadedAt: Date.now() } };
}
