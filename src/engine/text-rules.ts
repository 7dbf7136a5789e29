/**
 * Only signable text enters a bill (issue 7 §4). Every string a HIS sends may end up in the signed
 * fiscal XML, the message store and the served download, and all three must hold the same bytes the
 * unit signed. Some characters break that or deceive the reader:
 *   - a lone UTF-16 surrogate has no UTF-8 form: each encoder replaces it its own way, so the stored
 *     text differs from the signed text and finance rejects the bill as tampered;
 *   - C0/C1 control characters (NUL…, DEL, U+0080–U+009F) are not XML text or print as nothing;
 *   - Unicode noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, U+nFFFE/F) are not for interchange;
 *   - bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) reorder what
 *     a person reads on the bill ("Trojan Source").
 * Identifiers (busNo, codes, card numbers) must also look like what they are: no zero-width or other
 * default-ignorable characters, no whitespace but the plain space U+0020. Otherwise "MZ001" and
 * "MZ001\u200B" (or "MZ001\u00A0") are two busNos that print alike — two bills for one settlement.
 * Plain spaces stay allowed, also first and last: HIS databases pad CHAR columns, and busNos that
 * differ by a trailing space are kept apart on every database (test/his/idempotency.test.ts).
 * And for every field, a value of nothing visible (spaces, U+3000, zero-width…) is blank (isBlank).
 *
 * The catalogue loader adds `signable: true` to every `type: string` schema (applyTextRules); a field
 * declares its exceptions beside it: `allowControls: [tab, newline]` (free-text remarks) or
 * `identifier: true`. Messages are the E1001 templates in codes.ts.
 */
import type Ajv from 'ajv';
import type { AnySchemaObject } from 'ajv';
import type { DataValidateFunction } from 'ajv/dist/types';

/** The controls a free-text field may allow, by the name the catalogue uses. */
export const ALLOWABLE_CONTROLS = { tab: 0x09, newline: 0x0a, cr: 0x0d } as const;
export type AllowableControl = keyof typeof ALLOWABLE_CONTROLS;

export interface TextRule {
  /** code points of the controls this field allows */
  allow: ReadonlySet<number>;
  identifier: boolean;
}

export type TextProblemKind = 'surrogate' | 'control' | 'nonCharacter' | 'bidi' | 'invisible' | 'space';

export interface TextProblem {
  kind: TextProblemKind;
  /** the character as U+XXXX */
  char: string;
  /** 1-based, counted in characters (code points) as a person counts them */
  position: number;
}

export const codePointLabel = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

const hex = (cp: number) => `\\u{${cp.toString(16)}}`;

