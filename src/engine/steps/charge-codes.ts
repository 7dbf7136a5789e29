/**
 * charge-codes: every chargeDetail[i].chargeCode of a settlement must be in the charge-item catalogue
 * downloaded from finance (src/engine/charge-catalogue.ts), allowed on the bill kind the service issues
 * and valid today. Before any catalogue was downloaded the step checks nothing (/readyz says so).
 */
import { issueDate } from '../../domain/time';
import { BILL_KINDS, isBillKind } from '../../domain/stock';
import { hisError } from '../errors';
import { defineStep } from '../step';

const reads = { settlement: { type: 'Settlement', free: true, doc: 'the settlement whose chargeDetail lines are checked' } } as const;

interface ChargeLines {
  chargeDetail?: { chargeCode?: unknown }[];
}

export const chargeCodesStep = defineStep<Record<string, never>, typeof reads, Record<string, never>>({
  kind: 'charge-codes',
  doc: "Checks each chargeDetail[i].chargeCode against finance's charge-item catalogue (medbill finance sync): unknown, not for this bill kind, or out of validity → E2630 naming the line. No catalogue downloaded yet: not checked.",
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  reads,
  writes: {},
  prepare() {
    return async (io) => {
      const cat = io.ctx.services.chargeCatalogue;
      const version = cat?.loadedVersion;
      if (!cat || version === undefined) return;
      const kind = io.ctx.services.catalogue.services.get(io.ctx.msg.serviceId)?.issues?.billKind;
      const billCode = kind && isBillKind(kind) ? BILL_KINDS[kind].billCode : undefined;
      const day = issueDate(Date.now());
      const lines = (io.in.settlement as ChargeLines).chargeDetail ?? [];
      for (let i = 0; i < lines.length; i++) {
        const chargeCode = String(lines[i]?.chargeCode ?? '');
        const p = cat.problem(chargeCode, billCode, day);
        if (!p) continue;
        const field = `chargeDetail[${i}].chargeCode`;
        if (p.kind === 'unknown') throw hisError('E2630', 'unknown', { field, chargeCode, version }, field);
        if (p.kind === 'notForKind') throw hisError('E2630', 'notForKind', { field, chargeCode, name: p.name, version, billCodes: p.billCodes, billCode: billCode ?? '' }, field);
        throw hisError('E2630', 'notValid', { field, chargeCode, name: p.name, version, validFrom: p.validFrom, validTo: p.validTo }, field);
      }
    };
  },
});
