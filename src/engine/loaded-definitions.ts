/**
 * Which definitions a process runs: the flow version of every service and a hash of every file that
 * shapes an answer (catalogue, mappings, flows). A server reports its own (GET …/admin/flows); the
 * replay CLI compares them with the files on disk, so it never replays on definitions that are no
 * longer the files' without saying so. Paths are relative to their tree and nothing here is secret.
 */
import type { Router } from './router';
import { DefinitionRoots, definitionLabel, definitionsVersion, fileHash, servedDefinitionFiles } from './definition-files';

export interface LoadedFlow {
  channel: string;
  service: string;
  flow: string;
  version: string;
  /** where the flow came from: project-relative ('/'-separated), or $MEDBILL_HOME/… for an overlay file */
  file: string;
}

export interface LoadedDefinitions {
  /** epoch ms */
  loadedAt: number;
  /** hash over every served file's name and content (definitionsVersion): recorded on each message */
  version: string;
  flows: LoadedFlow[];
  /** served file (its name relative to either tree) → first 12 hex of the SHA-256 of its bytes */
  files: Record<string, string>;
  /** the files an overlay directory supplies, by name (the rest are shipped) */
  overlay: string[];
}

/**
 * Hashes of the definition files, shipped and overlay merged. Taken before the files are loaded: a file
 * changed in between then shows as a difference (the safe mistake), never as a match that is not one.
 */
export function definitionFileHashes(roots: DefinitionRoots): { files: Record<string, string>; overlay: string[] } {
  const files: Record<string, string> = {};
  const overlay: string[] = [];
  for (const f of servedDefinitionFiles(roots)) {
    try {
      files[f.key] = fileHash(f.file);
    } catch {
      continue; // gone since the folder was listed; the loaders report what that means
    }
    if (f.origin === 'overlay') overlay.push(f.key);
  }
  return { files, overlay };
}

export function describeDefinitions(roots: DefinitionRoots, router: Router, hashes: { files: Record<string, string>; overlay: string[] }, loadedAt = Date.now()): LoadedDefinitions {
  return {
    loadedAt,
    version: definitionsVersion(hashes.files),
    files: hashes.files,
    overlay: hashes.overlay,
    flows: router.table().map((t) => ({ channel: t.channel, service: t.service, flow: t.flow, version: t.version, file: definitionLabel(roots, t.file) })),
  };
}

const CURE = 'reload it (medbill reload), or replay with --local to use the files';

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
