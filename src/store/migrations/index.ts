/** Migrations as modules (not files discovered at run time), so dist/ and tests see the same list. */
import type { Knex } from 'knex';
import * as m001 from './001-foundation';
import * as m002 from './002-supervisor-signature';
import * as m003 from './003-exact-identity-collation';
import * as m004 from './004-answers-and-lookups';
import * as m005 from './005-outbox-horizon-and-dead-letters';
import * as m008 from './008-replay-link';
import * as m009 from './009-bill-lifecycle-columns';
import * as m010 from './010-stock-ledger';
import * as m011 from './011-paper-and-print';
import * as m012 from './012-batches';
import * as m013 from './013-red-notice-voucher-feedback';
import * as m014 from './014-accounting-and-reconciliation';
import * as m016 from './016-finance-base-stock-reconcile';
import * as m017 from './017-hl7-acks';
import * as m018 from './018-definitions-version-and-flow-switches';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Record<string, Migration> = {
  '001-foundation': m001,
  '002-supervisor-signature': m002,
  '003-exact-identity-collation': m003,
  '004-answers-and-lookups': m004,
  '005-outbox-horizon-and-dead-letters': m005,
  '008-replay-link': m008,
  '009-bill-lifecycle-columns': m009,
  '010-stock-ledger': m010,
  '011-paper-and-print': m011,
  '012-batches': m012,
  '013-red-notice-voucher-feedback': m013,
  '014-accounting-and-reconciliation': m014,
  '016-finance-base-stock-reconcile': m016,
  '017-hl7-acks': m017,
  '018-definitions-version-and-flow-switches': m018,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
