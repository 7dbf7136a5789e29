/**
 * Who may do what with a reprint (补打) of a lost paper bill: any staff account of `paper.staff`
 * applies; a supervisor other than the applicant approves or rejects. Accounts are named in the
 * configuration (not the database), so the list of who may approve is reviewed with the config.
 */
import type { Refusal } from './state-machine';

export interface Staff {
  account: string;
  role: 'cashier' | 'supervisor';
}

export type StaffCheck = { ok: true } | { ok: false; refusal: Refusal; params: Record<string, string> };

export function mayApply(staff: readonly Staff[], account: string): StaffCheck {
  if (!staff.some((s) => s.account === account)) return { ok: false, refusal: { code: 'E2234', message: 'unknownStaff' }, params: { account } };
  return { ok: true };
}

export function mayDecide(staff: readonly Staff[], applicant: string, decider: string, id: number): StaffCheck {
  const who = staff.find((s) => s.account === decider);
  if (!who) return { ok: false, refusal: { code: 'E2234', message: 'unknownStaff' }, params: { account: decider } };
  if (who.role !== 'supervisor') return { ok: false, refusal: { code: 'E2234', message: 'notSupervisor' }, params: { account: decider } };
  if (decider === applicant) return { ok: false, refusal: { code: 'E2234', message: 'selfApproval' }, params: { id: String(id), account: decider } };
  return { ok: true };
}
