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
  close(): Promise<void>;
}
