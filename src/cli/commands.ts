/**
 * The `medbill` commands, one line each: the top-level names a module registers and how to load it.
 * Only the module of the command being run is loaded (every module loaded costs start-up time; a
 * `medbill dlq list` need not load the PDF renderer or the finance simulator); help, and a name no line
 * lists, load them all so commander can print every command or suggest the one meant.
 * A new command: add its line here (test/ops/cli-commands.test.ts checks the names match).
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register> }> = [
  { names: ['start'], load: () => import('./start').then((m) => m.registerStart) },
  { names: ['validate'], load: () => import('./validate').then((m) => m.registerValidate) },
  { names: ['test-mappings'], load: () => import('./test-mappings').then((m) => m.registerTestMappings) },
  { names: ['test'], load: () => import('./test').then((m) => m.registerTest) },
  { names: ['flow'], load: () => import('./flow-run').then((m) => m.registerFlowRun) },
  { names: ['schema'], load: () => import('./schema').then((m) => m.registerSchema) },
  { names: ['docs'], load: () => import('./docs').then((m) => m.registerDocs) },
  { names: ['flows', 'reload'], load: () => import('./ops').then((m) => m.registerOps) },
  { names: ['trace'], load: () => import('./trace').then((m) => m.registerTrace) },
  { names: ['replay'], load: () => import('./replay').then((m) => m.registerReplay) },
  { names: ['dlq'], load: () => import('./dlq').then((m) => m.registerDlq) },
  { names: ['stock'], load: () => import('./stock').then((m) => m.registerStock) },
  { names: ['paper'], load: () => import('./paper').then((m) => m.registerPaper) },
  { names: ['call'], load: () => import('./call').then((m) => m.registerCall) },
  { names: ['wsdl'], load: () => import('./wsdl').then((m) => m.registerWsdl) },
  { names: ['openapi'], load: () => import('./openapi').then((m) => m.registerOpenApi) },
  { names: ['finance'], load: () => import('./finance').then((m) => m.registerFinance) },
  { names: ['svs'], load: () => import('./svs').then((m) => m.registerSvs) },
];

/** The first word of `args` (process.argv without node and the script) that is not an option. */
function commandName(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith('-'));
}

/** Registers the command `args` runs, or every command when `args` names none of them (help, a typo). */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const name = commandName(args);
  if (name === undefined && args.some((a) => a === '-V' || a === '--version')) return; // the program's own option
  const one = COMMANDS.find((c) => name !== undefined && c.names.includes(name));
  for (const c of one ? [one] : COMMANDS) (await c.load())(program);
}
