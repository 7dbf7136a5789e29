/**
 * The definition set a running process serves, swappable while it runs. A message takes the current
 * set once, when it arrives, and keeps it to its end: its flow's compiled steps carry their mappings
 * and catalogue, so a reload in the middle of it changes nothing it sees. A reload loads and checks a
 * whole new set first; any error keeps the running set (each problem logged), and only a clean set
 * replaces it, in one assignment.
 */
import { log } from '../log';
import { definitionReloads } from '../metrics';
import type { Catalogue } from './catalogue';
import type { Flow } from './flow-loader';
import { formatIssue, Problems } from './lint';
import type { LoadedDefinitions } from './loaded-definitions';
import type { Mapping } from './mapping';
import type { Router } from './router';

export interface DefinitionSet {
  catalogue: Catalogue;
  mappings: Map<string, Mapping>;
  flows: Flow[];
  router: Router;
  loaded: LoadedDefinitions;
}

export interface ReloadOutcome {
  ok: boolean;
  /** false when the files were those already served (nothing swapped) */
  changed: boolean;
  /** the version served after the reload (the old one when refused) */
  version: string;
  previous: string;
  /** what asked for it: SIGHUP, admin (medbill reload), watch */
  trigger: string;
  at: number;
  /** the new files' problems, each as file:line:col  severity  CODE  message (errors refuse the reload) */
  problems: string[];
}

export class LiveDefinitions {
  private set: DefinitionSet;
  private lastReload?: ReloadOutcome;

  constructor(
    initial: DefinitionSet,
    /** loads and checks the files as they are now, adding every problem to `problems` */
    private readonly load: (problems: Problems) => DefinitionSet,
  ) {
    this.set = initial;
  }

  current(): DefinitionSet {
    return this.set;
  }

  /** The outcome of the last reload, if there was one (/readyz reports it). */
  last(): ReloadOutcome | undefined {
    return this.lastReload;
  }

  reload(trigger: string): ReloadOutcome {
    const previous = this.set.loaded.version;
    const problems = new Problems();
    let next: DefinitionSet | undefined;
    try {
      next = this.load(problems);
    } catch (e) {
      // A loader that throws (not a lint problem) refuses the reload like an error would.
      log().error('definitions reload failed', { trigger, error: (e as Error).message });
    }
    const listed = problems.sorted().map(formatIssue);
    const base = { trigger, at: Date.now(), previous, problems: listed };
    if (!next || !problems.ok) {
      const errors = problems.errors.length || 1;
      for (const line of listed) log().error('definitions reload: problem in the new files', { trigger, problem: line });
      log().error(`definitions reload refused: ${errors} error(s), still serving version ${previous}`, { trigger, code: 'RELOAD_REFUSED', version: previous, errors });
      definitionReloads.inc({ result: 'refused' });
      return (this.lastReload = { ...base, ok: false, changed: false, version: previous });
    }
    for (const line of listed) log().warn('definitions reload: warning in the new files', { trigger, problem: line });
    const changed = next.loaded.version !== previous;
    // Same files: keep the set in service (its compiled steps and caches), nothing to swap.
    if (changed) this.set = next;
    log().info(changed ? 'definitions reloaded' : 'definitions reload: files unchanged', { trigger, version: next.loaded.version, previous, flows: next.flows.length, overlay: next.loaded.overlay.length });
    definitionReloads.inc({ result: 'ok' });
    return (this.lastReload = { ...base, ok: true, changed, version: next.loaded.version });
  }
}
