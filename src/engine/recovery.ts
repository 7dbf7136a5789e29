/**
 * Recovery of reservations: a number held for a busNo whose request never got an answer (the process
 * died) is completed by re-entering its flow where the flow's `recovery.resumeAt` says, with the values
 * `recovery.restore` takes from the reservation. A reservation whose request WAS answered with a failure
 * is left to a retry of the same busNo — the HIS was told "not issued" — and voided with the reason
 * once `recovery.answeredReservationTtl` has passed. Either way every number ends in one recorded state.
 */
import { durationMs, type Config } from '../config';
import { log } from '../log';
import type { BillRow } from '../store/bills';
import { asFlowError } from './errors';
import type { Flow, RestoreSource } from './flow-loader';
import type { Router } from './router';
import { newRun, runFlow } from './run';
import type { Services } from './services';

export interface RecoveryOutcome {
  completed: number;
  voided: number;
  /** left for a later round (signer still down) or for the HIS to retry (answered, within its window) */
  left: number;
  /**
   * finished by someone else while this recovery worked on it: another node's recovery, a retry of the
   * busNo, the minute schedule. Nothing to void — the row already says what became of the number.
   */
  finishedElsewhere: number;
}

export function answeredTtlMs(cfg: Pick<Config, 'recovery'>): number {
  return durationMs(cfg.recovery?.answeredReservationTtl ?? '24h');
}

export async function recoverReservations(services: Services, router: Router, olderThanMs: number): Promise<RecoveryOutcome> {
  const rows = await services.bills.reservationsOlderThan(olderThanMs);
  const out: RecoveryOutcome = { completed: 0, voided: 0, left: 0, finishedElsewhere: 0 };
  const ttl = answeredTtlMs(services.config);
  for (const row of rows) {
    const outcome = row.answered_code ? await expireAnswered(services, row, ttl) : await resume(services, router, row);
    out[outcome]++;
  }
  return out;
}

const idsOf = (row: BillRow) => ({ billId: row.id, billBatchCode: row.bill_batch_code, billNo: row.bill_no, busNo: row.bus_no, msgId: row.message_id });

async function expireAnswered(services: Services, row: BillRow, ttlMs: number): Promise<'voided' | 'left' | 'finishedElsewhere'> {
  if (Date.now() - Number(row.answered_at ?? 0) < ttlMs) return 'left';
  const reason = `请求已应答失败（${row.answered_code}），在 ${Math.round(ttlMs / 3_600_000)} 小时内未用相同业务流水号重试，票号作废`;
  if (!(await services.bills.voidReservation(row.id, reason))) return 'finishedElsewhere';
  log().warn('answered reservation voided', { ...idsOf(row), answered: row.answered_code });
  return 'voided';
}

function restored(source: RestoreSource, row: BillRow): unknown {
  if (source === 'reservation') return row;
  if (source === 'reservation.settlement') return JSON.parse(row.canonical!);
  return { hash: row.request_hash, canonical: row.canonical };
}

async function resume(services: Services, router: Router, row: BillRow): Promise<keyof RecoveryOutcome> {
  const msg = row.message_id ? await services.messages.get(row.message_id) : undefined;
  // A message routed by its content (HL7) is found by the flow it was routed to.
  const flow: Flow | undefined = msg ? (router.route(msg.service_id) ?? (msg.flow ? router.flow(msg.flow) : undefined)) : undefined;
  if (!flow?.recovery || !row.canonical) {
    const reason = `恢复失败：找不到原始请求或流程的 recovery 声明（消息 ${row.message_id ?? '无'}），票号作废`;
    return voided(services, row, reason, { reason });
  }
  const run = newRun(flow, undefined, {
    msg: { id: row.message_id!, channel: 'recovery', serviceId: msg!.service_id, appid: row.appid ?? '', receivedAt: Date.now(), busNo: row.bus_no ?? undefined },
    services,
    log: log(),
    finally: [],
    dryRun: false,
  });
  for (const r of flow.recovery.restore) run.slots[r.index] = restored(r.source, row);
  try {
    await runFlow(flow, run, { from: flow.recovery.resumeAt });
    // The set serving now completes it (the one it started on went with the process that died).
    log().warn('reservation completed by recovery', { ...idsOf(row), definitions: router.version || undefined, startedOn: msg!.definitions_version ?? undefined });
    return 'completed';
  } catch (e) {
    const fe = asFlowError(e);
    // A signer outage is worth another try later; anything else will not get better.
    if (fe.errorClass === 'Unavailable' || fe.errorClass === 'Timeout') {
      log().warn('reservation left for a later recovery', { ...idsOf(row), error: fe.message });
      return 'left';
    }
    return voided(services, row, `恢复失败：${fe.message}`, { error: fe.message });
  }
}

/**
 * Voids the number unless it stopped being reserved meanwhile. Two nodes starting together both resume
 * an old reservation; the one whose save loses gets E2004 and must not report (or log as an error) a
 * void that did not happen: the number was issued by the other.
 */
async function voided(services: Services, row: BillRow, reason: string, detail: Record<string, string>): Promise<'voided' | 'finishedElsewhere'> {
  if (await services.bills.voidReservation(row.id, reason)) {
    log().error('reservation voided', { ...idsOf(row), ...detail });
    return 'voided';
  }
  log().info('reservation finished elsewhere during recovery', idsOf(row));
  return 'finishedElsewhere';
}
