/**
 * Generated hostile input (issue 7 "Must show"): fast-check builds at least 10,000 requests per run
 * over the JSON channel and the SOAP channel of one real medbill (real HTTP, keep-alive, many in
 * flight): hostile strings in every field of the outpatient request, wrong types, huge numbers, deep
 * nesting, oversize lists, unicode edge cases, broken envelopes, Base64 and signs, odd XML.
 *
 * For every case: a JSON answer is HTTP 200 with a signed envelope and a SOAP one is a well-formed
 * answer or fault; the result is a known code, never E9999, and never S0000 for input that breaks
 * a rule; a refusal explains itself in Chinese and shows no stack trace, internal path or host:port
 * (unless the request itself contained that text and the message quotes it); every refusal stored
 * names a field or the envelope; and the process is alive at the end.
 *
 * Replay a failure with MEDBILL_FUZZ_SEED=<seed printed by fast-check>.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { md5Sign } from '../../adapters/his/json/envelope';
import { parseXml, XNode } from '../../adapters/his/soap/soap-xml';
import { HIS_CODES } from '../../src/engine/codes';
import { Catalogue, JsonSchema } from '../../src/engine/catalogue';
import { callJson, decodeReply, DEMO_APPID, DEMO_KEY, envelope, Reply, startTestApp } from '../helpers/app';
import { usernameToken, WS_PATH, wrap } from '../his-soap/soap-helpers';
import { CHINESE, Json, sample, TestApp } from './his-helpers';

const JSON_RUNS = Number(process.env.MEDBILL_FUZZ_JSON_RUNS ?? 280);
const SOAP_RUNS = Number(process.env.MEDBILL_FUZZ_SOAP_RUNS ?? 120);
/** cases per property run, sent at once over the keep-alive pool */
const BATCH = 25;
/** The run's seed, printed in the test titles: MEDBILL_FUZZ_SEED=<it> replays the run. */
const SEED = process.env.MEDBILL_FUZZ_SEED === undefined ? (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0 : Number(process.env.MEDBILL_FUZZ_SEED);

// ---------------------------------------------------------------- what a refusal must never show

const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\bat [\w$.<>]+ \(|\n\s+at\s/g],
  ['a source position', /\.(ts|js):\d+/g],
  ['an internal path', /\/work\/|node_modules|\/dist\/|\/tmp\/|[A-Z]:\\/g],
  ['a host:port', /\b(?:\d{1,3}\.){3}\d{1,3}:\d+|localhost:\d+/g],
  ['an exception name', /\b(?:TypeError|RangeError|SyntaxError|ReferenceError|Error):/g],
];

/** Leak patterns in `message` that the request did not itself contain (an echo of input is no leak). */
function leaks(message: string, sent: string): string[] {
  const out: string[] = [];
  for (const [what, re] of LEAKS) for (const m of message.matchAll(re)) if (!sent.includes(m[0])) out.push(`${what}: ${m[0]}`);
  return out;
}

const KNOWN = new Set(Object.keys(HIS_CODES));

// ---------------------------------------------------------------- hostile values

/** Characters no string field may hold (or that an identifier may not). */
const FORBIDDEN = [
  '\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f',
  '\ud800', '\udbff', '\udc00', '\udfff', '\ufffe', '\uffff', '\ufdd0', '\ufdef', '\u{1fffe}', '\u{10ffff}',
  '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069',
];
/** Unusual but signable text: accepted in free text. */
const ODD_TEXT = ['\u3000', '\u00a0', '😀', '👨‍👩‍👧', '𠀀', 'e\u0301', '\ufffd', '\ue000', '\u200d', '\u200e', 'İ', 'ǅ', '&', '<', ']]>', '"', "'", '\\', '%00', '${x}', '{{x}}'];

const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Text of any UTF-16 units (lone surrogates included), of any code points, or of printable graphemes. */
const wildText = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(...ODD_TEXT),
);
/** A string with at least one forbidden character somewhere: every field must refuse it. */
// A lone high surrogate followed by text that starts with a low one would pair up into a valid character:
// keep them apart, so the forbidden character stays forbidden.
const forbiddenText = fc
  .tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom(...FORBIDDEN), wildText)
  .map(([a, bad, b]) => a + bad + (/[\ud800-\udbff]$/.test(bad) && /^[\udc00-\udfff]/.test(b) ? '!' : '') + b);

