/**
 * Start-up and periodic recovery of reservations (DESIGN §8): a number reserved for a busNo whose
 * process died (or whose signer failed) is completed by re-running the rest of its flow from the
 * canonical settlement kept on the reservation; if that cannot succeed the number is voided with the
 * reason, so every number still ends in exactly one recorded state.
 */
import { log } from '../log';
import type { BillRow } from '../store/bills';
import { asFlowError } from './errors';
import type { Router } from './router';
import { runFlow } from './run';
import type { Services } from './services';
import type { RunContext } from './step';

export async function recoverReservations(services: Services, router: Router, olderThanMs: number): Promise<{ completed: number; voided: number; left: number }> {
  const rows = await services.bills.reservationsOlderThan(olderThanMs);
  let completed = 0;
  let voided = 0;
  let left = 0;
  for (const row of rows) {
    const outcome = await resume(services, router, row);
    if (outcome === 'completed') completed++;
    else if (outcome === 'voided') voided++;
    else left++;
  }
  return { completed, voided, left };
}

async function resume(services: Services, router: Router, row: BillRow): Promise<'completed' | 'voided' | 'left'> {
  const msg = row.message_id ? await services.messages.get(row.message_id) : undefined;
  const flow = msg ? router.route(msg.service_id) : undefined;
  const from = flow?.steps.findIndex((s) => s.kind === 'allocate') ?? -1;
  const ids = { billId: row.id, billBatchCode: row.bill_batch_code, billNo: row.bill_no, busNo: row.bus_no, msgId: row.message_id };
  if (!flow || from < 0 || !row.canonical) {
    const reason = `恢复失败：找不到原始请求或流程（消息 ${row.message_id ?? '无'}），票号作废`;
    await services.bills.voidReservation(row.id, reason);
    log().error('reservation voided', { ...ids, reason });
    return 'voided';
  }
  const rc: RunContext = {
    msg: { id: row.message_id!, channel: 'recovery', serviceId: msg!.service_id, appid: row.appid ?? '', receivedAt: Date.now(), busNo: row.bus_no ?? undefined },
    input: {},
    vars: { doc: JSON.parse(row.canonical), reservation: row, requestHash: row.request_hash },
    services,
    log: log(),
    trace: [],
    finally: [],
  };
  try {
    await runFlow({ ...flow, steps: flow.steps.slice(from) }, rc);
    log().warn('reservation completed by recovery', ids);
    return 'completed';
  } catch (e) {
    const fe = asFlowError(e);
    // A signer outage is worth another try later; anything else will not get better.
    if (fe.errorClass === 'Unavailable' || fe.errorClass === 'Timeout') {
      log().warn('reservation left for a later recovery', { ...ids, error: fe.message });
      return 'left';
    }
    await services.bills.voidReservation(row.id, `恢复失败：${fe.message}`);
    log().error('reservation voided', { ...ids, error: fe.message });
    return 'voided';
  }
}
