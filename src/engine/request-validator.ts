/**
 * Bounded request validation (issue 7 §5): the work one request can cause is fixed by its service's
 * catalogue entry, not by what the HIS sends.
 *   1. List sizes first: every list's maxItems is checked (nested lists too) before any item is
 *      looked at, so 100,000 items cost a length comparison, not 100,000 validations.
 *   2. Items one by one, stopping after a few errors: the schema is split at its lists of objects; the
 *      object itself is validated without its lists' items, then each item by its own validator, and
 *      validation stops once ERROR_BUDGET errors are in hand (before: 5,000 empty items gave 26,400
 *      errors and each was described, ~100 ms).
 * Ajv still does every check; this module only decides what it runs over and when to stop.
 */
import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';

type Schema = Record<string, unknown>;

/** Errors collected before validation stops; the first ones are reported, the rest counted. */
export const ERROR_BUDGET = 10;

interface ListPlan {
  prop: string;
  maxItems: number;
  /** validator of one item (lists of objects); absent when the list's own validator checks its items */
  item?: Plan;
}

interface Plan {
  check: ValidateFunction;
  lists: ListPlan[];
}

export interface Oversize {
  /** Ajv-style instance path of the list, e.g. "/chargeDetail" */
  instancePath: string;
  limit: number;
  count: number;
}

export interface Collected {
  errors: ErrorObject[];
  /** true when validation stopped at the budget (more errors may exist) */
  stopped: boolean;
}

export interface RequestValidator {
  /** The first list longer than its maxItems, found without looking at any item. */
  oversize(data: Record<string, unknown>): Oversize | undefined;
  /** Validates (coercing in place, as Ajv is configured); stops after ERROR_BUDGET errors. */
  collect(data: Record<string, unknown>): Collected;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Compiles the plan of one request schema. `idBase` names the compiled pieces (relative `$ref`s such
 * as `common#/$defs/x` resolve against it); `resolve` expands those `$ref`s for the planner.
 */
export function compileRequestValidator(ajv: Ajv, schema: Schema, idBase: string, resolve: (s: Schema) => Schema): RequestValidator {
  let n = 0;
  const plan = (s: Schema, where: string): Plan => {
    const props = s.properties as Record<string, Schema> | undefined;
    const lists: ListPlan[] = [];
    const shallowProps: Record<string, Schema> = {};
    for (const [prop, raw] of Object.entries(props ?? {})) {
      const p = resolve(raw);
      if (p.type !== 'array') {
        shallowProps[prop] = raw;
        continue;
      }
      const at = where ? `${where}.${prop}` : prop;
      if (typeof p.maxItems !== 'number') throw new Error(`${at}: a request list needs maxItems (the bound on the work one request can cause)`);
      const items = p.items && typeof p.items === 'object' ? resolve(p.items as Schema) : undefined;
      if (items && items.type === 'object') {
        // The list keeps its own keywords (type, minItems, maxItems); its items get their own validator.
        const { items: _items, ...own } = p;
        shallowProps[prop] = own;
        lists.push({ prop, maxItems: p.maxItems, item: plan(items, `${at}[]`) });
      } else {
        shallowProps[prop] = raw;
        lists.push({ prop, maxItems: p.maxItems });
      }
    }
    const shallow = props ? { ...s, properties: shallowProps } : s;
    return { check: ajv.compile({ ...shallow, $id: `${idBase}~${n++}` }), lists };
  };
  const root = plan(schema, '');

  const oversize = (p: Plan, data: Record<string, unknown>, prefix: string): Oversize | undefined => {
    for (const l of p.lists) {
      const v = data[l.prop];
      if (!Array.isArray(v)) continue;
      if (v.length > l.maxItems) return { instancePath: `${prefix}/${l.prop}`, limit: l.maxItems, count: v.length };
      if (l.item?.lists.length)
        for (let i = 0; i < v.length; i++) {
          const item: unknown = v[i];
          if (!isObject(item)) continue;
          const r = oversize(l.item, item, `${prefix}/${l.prop}/${i}`);
          if (r) return r;
        }
    }
    return undefined;
  };

  const collect = (p: Plan, data: unknown, prefix: string, out: ErrorObject[]): boolean => {
    if (!p.check(data)) for (const e of p.check.errors ?? []) out.push(prefix ? { ...e, instancePath: prefix + e.instancePath } : e);
    if (out.length >= ERROR_BUDGET) return true;
    if (!isObject(data)) return false;
    for (const l of p.lists) {
      const v = data[l.prop];
      if (!l.item || !Array.isArray(v)) continue;
      for (let i = 0; i < v.length; i++) if (collect(l.item, v[i], `${prefix}/${l.prop}/${i}`, out)) return true;
    }
    return false;
  };

  return {
    oversize: (data) => oversize(root, data, ''),
    collect(data) {
      const errors: ErrorObject[] = [];
      const stopped = collect(root, data, '', errors);
      return { errors, stopped };
    },
  };
}
