/**
 * Lint problems, collected rather than thrown, so `medbill validate` reports every problem of every
 * file in one run, compiler-style (Benthos lint): `file:line:col  error  CODE  where: message — hint`.
 * Start-up and reload use the same collector and refuse to go on when it holds any error.
 */
import path from 'node:path';
import { fill, LINT_CODES, LintCode, LintParams } from './codes';

export interface Loc {
  file: string;
  line: number;
  col: number;
}

export interface LintIssue {
  loc: Loc;
  code: LintCode;
  /** the element the problem is about: `steps[3] (sign)`, `fields.totalAmt`, `server.port` */
  where: string;
  message: string;
  hint?: string;
  severity: 'error' | 'warning';
}

/** A file under the current directory is shown relative to it, as editors and CI annotations expect. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * A problem that no file holds (an environment variable, a programmatic override) has line 0: its
 * `file` names the source instead (`env MEDBILL_PORT=abc`), printed as is.
 */
export function formatIssue(i: LintIssue): string {
  const at = i.loc.line ? `${displayPath(i.loc.file)}:${i.loc.line}:${i.loc.col}` : i.loc.file;
  return `${at}  ${i.severity}  ${i.code}  ${i.where ? i.where + ': ' : ''}${i.message}${i.hint ? ' — ' + i.hint : ''}`;
}

/** Thrown where a caller needs one problem to stop it (a single file loaded alone); carries them all. */
export class LintError extends Error {
  constructor(readonly issues: LintIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
  get first(): LintIssue {
    return this.issues[0];
  }
  get code(): LintCode {
    return this.issues[0].code;
  }
  get loc(): Loc {
    return this.issues[0].loc;
  }
}

export class Problems {
  readonly issues: LintIssue[] = [];

  add<C extends LintCode>(loc: Loc, code: C, where: string, params: LintParams<C>, hint?: string, severity: 'error' | 'warning' = 'error'): void {
    const spec: { message: string; hint?: string } = LINT_CODES[code];
    const h = hint ?? (spec.hint ? fill(spec.hint, params as Record<string, string>) : undefined);
    this.issues.push({ loc, code, where, message: fill(spec.message, params as Record<string, string>), hint: h, severity });
  }

  warn<C extends LintCode>(loc: Loc, code: C, where: string, params: LintParams<C>, hint?: string): void {
    this.add(loc, code, where, params, hint, 'warning');
  }

  merge(other: Problems): void {
    this.issues.push(...other.issues);
  }

  get errors(): LintIssue[] {
    return this.issues.filter((i) => i.severity === 'error');
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }

  /** Sorted by file and position, as a compiler prints them; problems of no file (environment variables) last. */
  sorted(): LintIssue[] {
    const inFile = (i: LintIssue) => (i.loc.line ? 0 : 1);
    return [...this.issues].sort((a, b) => inFile(a) - inFile(b) || a.loc.file.localeCompare(b.loc.file) || a.loc.line - b.loc.line || a.loc.col - b.loc.col);
  }

  /** Throws a LintError holding every error, if there is any. */
  throwIfAny(): void {
    if (!this.ok) throw new LintError(this.sorted().filter((i) => i.severity === 'error'));
  }
}

/** The closest candidate within edit distance 2 (a likely misspelling), for "did you mean" hints. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = levenshtein(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length][b.length];
}

/** A JSON pointer (Ajv's instancePath) as the path segments YamlSource.loc takes: "/a/0/b" → ["a", 0, "b"]. */
export function pointerPath(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
