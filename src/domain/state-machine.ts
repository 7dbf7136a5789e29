/**
 * The shape shared by the bill state machines (ebill-state.ts, paper-state.ts, paper-link-state.ts):
 * one total table per machine, state × event → the next state, "stay" (the event changes nothing:
 * a resumed or repeated request) or a refusal naming its HIS code and the message template in
 * src/engine/codes.ts. The table is total (TypeScript refuses a missing cell), so every refused
 * transition has been given its own code. Pure: no store, no engine.
 */
export interface Refusal {
  /** a HIS code of the paper/print range (E2201–E2249) */
  code: `E22${string}`;
  /** the name of its message template in codes.ts */
  message: string;
}

export type Cell<S extends string> = S | 'stay' | Refusal;
export type Table<S extends string, E extends string> = Record<S, Record<E, Cell<S>>>;

export type Decision<S extends string> = { ok: true; to: S; changed: boolean } | { ok: false; refusal: Refusal };

export function decide<S extends string, E extends string>(table: Table<S, E>, state: S, event: E): Decision<S> {
  const cell: Cell<S> = table[state][event];
  if (cell === 'stay') return { ok: true, to: state, changed: false };
  if (typeof cell === 'object') return { ok: false, refusal: cell };
  return { ok: true, to: cell as S, changed: cell !== state };
}

/** Every refusal of a table, with where it sits (tests check each against the code table). */
export function refusals<S extends string, E extends string>(table: Table<S, E>): { state: S; event: E; refusal: Refusal }[] {
  const out: { state: S; event: E; refusal: Refusal }[] = [];
  for (const state of Object.keys(table) as S[])
    for (const event of Object.keys(table[state]) as E[]) {
      const cell = table[state][event];
      if (typeof cell === 'object') out.push({ state, event, refusal: cell });
    }
  return out;
}