const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 5e-324, 1e21, 123456789012345.67),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 15, max: 400 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 1, max: 400 }).map((n) => `0.${'0'.repeat(n)}1`),
);

/** Structures where a scalar belongs: never coercible to a string, number or integer. */
const structure = fc.oneof(
  fc.constant({}),
  fc.constant([]),
  fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v === 'object' && v !== null) as fc.Arbitrary<object>,
  fc.integer({ min: 2, max: 1000 }).map(deepList),
);

const DEPTH = new WeakMap<object, number>();

/** Lists nested `depth` deep; shown as their depth in reports (fast-check and show() would recurse). */
function deepList(depth: number): unknown[] {
  const v = JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown[];
  DEPTH.set(v, depth);
  return Object.assign(v, { [fc.toStringMethod]: () => `[…${depth} nested lists…]` });
}

// ---------------------------------------------------------------- the outpatient request's fields

interface FieldRef {
  /** path into the sample: ['payer'] or ['chargeDetail', 1, 'amt'] */
  at: (string | number)[];
  required: boolean;
}

/** Every field of the request schema, at the items the sample has (lists absent from it get one item). */
function fieldsOf(cat: Catalogue, schema: JsonSchema, base: Json, prefix: (string | number)[] = []): FieldRef[] {
  const s = cat.resolve(schema);
  const required = new Set((s.required as string[] | undefined) ?? []);
  const out: FieldRef[] = [];
  for (const [name, raw] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) {
    const p = cat.resolve(raw);
    out.push({ at: [...prefix, name], required: required.has(name) });
    if (p.type === 'array' && p.items) {
      const items = (base[name] as Json[] | undefined) ?? [{}];
      items.forEach((item, i) => out.push(...fieldsOf(cat, p.items as JsonSchema, item, [...prefix, name, i])));
    }
  }
  return out;
}

function setAt(obj: Json, at: (string | number)[], v: unknown, remove = false): void {
  let cur: Record<string | number, unknown> = obj;
  for (const k of at.slice(0, -1)) {
    if (cur[k] === undefined || cur[k] === null || typeof cur[k] !== 'object') cur[k] = typeof k === 'number' ? {} : [{}];
    cur = cur[k] as Record<string | number, unknown>;
  }
  const last = at[at.length - 1];
  if (remove) delete cur[last];
  else cur[last] = v;
}

// ---------------------------------------------------------------- cases

type Mutation =
  | { m: 'set'; at: (string | number)[]; value: unknown; refuse: boolean }
  | { m: 'delete'; at: (string | number)[]; refuse: boolean }
  | { m: 'extraKey'; key: string; value: unknown }
  | { m: 'bigList'; list: 'chargeDetail' | 'listDetail' | 'payChannelDetail' | 'otherInfo'; n: number; item: unknown };

type EnvelopeBreak =
  | { e: 'badSign' }
  | { e: 'dropField'; field: string }
  | { e: 'fieldValue'; field: string; value: unknown }
  | { e: 'badBase64'; data: string }
  | { e: 'notJsonData'; text: string }
  | { e: 'nonObjectData'; value: unknown }
  | { e: 'badUtf8' }
  | { e: 'body'; body: string }
  | { e: 'bytes'; bytes: number[] }
  | { e: 'unknownService'; id: string };

type JsonCase =
  | { c: 'outpatient'; mutations: Mutation[]; refuse: boolean }
  | { c: 'lookup'; service: 'getEBillByBusNo' | 'getEBillStatesByBillInfo' | 'testServerConnect'; field: string; value: unknown; refuse: boolean }
  | { c: 'envelope'; service: string; brk: EnvelopeBreak };

