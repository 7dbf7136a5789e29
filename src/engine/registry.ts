/** The step kinds a flow may use. A new kind: one file in steps/, one line here. */
import { allocateStep } from './steps/allocate';
import { dedupeStep } from './steps/dedupe';
import { fiscalXmlStep } from './steps/fiscal-xml';
import { lookupBillStep } from './steps/lookup-bill';
import { mapStep } from './steps/map';
import { persistStep } from './steps/persist';
import { respondStep } from './steps/respond';
import { rulesStep } from './steps/rules';
import { signStep } from './steps/sign';
import { validateStep } from './steps/validate';
import type { StepKind } from './step';

export const STEP_KINDS: Map<string, StepKind<never>> = new Map(
  ([validateStep, mapStep, rulesStep, dedupeStep, allocateStep, fiscalXmlStep, signStep, persistStep, lookupBillStep, respondStep] as StepKind<never>[]).map(
    (k) => [k.kind, k],
  ),
);

/** Kinds after which a failure leaves something behind that must be resumed or compensated. */
export const IRREVERSIBLE_KINDS = new Set(['allocate']);
