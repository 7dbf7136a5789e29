/**
 * The only error classes flows route on (style-anchors §6), each with the HIS result code it maps to.
 * Messages are Chinese and name the field and the rule: they go back to HIS programmers verbatim.
 */
export type ErrorClass =
  | 'ValidationError'
  | 'Duplicate'
  | 'Conflict'
  | 'NotFound'
  | 'Timeout'
  | 'Unavailable'
  | 'Rejected'
  | 'Internal';

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
}

/** Result codes returned in the envelope's `result` (non-S0000 means failure to every HIS). */
export const RESULT = {
  ok: 'S0000',
  badSign: 'E0001',
  unknownApp: 'E0002',
  badEnvelope: 'E0003',
  unknownService: 'E0004',
  badData: 'E0005',
  replayedNoise: 'E0006',
  validation: 'E1001',
  amounts: 'E1002',
  conflict: 'E2001',
  notFound: 'E2002',
  noStock: 'E2003',
  stateConflict: 'E2004',
  signUnavailable: 'E3001',
  timeout: 'E3002',
  internal: 'E9999',
} as const;

export const validation = (field: string, message: string): FlowError =>
  new FlowError('ValidationError', RESULT.validation, message, field);

export const amountError = (field: string, message: string): FlowError =>
  new FlowError('ValidationError', RESULT.amounts, message, field);

export function asFlowError(err: unknown): FlowError {
  if (err instanceof FlowError) return err;
  return new FlowError('Internal', RESULT.internal, '系统内部错误，请稍后重试或联系管理员（已记录）', undefined, err);
}