function mutationArb(fields: FieldRef[]): fc.Arbitrary<Mutation> {
  const field = fc.constantFrom(...fields);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ f: field, value: forbiddenText }).map(({ f, value }): Mutation => ({ m: 'set', at: f.at, value, refuse: true })) },
    { weight: 2, arbitrary: fc.record({ f: field, value: structure }).map(({ f, value }): Mutation => ({ m: 'set', at: f.at, value, refuse: !isList(f.at) })) },
    { weight: 2, arbitrary: fc.record({ f: field, value: hugeNumber }).map(({ f, value }): Mutation => ({ m: 'set', at: f.at, value, refuse: isList(f.at) })) },
    { weight: 2, arbitrary: fc.record({ f: field, value: fc.oneof(wildText, fc.boolean(), fc.constant(null)) }).map(({ f, value }): Mutation => ({ m: 'set', at: f.at, value, refuse: false })) },
    { weight: 1, arbitrary: field.filter((f) => f.required).map((f): Mutation => ({ m: 'delete', at: f.at, refuse: true })) },
    { weight: 1, arbitrary: fc.record({ key: fc.oneof(wildText, fc.constantFrom('__proto__', 'constructor', 'prototype', '', 'toString')), value: fc.jsonValue({ maxDepth: 4 }) }).map(({ key, value }): Mutation => ({ m: 'extraKey', key, value })) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          list: fc.constantFrom('chargeDetail', 'listDetail', 'payChannelDetail', 'otherInfo') as fc.Arbitrary<keyof typeof MAX_ITEMS>,
          // just over the limit, 100,000 (the case), or exactly at it with bad items (the error budget)
          size: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 300 }) }, { weight: 1, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.constant(0) }),
          item: fc.constantFrom({}, 0, null, 'x'),
        })
        .map(({ list, size, item }): Mutation => ({ m: 'bigList', list, n: size < 0 ? 100_000 : MAX_ITEMS[list] + size, item })),
    },
  );
}

const LISTS = new Set(['chargeDetail', 'listDetail', 'payChannelDetail', 'otherInfo', 'otherMedicalList']);
const isList = (at: (string | number)[]) => at.length === 1 && LISTS.has(String(at[0]));

const MAX_ITEMS = { chargeDetail: 200, listDetail: 5000, payChannelDetail: 50, otherInfo: 100 } as const;

const pathOf = (m: Mutation): (string | number)[] => (m.m === 'set' || m.m === 'delete' ? m.at : m.m === 'bigList' ? [m.list] : [m.key]);
const overlaps = (a: (string | number)[], b: (string | number)[]) => a.slice(0, Math.min(a.length, b.length)).every((k, i) => k === b[i]);

/**
 * Does the request certainly break a rule once all mutations are applied? A breaking mutation counts
 * only if no later one rewrites the same place. In typed SOAP, structures travel as elements (an empty
 * one is an empty string), so only text and counts are certain there.
 */
function refuses(ms: Mutation[], typed: boolean): boolean {
  return ms.some((m, i) => {
    const breaks =
      (m.m === 'set' && m.refuse && !(typed && typeof m.value === 'object')) || (m.m === 'delete' && m.refuse) || (m.m === 'bigList' && m.n > MAX_ITEMS[m.list]);
    return breaks && !ms.slice(i + 1).some((later) => overlaps(pathOf(m), pathOf(later)));
  });
}

const SAMPLE = sample();

/** A fresh copy of a generated value (deep lists stay deep lists, with their short description). */
const copy = (v: unknown): unknown => (typeof v !== 'object' || v === null ? v : DEPTH.has(v) ? deepList(DEPTH.get(v)!) : structuredClone(v));

/** The outpatient request a case sends (its own busNo, so cases do not collide). */
function outpatientData(mutations: Mutation[], busNo: string): Json {
  const s: Json = { ...structuredClone(SAMPLE), busNo };
  for (const mu of mutations) {
    // Values are copied: fc.constant({}) hands out ONE object, which setAt would otherwise grow case after case.
    if (mu.m === 'set') setAt(s, mu.at, copy(mu.value));
    else if (mu.m === 'delete') setAt(s, mu.at, undefined, true);
    else if (mu.m === 'extraKey') Object.defineProperty(s, mu.key, { value: copy(mu.value), enumerable: true, configurable: true, writable: true });
    // distinct items: a later mutation of one item must not be copied 100,000 times into the body
    else s[mu.list] = Array.from({ length: mu.n }, () => copy(mu.item));
  }
  return s;
}

