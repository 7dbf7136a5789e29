/**
 * package.json lists what medbill uses and nothing else: every runtime dependency is loaded by the
 * shipped code (src, adapters, bin), every development dependency by the tests, the benches or the
 * build, and each version is pinned exactly. An unused package is attack surface and install time
 * for nothing; a test-only package among the runtime ones ships to every hospital.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Loaded by name rather than imported: knex requires the driver of the configured client. */
const LOADED_BY_NAME: Record<string, string> = { mysql2: "knex's client 'mysql2' (src/store/db.ts)" };
/** Used by the npm scripts, not imported. */
const TOOLS = new Set(['typescript', 'mocha']);

function sources(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(e.name)) out.push(readFileSync(p, 'utf8'));
    }
  };
  for (const d of dirs) walk(path.join(PROJECT_ROOT, d));
  return out;
}

/** Package names imported or required by these sources (subpaths such as 'knex/lib/…' count for knex). */
function imported(texts: string[]): Set<string> {
  const names = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/(?:from\s+|require\(\s*|import\(\s*)'((?:@[^/']+\/)?[^/'.][^/']*)/g)) names.add(m[1]);
  }
  return names;
}

describe('dependencies', () => {
  const shipped = imported(sources('src', 'adapters', 'bin'));
  const everything = new Set([...shipped, ...imported(sources('test', 'bench'))]);

  it('every runtime dependency is loaded by the shipped code', () => {
    const unused = Object.keys(pkg.dependencies).filter((d) => !shipped.has(d) && !LOADED_BY_NAME[d]);
    assert.deepEqual(unused, []);
  });

  it('every development dependency is used by the tests, the benches or the build', () => {
    const unused = Object.keys(pkg.devDependencies).filter((d) => {
      if (TOOLS.has(d)) return false;
      const typed = /^@types\/(.+)$/.exec(d)?.[1];
      if (typed) return !(typed === 'node' || typed === 'mocha' || everything.has(typed));
      return !everything.has(d);
    });
    assert.deepEqual(unused, []);
  });

  it('versions are exact', () => {
    const loose = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([, v]) => !/^\d+\.\d+\.\d+$/.test(v));
    assert.deepEqual(loose, []);
  });
});
