/**
 * The unit signature as the issuance flow sees it: detached GM/T 0010 SignedData over the fiscal XML's
 * signed text. Implemented in-process (worker pool, key in memory) or by a signature server (SVS).
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
  close(): Promise<void>;
}
