/**
 * What a step kind is: one file in src/engine/steps/ and one line in registry.ts. It declares
 *   - its options schema and a doc line;
 *   - its contract: the named values (slots) it reads and writes, with their types (slots.ts);
 *   - its exits other than "next" (e.g. dedupe's onDuplicate goto) and what each writes;
 *   - its roles, on which the loader's ordering rules act (dedupe before allocate, …);
 * and a `prepare` that compiles the options once, at load time, into a handler run per message.
 * A handler sees only the values its contract names (`io.in`), sets what it writes (`io.out`), and
 * never touches other slots: the flow file shows the whole data path.
 */
import type { Logger } from '../log';
import type { Catalogue, JsonSchema } from './catalogue';
import type { FlowError } from './errors';
import type { Loc } from './lint';
import type { Mapping } from './mapping';
import type { Services } from './services';
import type { PortMap, PortValues } from './slots';

export interface InboundMessage {
  id: string;
  channel: string;
  serviceId: string;
  appid: string;
  receivedAt: number;
  busNo?: string;
  /** the batch (batchInvoiceEBill*) this message issues one item of: recorded on the bill it takes a number for */
  batchNo?: string;
}

export interface TraceEntry {
  step: string;
  ms: number;
  skipped?: boolean;
  error?: string;
  /** slots the step wrote (names only; values stay in the store's rows) */
  wrote?: string[];
  /** the exit taken when not "next" */
  exit?: string;
}

/** What every handler may use besides its slots. */
export interface StepContext {
  msg: InboundMessage;
  services: Services;
  log: Logger;
  /** run when the flow ends, whatever the outcome (releases single-flight locks etc.) */
  finally: (() => void)[];
  /** `medbill flow run --dry-run`: nothing is written, no number taken, no signature made */
  dryRun: boolean;
  /** the business response, set by respond: an object (JSON) or a success text */
  response?: unknown;
}

export interface StepIO<R extends PortMap, W extends PortMap> {
  in: PortValues<R>;
  out: Partial<PortValues<W>>;
  ctx: StepContext;
}

/** A handler ends on "next", or names another exit it declared (which may jump). */
export type StepOutcome = void | { exit: string };
export type StepHandler<R extends PortMap = PortMap, W extends PortMap = PortMap> = (io: StepIO<R, W>) => Promise<StepOutcome>;

/** Roles the ordering rules of flow-check.ts act on. */
export type StepRole = 'dedupe' | 'allocate' | 'fiscal-xml' | 'sign' | 'persist' | 'respond';

export interface PrepareEnv {
  flow: string;
  stepId: string;
  loc: Loc;
  catalogue: Catalogue;
  mappings: Map<string, Mapping>;
  /** outbox topics some handler delivers */
  topics: Set<string>;
  /** the ports this step's reads/writes bind in the flow (a handler may skip work for an unbound optional port) */
  bound: { reads: Set<string>; writes: Set<string> };
  /** reports a lint problem at an option's position (the step is then left out of the flow) */
  fail(code: 'FLOW_UNKNOWN_MAPPING' | 'FLOW_UNKNOWN_RULE' | 'FLOW_UNKNOWN_SERVICE' | 'FLOW_UNKNOWN_TOPIC' | 'FLOW_BAD_OPTION', optionPath: string[], params: Record<string, string>, hint?: string): void;
}

export interface ExitSpec {
  /** dotted option path holding the target step id (`onDuplicate.goto`) */
  option: string;
  /** write ports set when the handler takes this exit (instead of the "next" writes) */
  writes: string[];
}

/** A contract may depend on the options (a mapping's declared input decides what `map` reads). */
export type Ports<O> = PortMap | ((options: O, env: Pick<PrepareEnv, 'mappings'>) => PortMap | undefined);

export interface StepKind<O = Record<string, unknown>, R extends PortMap = PortMap, W extends PortMap = PortMap> {
  kind: string;
  doc: string;
  optionsSchema: JsonSchema;
  reads: Ports<O>;
  writes: Ports<O>;
  /** write ports set on the "next" exit; default: all of them */
  nextWrites?: string[];
  exits?: ExitSpec[];
  roles?: StepRole[];
  /** the path ends here (respond): the flow answers */
  terminal?: boolean;
  /**
   * Steps whose work must not be abandoned half-way by a deadline (database commits): the runner waits
   * for them to settle and answers by what really happened, so a timeout never hides a committed bill.
   */
  atomic?: boolean;
  prepare(options: O, env: PrepareEnv): StepHandler<R, W>;
  /**
   * Kinds with effects outside the flow (a number taken, a row written, a key used) say what they would
   * write without doing it; `medbill flow run --dry-run` runs this instead of the handler.
   */
  simulate?(options: O, env: PrepareEnv): StepHandler<R, W>;
}

/** A step kind with its types erased, as the registry holds them. */
export type AnyStepKind = StepKind<never, PortMap, PortMap>;

/** Declares a step kind; the generics carry the port types into the handler. */
export function defineStep<O, R extends PortMap, W extends PortMap>(k: StepKind<O, R, W> & { reads: R | Ports<O>; writes: W | Ports<O> }): AnyStepKind {
  return k as unknown as AnyStepKind;
}

/** What a mock in a flow test or a dry run does instead of a step. */
export interface StepOverride {
  writes?: Record<string, unknown>;
  exit?: string;
  throws?: FlowError;
}
