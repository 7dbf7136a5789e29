/**
 * Which definitions a process runs: the flow version of every service and a hash of every file that
 * shapes an answer (catalogue, mappings, flows). A server reports its own (GET …/admin/flows); the
 * replay CLI compares them with the files on disk, so it never replays on definitions that are no
 * longer the files' without saying so. Paths are project-relative and nothing here is secret.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Router } from './router';

export interface LoadedFlow {
  channel: string;
  service: string;
  flow: string;
  version: string;
  /** project-relative, '/'-separated */
  file: string;
}

export interface LoadedDefinitions {
  /** epoch ms */
  loadedAt: number;
  flows: LoadedFlow[];
  /** project-relative file → first 12 hex of the SHA-256 of its bytes */
  files: Record<string, string>;
}

/** The definition folders and which of their files a running server reads. */
const DEFINITION_DIRS: { dir: string; keep(name: string): boolean }[] = [
  { dir: 'config/catalogue', keep: (n) => n.endsWith('.yaml') },
  { dir: 'mappings', keep: (n) => n.endsWith('.map.yaml') },
  { dir: 'flows', keep: (n) => n.endsWith('.flow.yaml') },
];

const rel = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/');

/**
 * Hashes of the definition files. Taken before the files are loaded: a file changed in between then
 * shows as a difference (the safe mistake), never as a match that is not one.
 */
export function definitionFileHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, keep: (n: string) => boolean): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // a missing folder has no files; the loaders report what that means
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, keep);
      else if (keep(e.name)) out[rel(root, p)] = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 12);
    }
  };
  for (const { dir, keep } of DEFINITION_DIRS) walk(path.join(root, dir), keep);
  return out;
}

export function describeDefinitions(root: string, router: Router, files: Record<string, string>, loadedAt = Date.now()): LoadedDefinitions {
  return { loadedAt, files, flows: router.table().map((r) => ({ channel: r.channel, service: r.service, flow: r.flow, version: r.version, file: rel(root, r.file) })) };
}

const CURE = 'restart it, or replay with --local to use the files';

/**
 * Why replaying these services on that server would not use the files on disk; [] when it would.
 * One line per service whose flow differs, then one line for the other files that differ and matter to
 * these services (shared mappings and schema, their own catalogue entries; other services' flows and
 * catalogue entries do not).
 */
export function definitionDrift(server: LoadedDefinitions, files: LoadedDefinitions, services: string[], channel = 'his'): string[] {
  const lines: string[] = [];
  const route = (d: LoadedDefinitions, s: string) => d.flows.find((f) => f.service === s && f.channel === channel);
  const ownEntries = new Set<string>();
  for (const s of [...new Set(services)].sort()) {
    const a = route(server, s);
    const b = route(files, s);
    ownEntries.add(`config/catalogue/${s}.yaml`);
    if (a && b && a.flow === b.flow && a.version === b.version) continue;
    if (!a && !b) continue;
    if (a && b) lines.push(a.flow === b.flow ? `server runs ${a.flow}@${a.version}, files are @${b.version}: ${CURE}` : `server runs ${a.flow}@${a.version} for ${s}, files route it to ${b.flow}@${b.version}: ${CURE}`);
    else if (a) lines.push(`server runs ${a.flow}@${a.version} for ${s}, the files have no flow for it: ${CURE}`);
    else lines.push(`server has no flow for ${s}, files have ${b!.flow}@${b!.version}: ${CURE}`);
  }
  // Flow files are covered above, service by service (a flow file's version is the hash of its text).
  const matters = (f: string) => !f.startsWith('flows/') && (!f.startsWith('config/catalogue/') || f === 'config/catalogue/common.schema.yaml' || ownEntries.has(f));
  const names = [...new Set([...Object.keys(server.files), ...Object.keys(files.files)])].filter(matters).sort();
  const changed = names.filter((f) => server.files[f] && files.files[f] && server.files[f] !== files.files[f]);
  const added = names.filter((f) => !server.files[f] && files.files[f]);
  const removed = names.filter((f) => server.files[f] && !files.files[f]);
  const parts = [changed.length ? `changed ${changed.join(', ')}` : '', added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean);
  if (parts.length) lines.push(`server loaded its definitions before these files changed (${parts.join('; ')}): ${CURE}`);
  return lines;
}