function jsonCaseArb(fields: FieldRef[]): fc.Arbitrary<JsonCase> {
  const muts = fc.array(mutationArb(fields), { minLength: 1, maxLength: 3 });
  const lookupField: Record<string, string[]> = { getEBillByBusNo: ['busNo', 'busDateTime'], getEBillStatesByBillInfo: ['billBatchCode', 'billNo'], testServerConnect: ['testValue'] };
  const envField = fc.constantFrom('appid', 'data', 'noise', 'version', 'sign');
  const brk: fc.Arbitrary<EnvelopeBreak> = fc.oneof(
    fc.constant<EnvelopeBreak>({ e: 'badSign' }),
    envField.map((field): EnvelopeBreak => ({ e: 'dropField', field })),
    fc.record({ field: fc.constantFrom('appid', 'noise', 'version', 'sign'), value: fc.oneof(wildText, forbiddenText, structure, hugeNumber, fc.boolean()) }).map((r): EnvelopeBreak => ({ e: 'fieldValue', ...r })),
    fc.oneof(fc.string({ unit: anyUnit, maxLength: 40 }), fc.constantFrom('====', 'A', 'ab=c', '%%%', '\u0000')).map((data): EnvelopeBreak => ({ e: 'badBase64', data })),
    fc.oneof(wildText, fc.constantFrom('{', '{"a":', '[1,', 'null x', '\ufeff{')).filter((t) => { try { JSON.parse(t); return false; } catch { return true; } }).map((text): EnvelopeBreak => ({ e: 'notJsonData', text })),
    fc.oneof(fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)), structure.filter(Array.isArray)).map((value): EnvelopeBreak => ({ e: 'nonObjectData', value })),
    fc.constant<EnvelopeBreak>({ e: 'badUtf8' }),
    fc.oneof(wildText, fc.json(), fc.constantFrom('', '{}', '[]', 'appid=&data=', 'a=%zz', '{"appid":1}', '\ufeff', '{"appid":"MEDBILL-DEMO","data":null}')).map((body): EnvelopeBreak => ({ e: 'body', body })),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }).map((bytes): EnvelopeBreak => ({ e: 'bytes', bytes })),
    fc.oneof(wildText, fc.constantFrom('../../etc/passwd', '%2e%2e%2f', 'invoiceebilloutpatient', 'invoiceEBillOutpatient%00', '%E0%A4%A')).map((id): EnvelopeBreak => ({ e: 'unknownService', id: `x${id}` })),
  );
  return fc.oneof(
    { weight: 6, arbitrary: muts.map((mutations): JsonCase => ({ c: 'outpatient', mutations, refuse: refuses(mutations, false) })) },
    {
      weight: 2,
      arbitrary: fc
        .record({ service: fc.constantFrom('getEBillByBusNo', 'getEBillStatesByBillInfo', 'testServerConnect') as fc.Arbitrary<'getEBillByBusNo' | 'getEBillStatesByBillInfo' | 'testServerConnect'>, i: fc.nat(), bad: fc.boolean(), value: fc.oneof(forbiddenText, structure), other: fc.oneof(wildText, hugeNumber) })
        .map(({ service, i, bad, value, other }): JsonCase => {
          const fs = lookupField[service];
          return bad ? { c: 'lookup', service, field: fs[i % fs.length], value, refuse: true } : { c: 'lookup', service, field: fs[i % fs.length], value: other, refuse: false };
        }),
    },
    { weight: 3, arbitrary: fc.record({ service: fc.constantFrom('invoiceEBillOutpatient', 'testServerConnect'), brk }).map((r): JsonCase => ({ c: 'envelope', ...r })) },
  );
}

function lookupData(service: string, field: string, value: unknown): Json {
  const base: Record<string, Json> = {
    getEBillByBusNo: { busNo: 'FUZZ-NONE', busDateTime: '20261125093015123' },
    getEBillStatesByBillInfo: { billBatchCode: '44060126', billNo: '9999999999' },
    testServerConnect: { testValue: 'fuzz' },
  };
  return { ...base[service], [field]: value };
}

let seq = 0;
const nextBusNo = () => `FZ${process.pid}-${(seq++).toString(36)}`;

