/**
 * The HL7 v2 channel: one message text (ER7, v2.xml or Mirth XML) in, its ACK out, whichever transport
 * carried it (POST …/hl7, SOAP acceptHL7, MLLP). Decodes, names the sender's appid (config
 * `hl7.senders`), answers a repeated control id with the ACK it was first given, and hands the rest to
 * the one door (handleInbound), which stores the message, routes it to an HL7 flow by MSH-9 and the
 * flow's `trigger.match`, checks the flow's pinned version against MSH-12 and runs it. Never throws.
 */
import { createHash } from 'node:crypto';
import { resultKind } from '../../../src/engine/codes';
import { FlowError, hisError } from '../../../src/engine/errors';
import { fact } from '../../../src/engine/hl7-tree';
import type { InboundRequest, InboundResult } from '../../../src/engine/inbound';
import { log } from '../../../src/log';
import type { Hl7AckStore } from '../../../src/store/hl7-acks';
import { buildAck } from './ack';
import { decodeHl7, hl7Text } from './decode';
import type { Hl7Encoding, Hl7Header } from '../../../src/engine/hl7-tree';

export type Hl7Transport = 'http' | 'soap' | 'mllp';

export interface Hl7Settings {
  /** MSH-3 (sending application) → the caller appid its busNos belong to */
  senders: Map<string, string>;
  /** MSH-3 / MSH-4 of our ACKs */
  application: string;
  facility: string;
}

export interface Hl7ChannelDeps {
  settings: Hl7Settings;
  handle(req: InboundRequest): Promise<InboundResult>;
  acks: Pick<Hl7AckStore, 'get' | 'keep'>;
}

export interface Hl7Reply {
  ack: string;
  encoding: Hl7Encoding;
  msgId?: string;
}

/** Stored-message channel names (messages.channel, 20 characters at most). */
export const channelName = (t: Hl7Transport) => `hl7-${t}`;

/** Control ids are unique per sender: its application and facility. */
const senderKey = (h: Hl7Header) => `${h.sendingApplication ?? ''}^${h.sendingFacility ?? ''}`;

export class Hl7Channel {
  constructor(private readonly deps: Hl7ChannelDeps) {}

  /** A message refused before it could be read (over the size limit): stored as a head with its size and digest, answered AR. */
  async refuse(head: string, error: FlowError, transport: Hl7Transport, received: { bytes: number; sha256: string }): Promise<Hl7Reply> {
    const { settings } = this.deps;
    let msgId = '';
    try {
      msgId = (await this.deps.handle({ channel: channelName(transport), serviceId: '-', raw: head, refusal: error, received, route: { channel: 'hl7' } })).msgId;
    } catch (e) {
      log().error('HL7 refusal not stored', { error: (e as Error).message });
    }
    return { ack: buildAck({ header: {}, encoding: 'er7', msgId, at: Date.now(), result: error.code, error, application: settings.application, facility: settings.facility }), encoding: 'er7', msgId };
  }

  /** A message as bytes (HTTP, MLLP): decoded by its own character set (hl7Text), else refused and stored. */
  async processBytes(bytes: Buffer, transport: Hl7Transport, contentType?: string): Promise<Hl7Reply> {
    const text = hl7Text(bytes, contentType);
    if (text.ok) return this.process(text.text, transport);
    return this.refuse(bytes.subarray(0, 4096).toString('latin1'), text.error, transport, { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }

  async process(text: string, transport: Hl7Transport): Promise<Hl7Reply> {
    const channel = channelName(transport);
    const { settings } = this.deps;
    const ack = (r: InboundResult, d: { header: Hl7Header; encoding: Hl7Encoding; delimiters?: import('./er7').Delimiters }) =>
      buildAck({ ...d, msgId: r.msgId, at: Date.now(), result: r.result, error: r.error, response: r.response, application: settings.application, facility: settings.facility });
    try {
      const { decoded, req } = hl7Request(text, channel, settings.senders);
      if (!decoded.ok || req.refusal) {
        const r = await this.deps.handle(req);
        const d = decoded.ok ? decoded.msg : decoded;
        return { ack: ack(r, d), encoding: d.encoding, msgId: r.msgId };
      }
      const { header } = decoded.msg;
      const sender = senderKey(header);
      const controlId = header.controlId!.slice(0, 199);
      const prior = await this.deps.acks.get(sender, controlId);
      if (prior) {
        // Stored like every message, answered with the first ACK, byte for byte; nothing runs again.
        const r = await this.deps.handle({ ...req, input: undefined, hl7Version: undefined, repeatOf: prior.messageId });
        return { ack: prior.ack, encoding: decoded.msg.encoding, msgId: r.msgId };
      }
      const r = await this.deps.handle(req);
      const text2 = ack(r, decoded.msg);
      // Only a final answer is kept: AA, or a refusal the same message would get again. After a fault
      // (signer down, store busy) or a "busNo in progress" the HIS resends, and that is processed anew.
      const final = r.result === 'S0000' || (resultKind(r.result) === 'refusal' && r.error?.retry === 'no');
      if (!final) return { ack: text2, encoding: decoded.msg.encoding, msgId: r.msgId };
      const kept = await this.deps.acks.keep(sender, controlId, r.msgId, text2);
      return { ack: kept.ack, encoding: decoded.msg.encoding, msgId: r.msgId };
    } catch (e) {
      log().error('HL7 message failed', { channel, error: (e as Error).message });
      const error = hisError('E9999', 'internal', {});
      return { ack: buildAck({ header: {}, encoding: 'er7', msgId: '', at: Date.now(), result: error.code, error, application: settings.application, facility: settings.facility }), encoding: 'er7' };
    }
  }
}

/**
 * The request an HL7 text makes: decoded by its own delimiters, its sender mapped to an appid
 * (hl7.senders), else a refusal. Shared by the channel and by `medbill replay`, which runs a stored
 * message again without the control-id repeat check (a replay is a deliberate second run).
 */
export function hl7Request(text: string, channel: string, senders: ReadonlyMap<string, string>): { decoded: ReturnType<typeof decodeHl7>; req: InboundRequest } {
  const decoded = decodeHl7(text);
  if (!decoded.ok) return { decoded, req: { channel, serviceId: decoded.header.messageType ?? '-', raw: text, refusal: decoded.error, route: { channel: 'hl7' } } };
  const { tree, header } = decoded.msg;
  const base: InboundRequest = { channel, serviceId: header.messageType!, raw: text, route: { channel: 'hl7', facts: (ref) => fact(tree, ref) } };
  const appid = senders.get(header.sendingApplication ?? '');
  if (!appid) return { decoded, req: { ...base, refusal: hisError('E2702', 'unknownSender', { sender: (header.sendingApplication ?? '').slice(0, 60) }, 'MSH-3') } };
  return { decoded, req: { ...base, appid, authenticated: true, input: tree, hl7Version: header.version } };
}

/** Content-Type of an ACK over HTTP. */
export function ackContentType(e: Hl7Encoding): string {
  return e === 'er7' ? 'application/hl7-v2; charset=utf-8' : 'application/xml; charset=utf-8';
}
