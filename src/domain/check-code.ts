/**
 * 校验码 (check code, "random"): 6 lower-hex characters. The finance algorithm is not public
 * (docs/reference/fiscal-ebill.md#identity); we derive it from the bill's identity and a unit secret, so
 * it is stable for a bill, unguessable without the secret, and recomputable during recovery.
 */
import { createHmac } from 'node:crypto';

export function checkCode(secret: string, billBatchCode: string, billNo: string, issueDate: string, totalAmt: string, len = 6): string {
  return createHmac('sm3', secret).update(`${billBatchCode}|${billNo}|${issueDate}|${totalAmt}`).digest('hex').slice(0, len);
}
