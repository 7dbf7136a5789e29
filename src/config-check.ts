/**
 * Checks the merged configuration against config/config.schema.yaml and reports each problem where
 * the value came from: file:line:col of config/default.yaml or the MEDBILL_CONFIG file that set it, the
 * environment variable (`env MEDBILL_PORT=abc`), or the programmatic overrides. Codes CONFIG_*.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { validate as validCron } from 'node-cron';
import { parse } from 'yaml';
import { JSON_TYPE_ZH, suggestionHint } from './engine/codes';
import { Loc, pointerPath, Problems, suggest } from './engine/lint';
import type { YamlSource } from './engine/yaml-source';

type Plain = Record<string, unknown>;
type Path = (string | number)[];
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Variables whose value is never printed (passwords, keys, URLs with credentials). */
const SECRET_ENV = new Set(['MEDBILL_CA_PASSWORD', 'MEDBILL_CALLERS', 'MEDBILL_CHECK_CODE_SECRET', 'MEDBILL_DB_URL']);

export const envLoc = (name: string, value: string): Loc => ({ file: SECRET_ENV.has(name) ? `env ${name}` : `env ${name}=${value}`, line: 0, col: 0 });
export const OVERRIDES_LOC: Loc = { file: 'loadConfig overrides', line: 0, col: 0 };

/** Where the configuration came from, in the order it was merged (later wins). */
export interface ConfigLayers {
  defaults?: YamlSource;
  file?: YamlSource;
  /** environment variables by the path they set (a path prefix for MEDBILL_CALLERS' extra callers) */
  env: { path: Path; loc: Loc; fromIndex?: number }[];
  overrides: Plain;
  /** where a value no layer owns is reported (default: the top of default.yaml) */
  fallback?: Loc;
}

/** Whether `data` set the value at `at` (arrays are replaced whole by a later layer, so owning one owns all under it). */
function owns(data: unknown, at: Path): boolean {
  let cur = data;
  for (const seg of at) {
    if (Array.isArray(cur)) return true;
    if (!isPlain(cur) || !(String(seg) in cur)) return false;
    cur = cur[String(seg)];
  }
  return true;
}

export function locate(layers: ConfigLayers, at: Path, key = false): Loc {
  if (owns(layers.overrides, at)) return OVERRIDES_LOC;
  for (const e of [...layers.env].reverse()) {
    const prefix = at.slice(0, e.path.length);
    if (prefix.length !== e.path.length || prefix.some((s, i) => String(s) !== String(e.path[i]))) continue;
    if (e.fromIndex === undefined || Number(at[e.path.length] ?? -1) >= e.fromIndex) return e.loc;
  }
  for (const src of [layers.file, layers.defaults]) if (src && owns(src.data, at)) return src.loc(at, key);
  return layers.fallback ?? layers.defaults?.loc([]) ?? OVERRIDES_LOC;
}

const FORMATS: Record<string, { test: (s: string) => boolean; zh: string }> = {
  // The units of durationMs (config.ts), which reads these values.
  duration: { test: (s) => /^\d+(?:\.\d+)?(ms|s|m|h|d)$/.test(s.trim()), zh: '时长，如 250ms、5s、2m、1h、7d' },
  cron: { test: (s) => validCron(s), zh: 'cron 表达式，如 */1 * * * *' },
};

let compiled: ValidateFunction | undefined;

/** The schema, compiled once per process (strict: the schema file itself must use known keywords). */
export function configValidator(root: string): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
  for (const [name, f] of Object.entries(FORMATS)) ajv.addFormat(name, f.test);
  const schema = parse(readFileSync(path.join(root, 'config', 'config.schema.yaml'), 'utf8')) as Plain;
  compiled = ajv.compile(schema);
  return compiled;
}

/** server.port, callers[0].key */
export const dotted = (at: Path): string => at.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');

function report(e: ErrorObject, layers: ConfigLayers, problems: Problems): void {
  const at = pointerPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Plain;
  const here = locate(layers, at);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((parent.properties as Plain | undefined) ?? {});
      const full = [...at, key];
      problems.add(locate(layers, full, true), 'CONFIG_UNKNOWN_KEY', dotted(full), { key }, suggestionHint(suggest(key, known), known.length ? known : undefined));
      return;
    }
    case 'required':
      problems.add(here, 'CONFIG_MISSING_KEY', dotted(at), { key: String(p.missingProperty) });
      return;
    case 'type':
      problems.add(here, 'CONFIG_TYPE', dotted(at), { expected: String(p.type).split(',').map((t) => JSON_TYPE_ZH[t] ?? t).join('或') });
      return;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      problems.add(here, 'CONFIG_ENUM', dotted(at), { value: String(e.data) }, suggestionHint(suggest(String(e.data), allowed), allowed));
      return;
    }
    case 'minimum':
      problems.add(here, 'CONFIG_RANGE', dotted(at), { detail: `不能小于 ${String(p.limit)}` });
      return;
    case 'exclusiveMinimum':
      problems.add(here, 'CONFIG_RANGE', dotted(at), { detail: `必须大于 ${String(p.limit)}` });
      return;
    case 'maximum':
      problems.add(here, 'CONFIG_RANGE', dotted(at), { detail: `不能大于 ${String(p.limit)}` });
      return;
    case 'minLength':
      problems.add(here, 'CONFIG_RANGE', dotted(at), { detail: Number(p.limit) === 1 ? '不能为空' : `长度不能少于 ${String(p.limit)}` });
      return;
    case 'minItems':
      problems.add(here, 'CONFIG_RANGE', dotted(at), { detail: `至少需要 ${String(p.limit)} 项` });
      return;
    case 'pattern':
      problems.add(here, 'CONFIG_FORMAT', dotted(at), { format: typeof parent.title === 'string' ? parent.title : `匹配 ${String(p.pattern)}` });
      return;
    case 'format':
      problems.add(here, 'CONFIG_FORMAT', dotted(at), { format: FORMATS[String(p.format)]?.zh ?? String(p.format) });
      return;
    default:
      problems.add(here, 'CONFIG_INVALID', dotted(at), { detail: e.message ?? e.keyword });
  }
}

/** Validates the merged object; every problem goes to `problems`. Returns whether it is valid. */
export function checkConfig(merged: Plain, layers: ConfigLayers, problems: Problems, root: string): boolean {
  const validate = configValidator(root);
  if (validate(merged)) return true;
  for (const e of validate.errors ?? []) report(e, layers, problems);
  return false;
}