/** The body, URL path and headers a JSON case sends. */
function jsonRequest(c: JsonCase): { service: string; body: Buffer | string; contentType?: string } {
  if (c.c === 'outpatient') return { service: 'invoiceEBillOutpatient', body: JSON.stringify(envelope(outpatientData(c.mutations, nextBusNo()))) };
  if (c.c === 'lookup') return { service: c.service, body: JSON.stringify(envelope(lookupData(c.service, c.field, c.value))) };
  const data = c.service === 'testServerConnect' ? { testValue: 'fuzz' } : { ...structuredClone(SAMPLE), busNo: nextBusNo() };
  const env: Record<string, unknown> = { ...envelope(data) };
  const resign = (b64: string) => ({ ...env, data: b64, sign: md5Sign(DEMO_APPID, b64, String(env.noise), DEMO_KEY) });
  const b = c.brk;
  switch (b.e) {
    case 'badSign':
      return { service: c.service, body: JSON.stringify({ ...env, sign: String(env.sign).replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) }) };
    case 'dropField': {
      const { [b.field]: _dropped, ...rest } = env;
      return { service: c.service, body: JSON.stringify(rest) };
    }
    case 'fieldValue':
      return { service: c.service, body: JSON.stringify({ ...env, [b.field]: b.value }) };
    case 'badBase64':
      return { service: c.service, body: JSON.stringify(resign(`${b.data}*`)) };
    case 'notJsonData':
      return { service: c.service, body: JSON.stringify(resign(Buffer.from(b.text, 'utf8').toString('base64'))) };
    case 'nonObjectData':
      return { service: c.service, body: JSON.stringify(resign(Buffer.from(JSON.stringify(b.value) ?? 'null', 'utf8').toString('base64'))) };
    case 'badUtf8':
      return { service: c.service, body: JSON.stringify(resign(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x22, 0x7d]).toString('base64'))) };
    case 'body':
      return { service: c.service, body: b.body, contentType: 'application/json' };
    case 'bytes':
      return { service: c.service, body: Buffer.from(b.bytes), contentType: 'application/octet-stream' };
    case 'unknownService':
      return { service: urlPath(b.id), body: JSON.stringify(env) };
  }
}

