/**
 * `definitions.watch`: a change under the definition folders (shipped or overlay) asks for a reload
 * once the files have been quiet for `debounceMs` — an editor saves through a temporary file and a
 * rename, a `git pull` writes many files, and one reload after the last of them is what is wanted.
 * Node's own recursive fs.watch (inotify on Linux) is enough: the reload itself rereads every file, so
 * a missed or doubled event costs at most one reload.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { log } from '../log';
import { type DefinitionRoots, OVERLAY_DIRS } from './definition-files';

export function watchDefinitions(roots: DefinitionRoots, debounceMs: number, onChange: () => void): { close(): void } {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const poke = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  // The overlay is watched as a whole, so a folder created in it later (flows/ on the first day) counts.
  const dirs = [...OVERLAY_DIRS.map((d) => path.join(roots.root, d)), ...(roots.home ? [roots.home] : [])];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    try {
      const w = watch(dir, { recursive: true, persistent: false }, poke);
      w.on('error', (e) => log().warn('definition watch stopped for a folder', { dir, error: e.message }));
      watchers.push(w);
    } catch (e) {
      log().warn('definition folder not watched', { dir, error: (e as Error).message });
    }
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
