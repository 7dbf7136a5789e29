/**
 * FlowError: what a step throws and a channel answers. Codes and their Chinese messages come from the
 * one table in codes.ts (`hisError('E2001', 'inProgress', { busNo })`); messages go back to HIS
 * programmers verbatim and name the field and the rule.
 */
import { ErrorClass, HIS_CODES, HisCode, hisMessage, HisMessage, HisParams, RetryAdvice } from './codes';

export type { ErrorClass };

export class FlowError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    readonly code: string,
    message: string,
    readonly field?: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }

  /** What the HIS should do (from the code table); unknown codes: do not resend as is. */
  get retry(): RetryAdvice {
    return (HIS_CODES as Record<string, { retry: RetryAdvice }>)[this.code]?.retry ?? 'no';
  }
}

/** A FlowError from the code table: the class and the text follow from (code, message). */
export function hisError<C extends HisCode, M extends HisMessage<C>>(code: C, message: M, params: HisParams<C, M>, field?: string, cause?: unknown): FlowError {
  const cls = HIS_CODES[code].class;
  return new FlowError(cls === 'Ok' ? 'Internal' : cls, code, hisMessage(code, message, params), field, cause);
}

/** Result codes by name, for code that routes on them (the table in codes.ts is the source). */
export const RESULT = {
  ok: 'S0000',
  badSign: 'E0001',
  unknownApp: 'E0002',
  badEnvelope: 'E0003',
  unknownService: 'E0004',
  badData: 'E0005',
  replayedNoise: 'E0006',
  rateLimited: 'E0007',
  validation: 'E1001',
  amounts: 'E1002',
  conflict: 'E2001',
  notFound: 'E2002',
  noStock: 'E2003',
  stateConflict: 'E2004',
  signUnavailable: 'E3001',
  timeout: 'E3002',
  busy: 'E3003',
  internal: 'E9999',
} as const satisfies Record<string, HisCode>;

export function asFlowError(err: unknown): FlowError {
  if (err instanceof FlowError) return err;
  return hisError('E9999', 'internal', {}, undefined, err);
}