/** Percent-encodes the UTF-8 bytes of a path segment but keeps '%' as is, so malformed escapes get through. */
function urlPath(id: string): string {
  return Array.from(Buffer.from(id, 'utf8'), (byte) => (/[A-Za-z0-9%._~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Must `c` be refused? Every envelope break is (the sign covers appid, data, noise and version). */
function mustRefuse(c: JsonCase): boolean {
  return c.c === 'envelope' || c.refuse;
}

// ---------------------------------------------------------------- SOAP cases

type SoapCase =
  | { s: 'envelopeOp'; version: '1.1' | '1.2'; mutations: Mutation[]; refuse: boolean }
  | { s: 'typed'; version: '1.1' | '1.2'; mutations: Mutation[]; refuse: boolean }
  | { s: 'odd'; version: '1.1' | '1.2'; odd: OddXml; refuse: boolean };

/** Any text as XML character data: markup escaped, every character outside printable ASCII/CJK as a character reference. */
function xmlData(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffe || cp === 0xffff || (cp >= 0x2000 && cp <= 0x206f) || cp >= 0xfdd0) out += `&#x${cp.toString(16)};`;
    else out += ch;
  }
  return out;
}

function typedXml(v: unknown, name: string): string {
  const depth = typeof v === 'object' && v !== null ? DEPTH.get(v) : undefined;
  if (depth !== undefined) return `<t:${name}>`.repeat(depth) + `</t:${name}>`.repeat(depth);
  if (Array.isArray(v)) return v.length ? v.map((x) => typedXml(x, name)).join('') : `<t:${name}/>`;
  if (v && typeof v === 'object') return `<t:${name}>${Object.entries(v).map(([k, x]) => (/^[A-Za-z_][\w.-]*$/.test(k) ? typedXml(x, k) : '')).join('')}</t:${name}>`;
  if (v === null || v === undefined) return `<t:${name} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>`;
  return `<t:${name}>${xmlData(String(v))}</t:${name}>`;
}

function envelopeOpXml(op: string, data: unknown, version: '1.1' | '1.2'): string {
  const env = envelope(data);
  const kids = Object.entries(env).map(([k, v]) => `<t:${k}>${xmlData(String(v))}</t:${k}>`).join('');
  return wrap(`<t:${op}>${kids}</t:${op}>`, version);
}

const CUT_CALL = envelopeOpXml('testServerConnect', { testValue: 'cut' }, '1.1');

const FIXED_ODD = [
  '<',
  '<<>>',
  '<?xml version="1.0"?>',
  '<a/>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
  '<s:Envelope xmlns:s="urn:not-soap"><s:Body><x/></s:Body></s:Envelope>',
  '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><t:testServerConnect xmlns:t="urn:other"/></s:Body></s:Envelope>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><t:nope xmlns:t="http://medbill.local/ws/EBillService"/></s:Body></s:Envelope>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a/><b/></s:Body></s:Envelope>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h s:mustUnderstand="1" xmlns="urn:h"/></s:Header><s:Body><a/></s:Body></s:Envelope>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:x/></s:Body></s:Envelope>',
  '<a>&unknown;</a>',
  '<a>&#0;</a>',
  '<a>&#xD800;</a>',
  '<a b="1" b="2"/>',
  '\ufeff\ufeff<a/>',
];

/** XML that is not a proper call (described small; built when sent). */
type OddXml =
  | { k: 'cut'; n: number }
  | { k: 'text'; xml: string }
  | { k: 'fixed'; i: number }
  | { k: 'deep'; n: number }
  | { k: 'bigTyped'; n: number }
  | { k: 'around'; extra: string };

const oddXml: fc.Arbitrary<OddXml> = fc.oneof(
  // a valid call cut short
  fc.integer({ min: 0, max: CUT_CALL.length - 1 }).map((n): OddXml => ({ k: 'cut', n })),
  fc.oneof(fc.string({ unit: anyUnit, maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })).map((xml): OddXml => ({ k: 'text', xml })),
  fc.integer({ min: 0, max: FIXED_ODD.length - 1 }).map((i): OddXml => ({ k: 'fixed', i })),
  // deep nesting inside the operation
  fc.integer({ min: 60, max: 3000 }).map((n): OddXml => ({ k: 'deep', n })),
  // a typed request with a list far over its maxItems
  fc.integer({ min: 201, max: 2000 }).map((n): OddXml => ({ k: 'bigTyped', n })),
  // comments and processing instructions around a valid call: may pass
  fc.constantFrom('<!-- c -->', '<?pi x?>', '').map((extra): OddXml => ({ k: 'around', extra })),
);

function oddText(o: OddXml): string {
  switch (o.k) {
    case 'cut':
      return CUT_CALL.slice(0, o.n);
    case 'text':
      return o.xml;
    case 'fixed':
      return FIXED_ODD[o.i];
    case 'deep':
      return wrap(`<t:testServerConnect>${'<t:x>'.repeat(o.n)}${'</t:x>'.repeat(o.n)}</t:testServerConnect>`);
    case 'bigTyped':
      return wrap(`<t:invoiceEBillOutpatientTyped><t:request>${'<t:chargeDetail/>'.repeat(o.n)}</t:request></t:invoiceEBillOutpatientTyped>`, '1.1', usernameToken());
    case 'around':
      return envelopeOpXml('testServerConnect', { testValue: 'ok' }, '1.1').replace('<s:Body>', `<s:Body>${o.extra}`);
  }
}

function soapCaseArb(fields: FieldRef[]): fc.Arbitrary<SoapCase> {
  const version = fc.constantFrom('1.1', '1.2') as fc.Arbitrary<'1.1' | '1.2'>;
  // Typed values travel as elements: no extra JSON keys; a list of nil items would be no list at all;
  // lists stay under ~20,000 elements (the body limit decides beyond that, as for any big body).
  const typedMut = mutationArb(fields).filter((m) => m.m !== 'extraKey' && !(m.m === 'bigList' && (m.item === null || m.n > 20_000)));
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ version, mutations: fc.array(mutationArb(fields), { minLength: 1, maxLength: 3 }) }).map((r): SoapCase => ({ s: 'envelopeOp', ...r, refuse: refuses(r.mutations, false) })) },
    { weight: 4, arbitrary: fc.record({ version, mutations: fc.array(typedMut, { minLength: 1, maxLength: 3 }) }).map((r): SoapCase => ({ s: 'typed', ...r, refuse: refuses(r.mutations, true) })) },
    { weight: 3, arbitrary: fc.record({ version, odd: oddXml }).map(({ version: v, odd }): SoapCase => ({ s: 'odd', version: v, odd, refuse: odd.k !== 'around' })) },
  );
}

