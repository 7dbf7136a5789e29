/** The runtime services steps use, built once at start-up (src/app.ts). */
import type { Config } from '../config';
import type { BatchStore } from '../store/batches';
import type { BillStore } from '../store/bills';
import type { Db } from '../store/db';
import type { GroupCommit } from '../store/group-commit';
import type { MessageStore } from '../store/messages';
import type { StockStore } from '../store/stock';
import type { PaperStore } from '../store/paper';
import type { FeedbackStore } from '../store/feedback';
import type { FlowSwitchStore } from '../store/flow-switches';
import type { NoticeStore } from '../store/notices';
import type { RedStore } from '../store/red';
import type { ReportStore } from '../store/reports';
import type { Catalogue } from './catalogue';
import type { ChargeCatalogue } from './charge-catalogue';
import type { Finance } from './finance';
import type { CpuPool } from './cpu-pool';
import type { Mapping } from './mapping';
import type { Signer } from './signer';

export interface Services {
  config: Config;
  db: Db;
  writer: GroupCommit;
  catalogue: Catalogue;
  mappings: Map<string, Mapping>;
  messages: MessageStore;
  /** flows an operator disabled (medbill flows disable); absent = every flow enabled */
  flowSwitches?: FlowSwitchStore;
  bills: BillStore;
  batches: BatchStore;
  stock: StockStore;
  paper: PaperStore;
  red: RedStore;
  feedback: FeedbackStore;
  notices: NoticeStore;
  /** reconciliation and accounting (report step) */
  reports: ReportStore;
  pool: CpuPool;
  signer: Signer;
  /** the finance binding (finance.binding): steps and jobs reach finance only through this port */
  finance?: Finance;
  /** finance's charge-item catalogue as last downloaded (charge-codes step); absent in one-shot tools */
  chargeCatalogue?: ChargeCatalogue;
  /** after a commit that enqueued outbox jobs: deliver them now rather than at the next poll (app.ts sets it) */
  wakeOutbox?: () => void;
}