/** One regex per rule finds the first offending character; classify() then says which rule it broke. */
function patternFor(rule: TextRule): RegExp {
  const c0: string[] = [];
  for (let cp = 0; cp <= 0x1f; cp++) if (!rule.allow.has(cp)) c0.push(hex(cp));
  const always = `[${c0.join('')}\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069\\p{Cs}\\p{Noncharacter_Code_Point}]`;
  // In identifiers: default-ignorable (zero-width, fillers, variation selectors…) and any whitespace but U+0020.
  return new RegExp(rule.identifier ? `${always}|\\p{Default_Ignorable_Code_Point}|[^\\S ]` : always, 'u');
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

function classify(cp: number, rule: TextRule): TextProblemKind {
  if (cp >= 0xd800 && cp <= 0xdfff) return 'surrogate';
  if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return 'control';
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 'nonCharacter';
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 'bidi';
  if (rule.identifier && !DEFAULT_IGNORABLE.test(String.fromCodePoint(cp))) return 'space';
  return 'invisible';
}

const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Nothing a reader would see: only white space (as String.prototype.trim counts it) and default-ignorables. */
export function isBlank(s: string): boolean {
  return s.trim() === '' || s.replace(INVISIBLE, '').trim() === '';
}

const compiled = new WeakMap<TextRule, RegExp>();

/** The first character of `s` the rule refuses, or undefined when every character may be signed. */
export function findTextProblem(s: string, rule: TextRule): TextProblem | undefined {
  let re = compiled.get(rule);
  if (!re) compiled.set(rule, (re = patternFor(rule)));
  const m = re.exec(s);
  if (!m) return undefined;
  const cp = s.codePointAt(m.index)!;
  // Counted in code points (a well-formed pair is one character); only on the error path.
  const position = [...s.slice(0, m.index)].length + 1;
  return { kind: classify(cp, rule), char: codePointLabel(cp), position };
}

/** The rule of one string schema, from its `allowControls` and `identifier` keywords. */
export function textRuleOf(schema: AnySchemaObject, where = 'schema'): TextRule {
  const names = (schema.allowControls ?? []) as unknown[];
  const allow = new Set<number>();
  for (const n of names) {
    if (typeof n !== 'string' || !(n in ALLOWABLE_CONTROLS))
      throw new Error(`${where}: allowControls ${JSON.stringify(n)} is unknown (known: ${Object.keys(ALLOWABLE_CONTROLS).join(', ')})`);
    allow.add(ALLOWABLE_CONTROLS[n as AllowableControl]);
  }
  const identifier = schema.identifier === true;
  if (identifier && allow.size) throw new Error(`${where}: an identifier cannot allow control characters`);
  return { allow, identifier };
}

const FREE_TEXT: TextRule = { allow: new Set(), identifier: false };

/** Same rule → same object, so a catalogue of hundreds of fields compiles a handful of regexes. */
function shared(rule: TextRule): TextRule {
  if (!rule.identifier && !rule.allow.size) return FREE_TEXT;
  const key = `${rule.identifier}:${[...rule.allow].sort().join(',')}`;
  let r = SHARED.get(key);
  if (!r) SHARED.set(key, (r = rule));
  return r;
}
const SHARED = new Map<string, TextRule>();

/**
 * Registers the keywords with an Ajv instance: `signable` checks, `identifier` and `allowControls`
 * only declare (strict mode must know them; their values are checked by their meta-schemas).
 */
export function addTextKeywords(ajv: Ajv): void {
  ajv.addKeyword({ keyword: 'identifier', schemaType: 'boolean' });
  ajv.addKeyword({
    keyword: 'allowControls',
    schemaType: 'array',
    metaSchema: { type: 'array', items: { enum: Object.keys(ALLOWABLE_CONTROLS) }, uniqueItems: true },
  });
  ajv.addKeyword({
    keyword: 'signable',
    type: 'string',
    schemaType: 'boolean',
    errors: true,
    compile(on: boolean, parent: AnySchemaObject): DataValidateFunction {
      const rule = shared(textRuleOf(parent));
      const check: DataValidateFunction = (s: string) => {
        if (!on) return true;
        const p = findTextProblem(s, rule);
        if (!p) return true;
        check.errors = [{ keyword: 'signable', message: p.kind, params: { ...p, allowed: [...rule.allow] } }];
        return false;
      };
      return check;
    },
  });
}

type Schema = Record<string, unknown>;

/**
 * The loader's pre-pass: every string schema of a request (and of the shared $defs) gets
 * `signable: true`, and misplaced text keywords are refused at load rather than ignored.
 */
export function applyTextRules(schema: Schema, where = ''): void {
  const isString = schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string'));
  if (isString) {
    schema.signable = true;
    textRuleOf(schema, where || '(root)');
  } else if (schema.identifier !== undefined || schema.allowControls !== undefined)
    throw new Error(`${where || '(root)'}: identifier/allowControls apply to type: string fields only`);
  const props = schema.properties as Record<string, Schema> | undefined;
  if (props) for (const [k, p] of Object.entries(props)) applyTextRules(p, where ? `${where}.${k}` : k);
  if (schema.items && typeof schema.items === 'object') applyTextRules(schema.items as Schema, `${where}[]`);
  const defs = schema.$defs as Record<string, Schema> | undefined;
  if (defs) for (const [k, d] of Object.entries(defs)) applyTextRules(d, `$defs.${k}`);
}