function soapRequest(c: SoapCase): string {
  if (c.s === 'odd') return oddText(c.odd);
  const data = outpatientData(c.mutations, nextBusNo());
  if (c.s === 'envelopeOp') return envelopeOpXml('invoiceEBillOutpatient', data, c.version);
  return wrap(`<t:invoiceEBillOutpatientTyped>${typedXml(data, 'request')}</t:invoiceEBillOutpatientTyped>`, c.version, usernameToken());
}

// ---------------------------------------------------------------- checking one answer

interface Outcome {
  result: string;
  message: string;
}

function checkOutcome(o: Outcome, sent: string, refuse: boolean, what: string): void {
  assert.ok(KNOWN.has(o.result), `unknown result code ${o.result}: ${what}`);
  assert.notEqual(o.result, 'E9999', `internal error (a crash in disguise): ${o.message} — ${what}`);
  if (refuse) assert.notEqual(o.result, 'S0000', `input that breaks a rule was accepted — ${what}`);
  if (o.result === 'S0000') return;
  assert.match(o.message, CHINESE, `refusal without Chinese: ${o.message} — ${what}`);
  const l = leaks(o.message, sent);
  assert.deepEqual(l, [], `refusal shows ${l.join(', ')}: ${o.message} — ${what}`);
}

function show(c: unknown): string {
  const s = JSON.stringify(c, (_k, v: unknown) =>
    Array.isArray(v) && fc.hasToStringMethod(v) ? v[fc.toStringMethod]() : Array.isArray(v) && v.length > 20 ? `[${v.length} items]` : v,
  );
  return s.length > 600 ? `${s.slice(0, 600)}…` : s;
}

