/** The step kinds a flow may use. A new kind: one file in steps/, one line here. */
import type { AnyStepKind } from './step';
import { allocateStep } from './steps/allocate';
import { batchAcceptStep } from './steps/batch-accept';
import { batchStatusStep } from './steps/batch-status';
import { chargeCodesStep } from './steps/charge-codes';
import { dedupeStep } from './steps/dedupe';
import { dialectStep } from './steps/dialect';
import { financeStockStep } from './steps/finance-stock';
import { fiscalXmlStep } from './steps/fiscal-xml';
import { arrearsFeedbackStep } from './steps/arrears-feedback';
import { listDetailStep } from './steps/list-detail';
import { lookupStep } from './steps/lookup';
import { mapStep } from './steps/map';
import { notifyStep } from './steps/notify';
import { paperStep } from './steps/paper';
import { persistStep } from './steps/persist';
import { renderStep } from './steps/render';
import { redAllocateStep } from './steps/red-allocate';
import { redDedupeStep } from './steps/red-dedupe';
import { reportStep } from './steps/report';
import { respondStep } from './steps/respond';
import { rulesStep } from './steps/rules';
import { signStep } from './steps/sign';
import { stockStep } from './steps/stock';
import { validateStep } from './steps/validate';

export const STEP_KINDS: Map<string, AnyStepKind> = new Map(
  [
    validateStep,
    mapStep,
    rulesStep,
    chargeCodesStep,
    dedupeStep,
    allocateStep,
    redDedupeStep,
    redAllocateStep,
    fiscalXmlStep,
    signStep,
    persistStep,
    lookupStep,
    stockStep,
    financeStockStep,
    arrearsFeedbackStep,
    listDetailStep,
    batchAcceptStep,
    batchStatusStep,
    dialectStep,
    notifyStep,
    reportStep,
    paperStep,
    renderStep,
    respondStep,
  ].map((k) => [k.kind, k]),
);
