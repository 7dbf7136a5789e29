/**
 * The one door every HIS channel goes through: store the raw message (durable) before anything else,
 * route it to its flow, run it, record the outcome. Channels (JSON envelope, SOAP, HL7) only decode
 * and encode; they never touch flows or tables themselves.
 */
import { messageId } from '../domain/ids';
import { log } from '../log';
import { flowSeconds, messagesTotal } from '../web/metrics';
import { asFlowError, FlowError, RESULT } from './errors';
import type { Router } from './router';
import { runFlow } from './run';
import type { Services } from './services';
import type { RunContext } from './step';

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
  replayOf?: string;
}

export interface InboundResult {
  msgId: string;
  result: string;
  /** business response (object or success text) when result is S0000 */
  response?: unknown;
  error?: FlowError;
}

export async function handleInbound(services: Services, router: Router, req: InboundRequest): Promise<InboundResult> {
  const t0 = Date.now();
  const msgId = messageId(t0);
  const input = req.input as Record<string, unknown> | undefined;
  const busNo = typeof input?.busNo === 'string' || typeof input?.busNo === 'number' ? String(input.busNo) : undefined;
  const flow = router.route(req.serviceId);
  try {
    await services.messages.insert({
      id: msgId,
      receivedAt: t0,
      channel: req.channel,
      serviceId: req.serviceId,
      appid: req.appid,
      busNo,
      noise: req.noise,
      raw: req.raw,
      replayOf: req.replayOf,
    });
  } catch (e) {
    // Not stored → not processed: the HIS gets an error and retries; nothing half-done exists.
    log().error('message store unavailable', { msgId, busNo, error: (e as Error).message });
    return finish(new FlowError('Unavailable', RESULT.internal, '系统繁忙（消息存储不可用），请稍后重试'), false);
  }

  function finish(err: FlowError | undefined, stored: boolean, response?: unknown, trace?: RunContext['trace']): InboundResult {
    const result = err ? err.code : RESULT.ok;
    const ms = Date.now() - t0;
    messagesTotal.inc({ channel: req.channel, service: req.serviceId, result });
    flowSeconds.observe({ service: req.serviceId }, ms / 1000);
    const line = { msgId, busNo, channel: req.channel, service: req.serviceId, appid: req.appid, result, ms, flow: flow?.name, field: err?.field };
    if (err?.errorClass === 'Internal') log().error(err.message, { ...line, cause: String((err.cause as Error)?.stack ?? err.cause) });
    else log().info(err ? err.message : 'ok', line);
    if (stored) {
      void services.messages
        .finish(msgId, {
          status: err ? (req.refusal ? 'rejected' : 'failed') : 'done',
          flow: flow?.name,
          flowVersion: flow?.version,
          errorCode: err?.code,
          error: err ? err.message + (err.field ? ` [field=${err.field}]` : '') : undefined,
          response: response === undefined ? undefined : typeof response === 'string' ? response : JSON.stringify(response),
          trace: trace ? JSON.stringify(trace) : undefined,
          busNo,
        })
        .catch((e) => log().error('message outcome not recorded', { msgId, busNo, error: (e as Error).message }));
    }
    return { msgId, result, response: err ? undefined : response, error: err };
  }

  if (req.refusal) return finish(req.refusal, true);
  if (!flow) return finish(new FlowError('ValidationError', RESULT.unknownService, `服务 ${req.serviceId} 不存在或未开通（serviceId 区分大小写）`, 'serviceId'), true);
  const rc: RunContext = {
    msg: { id: msgId, channel: req.channel, serviceId: req.serviceId, appid: req.appid ?? '', receivedAt: t0, busNo },
    input: (input ?? {}) as Record<string, unknown>,
    vars: {},
    services,
    log: log(),
    trace: [],
    finally: [],
  };
  try {
    await runFlow(flow, rc);
    return finish(undefined, true, rc.response, rc.trace);
  } catch (e) {
    return finish(asFlowError(e), true, undefined, rc.trace);
  }
}
