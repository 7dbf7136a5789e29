/**
 * The unit signature as the engine sees it: detached GM/T 0010 SignedData over the fiscal XML's signed
 * text. adapters/ca implements it (in-process worker pool, or a signature server through its SOAP
 * mapping); the engine never imports an adapter. A signer reports failure by throwing SignerError (or
 * anything else, read as "unavailable"); the sign step turns that into the HIS code and text.
 */
export interface SignResult {
  /** Base64 DER SignedData (detached) */
  signature: string;
  /** signer certificate serial, hex */
  certSerial: string;
}

export interface Signer {
  readonly name: string;
  signDetached(content: string, ctx?: { msgId?: string; busNo?: string }): Promise<SignResult>;
  /**
   * Optional: sign and render the bill's QR PNG (Base64) in one trip to the worker pool. A signer
   * whose key lives in this process saves a worker round trip per bill; others leave it out.
   */
  signDetachedWithQr?(content: string, qrText: string): Promise<SignResult & { qrPng: string }>;
  /**
   * Optional: is the signature server reachable right now? Cheap (no signing, no key use), for /readyz.
   * A signer with nothing remote (the key in this process) leaves it out.
   */
  health?(): Promise<SignerHealth>;
  close(): Promise<void>;
}

/** `reason` names the failure for on-call staff (unreachable, timeout, HTTP 503), not the server's address. */
export type SignerHealth = { ok: true; latencyMs: number } | { ok: false; reason: string };

/** Why a signature was not made, in the words the engine routes on (vendor detail stays in the log). */
export class SignerError extends Error {
  constructor(
    readonly reason: 'Unavailable' | 'Timeout' | 'Rejected',
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
