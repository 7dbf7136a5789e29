/**
 * The one door every HIS channel goes through: store the raw message (durable) before anything else,
 * route it to its flow, run it, record the outcome — committed before the answer is returned, so an
 * answer and its record never disagree. Channels (JSON envelope, SOAP, HL7) only decode and encode;
 * they never touch flows or tables themselves.
 */
import { createHash } from 'node:crypto';
import { messageId } from '../domain/ids';
import { log } from '../log';
import type { BillRow } from '../store/bills';
import { flowSeconds, messagesTotal } from '../metrics';
import { asFlowError, FlowError, hisError, RESULT } from './errors';
import type { Flow } from './flow-loader';
import type { Router } from './router';
import { FlowRun, newRun, runFlow } from './run';
import type { Services } from './services';
import type { TraceEntry } from './step';

export interface InboundRequest {
  channel: string;
  serviceId: string;
  /** the message exactly as received, kept for replay */
  raw: string;
  appid?: string;
  noise?: string;
  /** decoded business data, when the channel could decode it */
  input?: unknown;
  /** a channel-level refusal (bad sign, unknown appid, undecodable data): stored, not processed */
  refusal?: FlowError;
  /** the caller proved who it is (envelope sign or WS-Security digest verified) */
  authenticated?: boolean;
  /**
   * The body as received (bytes), or its size and digest when the channel kept only a head of it (an
   * oversize body): what a truncated stored copy records of the original.
   */
  received?: Buffer | { bytes: number; sha256: string };
  replayOf?: string;
  /** an item of an accepted batch, issued by the batch job (src/engine/jobs/batch-issue.ts) */
  batchNo?: string;
  /**
   * Which flows serve it, when not the `his` ones by serviceId: the router channel (hl7, hospital-xml)
   * and, for flows that declare `trigger.match`, the message's field values they match on.
   */
  route?: { channel: string; facts?: (ref: string) => string | undefined };
  /** the HL7 version the message declares (MSH-12): a flow pinned to another version refuses it */
  hl7Version?: string;
  /** answered by the channel with the answer stored for the message it repeats (an HL7 control id): stored, not run */
  repeatOf?: string;
}

/**
 * How much of a refused, unauthenticated request the store keeps: enough to see who sent what. Anyone
 * can send 2 MB bodies under a made-up appid; each must cost a few kilobytes of storage, not 2 MB.
 */
export const UNAUTHENTICATED_KEEP_CHARS = 4096;

/** The raw text to store: whole, or for a refused unauthenticated request a head with the original's length and SHA-256. */
export function storedRaw(req: InboundRequest): string {
  const cut = req.received !== undefined && !Buffer.isBuffer(req.received);
  if (req.authenticated || !req.refusal || (!cut && req.raw.length <= UNAUTHENTICATED_KEEP_CHARS)) return req.raw;
  const r = req.received;
  const bytes = r === undefined ? Buffer.from(req.raw, 'utf8') : r;
  const info = Buffer.isBuffer(bytes) ? { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } : bytes;
  let head = req.raw.slice(0, UNAUTHENTICATED_KEEP_CHARS);
  // Never end on half a surrogate pair: the stored text stays valid UTF-8.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}\n…[已截断：未通过认证的请求被拒绝，仅保留开头；原请求 ${info.bytes} 字节，sha256 ${info.sha256}]`;
}

/** A stored message as a channel needs it to accept a replay of it (x-medbill-replay-of). */
export interface StoredOriginal {
  channel: string;
  serviceId: string;
  raw: string;
  receivedAt: number;
}

export type OriginalLookup = (msgId: string) => Promise<StoredOriginal | undefined>;

export interface InboundResult {
  msgId: string;
  result: string;
  /** business response (object or success text) when result is S0000 */
  response?: unknown;
  error?: FlowError;
}

/** The reservation a run held when it failed: its request was answered, so only a retry completes it. */
function heldReservation(flow: Flow, run: FlowRun): number | undefined {
  for (const i of flow.reservationSlots) {
    const r = run.slots[i] as BillRow | undefined;
    if (r && r.state === 'reserved' && r.id) return r.id;
  }
  return undefined;
}

/**
 * The busNo a flow worked on, for a message whose channel could not name it (HL7, hospital XML: their
 * mapping finds it), so `medbill trace --bus-no` finds those messages too.
 */
function busNoOf(run: FlowRun): string | undefined {
  for (const v of run.slots.slice(1)) {
    const b = v && typeof v === 'object' && !Array.isArray(v) ? (v as { busNo?: unknown }).busNo : undefined;
    if (typeof b === 'string' && b) return b.slice(0, 64);
  }
  return undefined;
}

/** The field values the channel's flows match on, as the message has them: what a refusal names. */
function routeFacts(router: Router, req: InboundRequest): string {
  const refs = router.matchRefs(req.route!.channel, req.serviceId);
  const shown = refs.map((r) => `${r}=${req.route!.facts?.(r)?.slice(0, 20) ?? '（空）'}`);
  return shown.length ? shown.join('，') : '没有流程的 trigger.service 为此消息类型';
}

