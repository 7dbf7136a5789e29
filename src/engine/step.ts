/**
 * What a step kind is: an options schema, a doc line and a `prepare` that compiles the options once at
 * load time into a handler run per message. A new kind is one file in src/engine/steps/ and one line
 * in src/engine/registry.ts (style-anchors §3: "each step kind is a plugin").
 */
import type { Logger } from '../log';
import type { Catalogue, JsonSchema } from './catalogue';
import type { Mapping } from './mapping';
import type { Services } from './services';
import type { Loc } from './yaml-source';

export interface InboundMessage {
  id: string;
  channel: string;
  serviceId: string;
  appid: string;
  receivedAt: number;
  busNo?: string;
}

export interface TraceEntry {
  step: string;
  ms: number;
  skipped?: boolean;
  error?: string;
}

export interface RunContext {
  msg: InboundMessage;
  input: Record<string, unknown>;
  /** values steps hand to later steps (doc, bill, …), by name */
  vars: Record<string, unknown>;
  /** business response: an object (JSON) or a success text */
  response?: unknown;
  services: Services;
  log: Logger;
  trace: TraceEntry[];
  /** run when the flow ends, whatever the outcome (releases single-flight locks etc.) */
  finally: (() => void)[];
}

/** A handler may ask the runner to jump forward to a later step (e.g. a duplicate goes to the reply). */
export type StepOutcome = void | { goto: string };
export type StepHandler = (rc: RunContext) => Promise<StepOutcome>;

export interface PrepareEnv {
  flow: string;
  stepId: string;
  loc: Loc;
  catalogue: Catalogue;
  mappings: Map<string, Mapping>;
  /** throws a LintError at the option's position */
  fail(code: string, optionPath: string[], message: string, hint?: string): never;
}

export interface StepKind<O = Record<string, unknown>> {
  kind: string;
  doc: string;
  optionsSchema: JsonSchema;
  /** option names that are step ids this step may jump to (checked by lint) */
  gotoOptions?: string[];
  prepare(options: O, env: PrepareEnv): StepHandler;
}
