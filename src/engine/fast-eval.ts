/**
 * A compiler from the common subset of JSONata (paths of names, literals, `$`, variables, calls of
 * registered functions, ?:, and/or/&/=/!=, array and object constructors, `list.{…}`) to plain JS
 * closures. Mappings are still written, linted and documented as JSONata; when every expression of a
 * mapping falls in this subset it runs ~10× faster than jsonata's evaluator (profiled: the evaluator
 * was a third of the issuance CPU). Anything outside the subset makes the whole mapping use jsonata.
 * test/engine/fast-eval.test.ts checks both evaluators agree on every mapping's golden cases.
 */
type Node = { type: string; value?: unknown; expression?: Node; steps?: Node[]; arguments?: Node[]; procedure?: Node; lhs?: Node | [Node, Node][]; rhs?: Node; expressions?: Node[]; condition?: Node; then?: Node; else?: Node; stages?: unknown; predicate?: unknown; group?: unknown; focus?: unknown; index?: unknown; tuple?: unknown; keepArray?: unknown; keepSingletonArray?: unknown; consarray?: unknown };

export type Env = Record<string, unknown>;
export type Compiled = (ctx: unknown, env: Env) => unknown;

/** JSONata's boolean casting. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length === 1 ? truthy(v[0]) : v.some(truthy);
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'function') return false;
  return Object.keys(v as object).length > 0;
}

class Unsupported extends Error {}

const str = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(Number(v.toPrecision(15))) : JSON.stringify(v));

/**
 * JSONata's $trim (jsonata/src/functions.js): runs of space, tab, LF and CR become one space, then ONE
 * leading and ONE trailing space go. Nothing else counts as white space: U+3000 (ideographic space),
 * U+00A0 and the other Unicode spaces are kept, where String.prototype.trim() would remove them.
 * A non-string argument is a type error in JSONata: left to the reference evaluator.
 */
function jsonataTrim(s: unknown): unknown {
  if (s === undefined) return undefined;
  if (typeof s !== 'string') throw new Unsupported('$trim of a non-string');
  let r = s.replace(/[ \t\n\r]+/g, ' ');
  if (r.charAt(0) === ' ') r = r.substring(1);
  if (r.charAt(r.length - 1) === ' ') r = r.substring(0, r.length - 1);
  return r;
}

const BUILTINS: Record<string, (...a: unknown[]) => unknown> = {
  trim: jsonataTrim,
  exists: (v) => v !== undefined,
  not: (v) => (v === undefined ? undefined : !truthy(v)),
  join: (a, sep) => (a === undefined ? undefined : (Array.isArray(a) ? a : [a]).map(String).join(sep === undefined ? '' : String(sep))),
  lookup: (o, k) => (o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[String(k)] : undefined),
  string: (v) => (v === undefined ? undefined : str(v)),
  boolean: (v) => (v === undefined ? undefined : truthy(v)),
};

function isPlainStep(n: Node): boolean {
  return !n.stages && !n.predicate && !n.group && !n.focus && !n.index && !n.tuple && !n.keepArray && !n.keepSingletonArray;
}

