/**
 * The repository stands alone: a clone in an empty folder runs `npm test`, `npm run bench` and the
 * README tour. So no tracked file may name a path outside the repository (a sibling checkout such as
 * the reference folder beside a developer's checkout, a developer machine's /work/…) or cite documents that are not in it; the README's
 * commands must name files that exist; and the docs' relative links must resolve.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

const SELF = 'test/ops/self-contained.test.ts';

/**
 * The sibling folder's name, spelled in parts so this guard is not itself a file that points at it
 * (a clone has no such folder; tools that look for the path would list this file).
 */
const SIBLING = ['sha', 'red'].join('');

/** What points outside the repository, and why each is wrong. */
const OUTSIDE: { re: RegExp; why: string }[] = [
  { re: new RegExp(String.raw`\.\.[/\\]${SIBLING}\b`), why: 'a sibling checkout (the reference folder beside the clone)' },
  { re: new RegExp(String.raw`['"]\.\.['"]\s*,\s*['"]${SIBLING}['"]`), why: "a sibling checkout (path.join('..', <the reference folder>))" },
  { re: new RegExp(String.raw`\b${SIBLING}\/(reference|samples|vectors|seed|hooks|DESIGN)\b`), why: 'the reference folder beside the clone' },
  { re: /\bMEDBILL_SHARED\b/, why: 'an environment variable pointing outside the repository' },
  { re: new RegExp(String.raw`\/work\/(${SIBLING}|main|wt|team)\b`), why: "a developer machine's absolute path" },
  { re: /\bDESIGN(\.md)?\s*§/, why: 'a design document that is not in the repository' },
  { re: /\bstyle-anchors\b/, why: 'a reference document that is not in the repository' },
  { re: /\b(bosssoft-medical-api-v3\.2|gm-crypto-and-svs|integration-patterns|patient-channels|reports-and-console)\.md\b/, why: 'a reference document that is not in the repository' },
  { re: /\b[\w-]+\.md\s*§\s*\d/, why: "a section number of a document (this repository's docs are cited by heading anchor)" },
];

/** GitHub's anchor of a Markdown heading. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The files a commit would hold: tracked and new ones, not what .gitignore leaves out. */
function trackedFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    // Not a git checkout (an unpacked archive): every file except what npm and the build produce.
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const e of readdirSync(path.join(PROJECT_ROOT, rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (!['node_modules', 'dist', 'data', '.git'].includes(e.name)) walk(p);
        } else out.push(p);
      }
    };
    walk('');
    return out;
  }
}

function textOf(file: string): string | undefined {
  const buf = readFileSync(path.join(PROJECT_ROOT, file));
  return buf.includes(0) ? undefined : buf.toString('utf8');
}

const files = trackedFiles().filter((f) => f !== 'package-lock.json' && existsSync(path.join(PROJECT_ROOT, f)) && statSync(path.join(PROJECT_ROOT, f)).isFile());
const topLevel = new Set(files.map((f) => f.split('/')[0]));
/** Every text file but this one (which has to name what it looks for), with its content. */
const texts = files.filter((f) => f !== SELF).flatMap((f): [string, string][] => {
  const t = textOf(f);
  return t === undefined ? [] : [[f, t]];
});

describe('the repository stands alone', () => {
  it('sees the whole tree (sources, tests, benches, docs, config)', () => {
    for (const p of ['src/app.ts', 'test/helpers/fixtures.ts', 'bench/run.ts', 'README.md', 'config/default.yaml', 'examples/outpatient-v3.2.json']) {
      assert.ok(files.includes(p), `${p} not among the ${files.length} files read`);
    }
  });

  it('no file names a path outside the repository or cites a document that is not in it', () => {
    const found: string[] = [];
    for (const [f, text] of texts) {
      text.split('\n').forEach((line, i) => {
        for (const { re, why } of OUTSIDE) {
          if (re.test(line)) found.push(`${f}:${i + 1}: ${why}: ${line.trim()}`);
        }
      });
    }
    assert.deepEqual(found, []);
  });

  it("the README's commands and paths name files that exist in the repository", () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length >= 4, 'the set-up commands and the tour are shell blocks');
    const tokens = [
      ...blocks.flatMap((b) => b.split(/[\s"'()$=|;&<>]+/)),
      ...[...readme.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]),
    ];
    const problems: string[] = [];
    for (const t of new Set(tokens)) {
      if (t.startsWith('../')) problems.push(`${t}: outside the repository`);
      else if (/^[\w.-]+\/[\w./-]*$/.test(t) && topLevel.has(t.split('/')[0]) && !existsSync(path.join(PROJECT_ROOT, t))) problems.push(`${t}: missing`);
    }
    assert.deepEqual(problems, []);
    assert.match(readme, /examples\/outpatient-v3\.2\.json/, 'the tour posts the example settlement');
  });

  it('every docs/… file named anywhere exists, with the heading its #anchor names', () => {
    const missing: string[] = [];
    for (const [f, text] of texts) {
      for (const m of text.matchAll(/\b(docs\/[\w/.-]+\.md)(#[\w-]+)?/g)) {
        const [ref, doc, anchor] = m;
        const target = path.join(PROJECT_ROOT, doc);
        if (!existsSync(target)) missing.push(`${f}: ${doc} does not exist`);
        else if (anchor) {
          const anchors = new Set([...readFileSync(target, 'utf8').matchAll(/^#+ (.+)$/gm)].map((h) => '#' + slug(h[1])));
          if (!anchors.has(anchor)) missing.push(`${f}: ${ref} names no heading of ${doc}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('relative links in the Markdown files resolve', () => {
    const broken: string[] = [];
    for (const f of files.filter((x) => x.endsWith('.md'))) {
      for (const m of readFileSync(path.join(PROJECT_ROOT, f), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (!target || /^[a-z]+:/i.test(target)) continue;
        if (!existsSync(path.resolve(PROJECT_ROOT, path.dirname(f), target))) broken.push(`${f}: ${m[1]}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