export async function handleInbound(services: Services, router: Router, req: InboundRequest): Promise<InboundResult> {
  const t0 = Date.now();
  const msgId = messageId(t0);
  const input = req.input as Record<string, unknown> | undefined;
  let busNo = typeof input?.busNo === 'string' || typeof input?.busNo === 'number' ? String(input.busNo) : undefined;
  const flow = router.route(req.serviceId, req.route?.channel, req.route?.facts);
  try {
    await services.messages.insert({
      id: msgId,
      receivedAt: t0,
      channel: req.channel,
      serviceId: req.serviceId,
      appid: req.appid,
      busNo,
      noise: req.noise,
      raw: storedRaw(req),
      replayOf: req.replayOf,
      definitionsVersion: router.version,
      // Recovery finds the flow of a message routed by its content (HL7) by this name.
      flow: flow?.name,
    });
  } catch (e) {
    // Not stored → not processed: the HIS gets an error and retries; nothing half-done exists.
    log().error('message store unavailable', { msgId, busNo, error: (e as Error).message });
    return finish(hisError('E3003', 'store', {}), false);
  }

  async function finish(err: FlowError | undefined, stored: boolean, response?: unknown, trace?: TraceEntry[], answeredReservation?: number): Promise<InboundResult> {
    if (stored) {
      try {
        await services.messages.finish(msgId, {
          status: err ? (req.refusal ? 'rejected' : 'failed') : 'done',
          flow: flow?.name,
          flowVersion: flow?.version,
          errorCode: err?.code,
          error: err ? err.message + (err.field ? ` [field=${err.field}]` : '') : undefined,
          response: response === undefined ? undefined : typeof response === 'string' ? response : JSON.stringify(response),
          trace: trace ? JSON.stringify(trace) : undefined,
          busNo,
          answeredReservation: err ? answeredReservation : undefined,
        });
      } catch (e) {
        // The outcome could not be recorded: the answer must not claim more than the record holds.
        log().error('message outcome not recorded', { msgId, busNo, error: (e as Error).message });
        if (!err) err = hisError('E9999', 'internal', {});
      }
    }
    const code = err ? err.code : RESULT.ok;
    const ms = Date.now() - t0;
    // Unknown serviceIds never become label values: 20,000 random ids must not grow /metrics.
    messagesTotal.inc({ channel: req.channel, service: flow ? req.serviceId : '(unknown)', result: code });
    flowSeconds.observe({ service: flow ? req.serviceId : '(unknown)' }, ms / 1000);
    const line = { msgId, busNo, channel: req.channel, service: req.serviceId.slice(0, 60), appid: req.appid, result: code, ms, flow: flow?.name, definitions: router.version || undefined, field: err?.field };
    if (err?.errorClass === 'Internal') log().error(err.message, { ...line, cause: String((err.cause as Error)?.stack ?? err.cause) });
    else log().info(err ? err.message : 'ok', line);
    return { msgId, result: code, response: err ? undefined : response, error: err };
  }

  if (req.refusal) return finish(req.refusal, true);
  if (req.repeatOf) return finish(undefined, true, `重复的消息，已按原消息 ${req.repeatOf} 的应答回复，未再处理`);
  if (!flow) {
    if (req.route?.channel === 'hl7') return finish(hisError('E2704', 'noHl7Flow', { type: req.serviceId.slice(0, 40), facts: routeFacts(router, req) }, 'MSH-9'), true);
    if (req.route) return finish(hisError('E2704', 'noAction', { action: req.serviceId.slice(0, 60) }, 'action'), true);
    return finish(hisError('E0004', 'unknownService', { serviceId: req.serviceId.slice(0, 60) }, 'serviceId'), true);
  }
  // A disabled flow (medbill flows disable) answers at once; the message is kept for replay once it is enabled.
  if (services.flowSwitches?.disabled(flow.name)) return finish(hisError('E2750', 'disabled', { serviceId: req.serviceId.slice(0, 60), flow: flow.name }), true);
  if (flow.hl7 && req.hl7Version !== undefined && req.hl7Version !== flow.hl7.version)
    return finish(hisError('E2703', 'version', { got: req.hl7Version.slice(0, 20), want: flow.hl7.version, flow: flow.name }, 'MSH-12'), true);
  const run = newRun(flow, input ?? {}, {
    msg: { id: msgId, channel: req.channel, serviceId: req.serviceId, appid: req.appid ?? '', receivedAt: t0, busNo, batchNo: req.batchNo },
    services,
    log: log(),
    finally: [],
    dryRun: false,
  });
  try {
    await runFlow(flow, run);
    if (req.route) busNo ??= busNoOf(run);
    return finish(undefined, true, run.ctx.response, run.trace);
  } catch (e) {
    if (req.route) busNo ??= busNoOf(run);
    return finish(asFlowError(e), true, undefined, run.trace, heldReservation(flow, run));
  }
}
