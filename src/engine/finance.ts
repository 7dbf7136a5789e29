/**
 * The provincial finance e-bill system as the engine sees it: one upload of an issued bill, classified.
 * adapters/finance implements it (the HTTP client of the embedded simulator's protocol today, a
 * provincial exchange later); the engine never imports an adapter. Whether and when to try again is
 * the outbox's business (src/engine/jobs/finance-upload.ts): `transient` is retried until the horizon,
 * `refused` is a dead letter at once.
 */

export interface FinanceBill {
  billBatchCode: string;
  billNo: string;
  random: string;
  /** the stored fiscal XML document, exactly as the unit signed it */
  fiscalXml: string;
}

export interface FinanceAccepted {
  kind: 'accepted';
  /** the bill finance says it signed (checked against the one sent) */
  billBatchCode: string;
  billNo: string;
  /** Base64 DER GM/T 0010 SignedData, detached, over the same signed text as the unit signature */
  supervisorSignature: string;
  /** serial of the finance supervisor certificate, hex */
  certSerial: string;
  /** signing time, yyyyMMddHHmmss Beijing time */
  time: string;
  /** finance had already accepted this bill with the same signed text */
  repeated: boolean;
}

/** Finance looked at the bill and said no: sending the same bill again cannot help. */
export interface FinanceRefused {
  kind: 'refused';
  /** the peer's status (HTTP status for the HTTP adapters) */
  status: number;
  code: string;
  message: string;
  detail?: string;
}

/** Network trouble, timeout, overload or a server fault: the same upload may succeed later. */
export interface FinanceTransient {
  kind: 'transient';
  /** what went wrong, for logs and /readyz: names the failure, not the peer's address */
  reason: string;
}

export type FinanceUploadResult = FinanceAccepted | FinanceRefused | FinanceTransient;

export interface Finance {
  readonly name: string;
  upload(bill: FinanceBill): Promise<FinanceUploadResult>;
}