async function sendJson(app: TestApp, c: JsonCase): Promise<void> {
  const r = jsonRequest(c);
  const what = show(c);
  const res = await fetch(`${app.baseUrl}/medical-web/api/medical/${r.service}`, { method: 'POST', headers: { 'content-type': r.contentType ?? 'application/json' }, body: r.body }).catch((e: Error) => {
    throw new Error(`no HTTP answer (${String(e.cause ?? e.message)}) — ${what}`);
  });
  const text = await res.text();
  assert.equal(res.status, 200, `HTTP ${res.status} — ${what}`);
  let reply: Reply;
  try {
    reply = decodeReply(res.status, JSON.parse(text) as Reply['raw']);
  } catch (e) {
    assert.fail(`not a signed JSON envelope (${(e as Error).message}): ${text.slice(0, 200)} — ${what}`);
  }
  // signed with the caller's key, or unsigned when no caller could be known (unknown or missing appid)
  assert.ok(reply.signOk || reply.raw.sign === '', `answer signed wrongly — ${what}`);
  const sent = typeof r.body === 'string' ? r.body + safeDecode(r.service) + dataText(r.body) : r.body.toString('latin1');
  checkOutcome({ result: reply.result, message: reply.text }, sent, mustRefuse(c), what);
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** What `data` decodes to, so a message that quotes the business data is not taken for a leak. */
function dataText(body: string): string {
  try {
    const d = (JSON.parse(body) as { data?: unknown }).data;
    return typeof d === 'string' ? Buffer.from(d, 'base64').toString('utf8') : '';
  } catch {
    return '';
  }
}

async function sendSoap(app: TestApp, c: SoapCase): Promise<void> {
  const xml = soapRequest(c);
  const ct = c.version === '1.2' ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8';
  const what = show(c);
  const res = await fetch(app.baseUrl + WS_PATH, { method: 'POST', headers: { 'content-type': ct, soapaction: '""' }, body: xml }).catch((e: Error) => {
    throw new Error(`no HTTP answer (${String(e.cause ?? e.message)}) — ${what}`);
  });
  const text = await res.text();
  assert.ok([200, 400, 500].includes(res.status), `HTTP ${res.status} — ${what}`);
  assert.match(res.headers.get('content-type') ?? '', /xml/, what);
  let root: XNode;
  try {
    root = parseXml(text);
  } catch (e) {
    assert.fail(`the answer is not well-formed XML (${(e as Error).message}): ${text.slice(0, 300)} — ${what}`);
  }
  const body = root.children.find((n) => n.local === 'Body');
  assert.ok(body && body.children.length === 1, `no single Body child — ${what}`);
  const el = body.children[0];
  const kid = (n: XNode | undefined, local: string) => n?.children.find((x) => x.local === local);
  const sent = xml + safeEnvelopeData(xml);
  if (el.local === 'Fault') {
    assert.notEqual(res.status, 200, `a fault with HTTP 200 — ${what}`);
    const reason = kid(el, 'faultstring')?.text ?? kid(kid(el, 'Reason'), 'Text')?.text ?? '';
    const detail = kid(el, 'detail') ?? kid(el, 'Detail');
    const result = kid(kid(detail, 'fault'), 'result')?.text ?? '';
    checkOutcome({ result, message: reason }, sent, true, what);
    return;
  }
  assert.equal(res.status, 200, `an answer that is not HTTP 200 — ${what}`);
  if (el.local === 'invoiceEBillOutpatientResponse' || el.local === 'testServerConnectResponse') {
    const reply = decodeReply(200, { data: kid(el, 'data')?.text, noise: kid(el, 'noise')?.text, sign: kid(el, 'sign')?.text });
    assert.ok(reply.signOk || reply.raw.sign === '', `answer signed wrongly — ${what}`);
    checkOutcome({ result: reply.result, message: reply.text }, sent, c.refuse, what);
    return;
  }
  const resp = kid(el, 'response');
  assert.ok(resp, `unexpected answer <${el.local}> — ${what}`);
  checkOutcome({ result: kid(resp, 'result')?.text ?? '', message: kid(resp, 'message')?.text ?? '' }, sent, c.refuse, what);
}

/** The JSON inside an envelope operation's data element. */
function safeEnvelopeData(xml: string): string {
  const m = /<t:data>([^<]*)<\/t:data>/.exec(xml);
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
}

// ---------------------------------------------------------------- the run

describe(`generated hostile input over JSON and SOAP (fast-check seed ${SEED}, one app, real HTTP)`, function () {
  this.timeout(600_000);
  let app: TestApp;
  let fields: FieldRef[];
  let sent = 0;

  before(async () => {
    app = await startTestApp();
    fields = fieldsOf(app.services.catalogue, app.services.catalogue.services.get('invoiceEBillOutpatient')!.request, SAMPLE);
  });
  after(async () => app?.stop());

  it(`JSON channel: ${JSON_RUNS * BATCH} generated requests, each answered cleanly`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonCaseArb(fields), { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        await Promise.all(cases.map((c) => sendJson(app, c)));
        sent += cases.length;
      }),
      { numRuns: JSON_RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it(`SOAP channel: ${SOAP_RUNS * BATCH} generated requests, each a well-formed answer or fault`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(soapCaseArb(fields), { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        await Promise.all(cases.map((c) => sendSoap(app, c)));
        sent += cases.length;
      }),
      { numRuns: SOAP_RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('at least 10,000 cases ran; every stored refusal names a field or the envelope; the process still serves', async () => {
    assert.ok(sent >= 10_000 || JSON_RUNS * BATCH + SOAP_RUNS * BATCH < 10_000, `only ${sent} cases ran`);
    await app.services.writer.drain();
    const rows = (await app.services.db('messages').select('error_code', 'error').whereIn('status', ['failed', 'rejected'])) as { error_code: string; error: string }[];
    assert.ok(rows.length > sent / 2, `${rows.length} refusals stored for ${sent} cases`);
    const unnamed = rows.filter((r) => !/ \[field=.+\]$/s.test(r.error ?? '') && HIS_CODES[r.error_code as keyof typeof HIS_CODES]?.class !== 'Busy');
    assert.deepEqual(unnamed.slice(0, 5), [], `${unnamed.length} stored refusals name no field`);
    const codes = new Set(rows.map((r) => r.error_code));
    for (const c of ['E0001', 'E0003', 'E0004', 'E0005', 'E1001']) assert.ok(codes.has(c), `the generators never produced ${c}: ${[...codes].join(' ')}`);
    const ok = await callJson(app.baseUrl, 'testServerConnect', { testValue: 'alive' });
    assert.equal(ok.result, 'S0000');
    assert.ok(app.server?.listening);
  });
});
