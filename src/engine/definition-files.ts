/**
 * Which definition files a process reads: the shipped ones under the project root, and a hospital's
 * own under its overlay directory (MEDBILL_HOME, config `home`). The two trees have the same layout;
 * a file of the overlay with the same relative name as a shipped one replaces it, any other overlay
 * file adds to the set. Keeping the hospital's files outside the product's tree is what lets an upgrade
 * replace the tree without losing them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Problems } from './lint';

export type DefinitionKind = 'codes' | 'catalogue' | 'mappings' | 'mappingTests' | 'flows' | 'flowTests';

/** Where each kind lives (relative to either root) and which of its files count; the loaders read only these. */
const KINDS: Record<DefinitionKind, { dir: string; keep(name: string): boolean; recursive: boolean }> = {
  codes: { dir: 'config/codes', keep: (n) => n.endsWith('.yaml'), recursive: false },
  catalogue: { dir: 'config/catalogue', keep: (n) => n.endsWith('.yaml'), recursive: false },
  mappings: { dir: 'mappings', keep: (n) => n.endsWith('.map.yaml'), recursive: true },
  mappingTests: { dir: 'mappings', keep: (n) => n.endsWith('.map.test.yaml'), recursive: true },
  flows: { dir: 'flows', keep: (n) => n.endsWith('.flow.yaml'), recursive: true },
  flowTests: { dir: 'flows', keep: (n) => n.endsWith('.flow.test.yaml'), recursive: true },
};

/** The folders of an overlay that mean something; anything else in it is reported (a typo would be ignored). */
export const OVERLAY_DIRS = ['flows', 'mappings', 'config/catalogue', 'config/codes'] as const;

export interface DefinitionRoots {
  /** the project (shipped definitions) */
  root: string;
  /** the overlay directory, absolute; undefined = none */
  home?: string;
}

export interface DefinitionFile {
  /** '/'-separated, relative to its root: the name that decides which file wins */
  key: string;
  /** absolute path */
  file: string;
  origin: 'shipped' | 'overlay';
  /** for an overlay file with a shipped namesake: that shipped file (absolute) */
  replaces?: string;
}

function walk(base: string, rel: string, keep: (n: string) => boolean, recursive: boolean, out: Map<string, string>): void {
  const d = path.join(base, rel);
  if (!existsSync(d)) return;
  for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (recursive) walk(base, r, keep, recursive, out);
    } else if (keep(e.name)) out.set(r, path.join(base, r));
  }
}

/** The files of one kind, shipped and overlay merged (overlay wins by key), sorted by key. */
export function definitionFiles(roots: DefinitionRoots, kind: DefinitionKind): DefinitionFile[] {
  const { dir, keep, recursive } = KINDS[kind];
  const shipped = new Map<string, string>();
  walk(roots.root, dir, keep, recursive, shipped);
  const overlay = new Map<string, string>();
  if (roots.home) walk(roots.home, dir, keep, recursive, overlay);
  const out = new Map<string, DefinitionFile>();
  for (const [key, file] of shipped) out.set(key, { key, file, origin: 'shipped' });
  for (const [key, file] of overlay) out.set(key, { key, file, origin: 'overlay', replaces: shipped.get(key) });
  return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Every kind that shapes an answer, as one list (what the version hash covers). */
export function servedDefinitionFiles(roots: DefinitionRoots): DefinitionFile[] {
  return (['codes', 'catalogue', 'mappings', 'flows'] as const).flatMap((k) => definitionFiles(roots, k));
}

/** First 12 hex of a file's SHA-256 (the per-file hash `medbill replay` compares). */
export function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
}

/**
 * The version of a definition set: a hash over every served file's name and content hash. Two nodes
 * (or two loads) with the same files have the same version whichever tree each file came from.
 */
export function definitionsVersion(hashes: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(hashes).sort()) h.update(`${k}\0${hashes[k]}\n`);
  return h.digest('hex').slice(0, 12);
}

/**
 * How a definition file is named where people read it: shipped files project-relative, overlay files
 * as $MEDBILL_HOME/<key>, so a listing says which tree won without printing the host's folders.
 */
export function definitionLabel(roots: DefinitionRoots, file: string): string {
  const abs = path.resolve(file);
  if (roots.home) {
    const r = path.relative(roots.home, abs);
    if (!r.startsWith('..') && !path.isAbsolute(r)) return `$MEDBILL_HOME/${r.split(path.sep).join('/')}`;
  }
  return path.relative(roots.root, abs).split(path.sep).join('/');
}

/** The overlay's own problems: a folder that does not exist, entries the overlay layout does not have. */
export function checkOverlay(roots: DefinitionRoots, problems: Problems): void {
  const home = roots.home;
  if (!home) return;
  const at = { file: home, line: 1, col: 1 };
  if (!existsSync(home)) {
    problems.add(at, 'OVERLAY_MISSING', 'home', { home });
    return;
  }
  const known = new Set(['flows', 'mappings', 'config']);
  for (const e of readdirSync(home, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (!e.isDirectory() || !known.has(e.name)) problems.warn({ file: path.join(home, e.name), line: 1, col: 1 }, 'OVERLAY_UNKNOWN_ENTRY', 'home', { entry: e.name, known: OVERLAY_DIRS.join('、') });
  }
  const config = path.join(home, 'config');
  if (existsSync(config))
    for (const e of readdirSync(config, { withFileTypes: true }))
      if (!e.name.startsWith('.') && (!e.isDirectory() || !['catalogue', 'codes'].includes(e.name)))
        problems.warn({ file: path.join(config, e.name), line: 1, col: 1 }, 'OVERLAY_UNKNOWN_ENTRY', 'home', { entry: `config/${e.name}`, known: OVERLAY_DIRS.join('、') });
}