/** JSONata path semantics for name steps: map over arrays, flatten one level, unwrap singletons. */
function walk(ctx: unknown, names: string[], last?: Compiled, env?: Env): unknown {
  let cur: unknown = ctx;
  let seq = false;
  for (const name of names) {
    if (Array.isArray(cur)) {
      const out: unknown[] = [];
      for (const el of cur) {
        const v = el && typeof el === 'object' && !Array.isArray(el) ? (el as Record<string, unknown>)[name] : undefined;
        if (Array.isArray(v)) out.push(...v);
        else if (v !== undefined) out.push(v);
      }
      cur = out;
      seq = true;
    } else if (cur && typeof cur === 'object') {
      cur = (cur as Record<string, unknown>)[name];
      seq = false;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  if (last) {
    const items = Array.isArray(cur) ? cur : [cur];
    const out: unknown[] = [];
    for (const el of items) {
      const v = last(el, env!);
      if (v !== undefined) out.push(v);
    }
    cur = out;
    seq = true;
  }
  if (seq) {
    const arr = cur as unknown[];
    return arr.length === 0 ? undefined : arr.length === 1 ? arr[0] : arr;
  }
  return cur;
}

function compileNode(n: Node, fns: Record<string, (...a: never[]) => unknown>): Compiled {
  switch (n.type) {
    case 'string':
    case 'number': {
      const v = n.value;
      return () => v;
    }
    case 'value': {
      const v = n.value;
      return () => v;
    }
    case 'variable': {
      const name = String(n.value);
      if (name === '') return (ctx) => ctx;
      return (_ctx, env) => env[name];
    }
    case 'path': {
      const steps = n.steps ?? [];
      if (!steps.every(isPlainStep)) throw new Unsupported('path with predicates');
      const names: string[] = [];
      let last: Compiled | undefined;
      let head: Compiled | undefined;
      steps.forEach((s, i) => {
        if (s.type === 'name') names.push(String(s.value));
        else if (i === 0 && (s.type === 'function' || s.type === 'variable')) head = compileNode(s, fns);
        else if (i === steps.length - 1 && s.type === 'unary' && s.value === '{' && i > 0) last = compileNode(s, fns);
        else throw new Unsupported(`path step ${s.type}`);
      });
      if (head) {
        const h = head;
        return (ctx, env) => {
          const start = h(ctx, env);
          return start === undefined ? undefined : walk(start, names, last, env);
        };
      }
      return (ctx, env) => walk(ctx, names, last, env);
    }
    case 'function': {
      const name = String(n.procedure?.value ?? '');
      if (n.procedure?.type !== 'variable') throw new Unsupported('computed function');
      const fn = (fns[name] ?? BUILTINS[name]) as ((...a: unknown[]) => unknown) | undefined;
      if (!fn) throw new Unsupported(`function $${name}`);
      const args = (n.arguments ?? []).map((a) => compileNode(a, fns));
      return (ctx, env) => fn(...args.map((a) => a(ctx, env)));
    }
    case 'condition': {
      const c = compileNode(n.condition!, fns);
      const t = compileNode(n.then!, fns);
      const e = n.else ? compileNode(n.else, fns) : () => undefined;
      return (ctx, env) => (truthy(c(ctx, env)) ? t(ctx, env) : e(ctx, env));
    }
    case 'binary': {
      const l = compileNode(n.lhs as Node, fns);
      const r = compileNode(n.rhs!, fns);
      switch (n.value) {
        case 'and':
          return (ctx, env) => truthy(l(ctx, env)) && truthy(r(ctx, env));
        case 'or':
          return (ctx, env) => truthy(l(ctx, env)) || truthy(r(ctx, env));
        case '&':
          return (ctx, env) => str(l(ctx, env)) + str(r(ctx, env));
        case '=':
        case '!=': {
          const neg = n.value === '!=';
          return (ctx, env) => {
            const a = l(ctx, env);
            const b = r(ctx, env);
            if (a === undefined || b === undefined) return false;
            if (typeof a === 'object' || typeof b === 'object') throw new Unsupported('deep equality');
            return neg ? a !== b : a === b;
          };
        }
        default:
          throw new Unsupported(`operator ${String(n.value)}`);
      }
    }
    case 'unary': {
      if (n.value === '[') {
        const items = (n.expressions ?? []).map((e) => ({ f: compileNode(e, fns), nested: e.type === 'unary' && e.value === '[' }));
        return (ctx, env) => {
          const out: unknown[] = [];
          for (const it of items) {
            const v = it.f(ctx, env);
            if (v === undefined) continue;
            if (Array.isArray(v) && !it.nested) out.push(...v);
            else out.push(v);
          }
          return out;
        };
      }
      if (n.value === '{') {
        const pairs = (n.lhs as [Node, Node][]).map(([k, v]) => {
          if (k.type !== 'string') throw new Unsupported('computed key');
          return [String(k.value), compileNode(v, fns)] as const;
        });
        return (ctx, env) => {
          if (Array.isArray(ctx)) throw new Unsupported('object constructor over an array');
          const o: Record<string, unknown> = {};
          for (const [k, f] of pairs) {
            const v = f(ctx, env);
            if (v !== undefined) o[k] = v;
          }
          return o;
        };
      }
      if (n.value === '-') {
        const e = compileNode(n.expression!, fns);
        return (ctx, env) => {
          const v = e(ctx, env);
          return typeof v === 'number' ? -v : undefined;
        };
      }
      throw new Unsupported(`unary ${String(n.value)}`);
    }
    default:
      throw new Unsupported(n.type);
  }
}

/** Compiles a jsonata AST, or returns undefined when it uses anything outside the subset. */
export function compileFast(ast: unknown, fns: Record<string, (...a: never[]) => unknown>): Compiled | undefined {
  try {
    const f = compileNode(ast as Node, fns);
    // Unsupported cases found only at run time (deep equality, constructor over an array) throw too.
    return f;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

export { Unsupported };
