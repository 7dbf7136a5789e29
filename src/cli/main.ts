/** The `medbill` command. */
import { Command } from 'commander';
import { registerCall } from './call';
import { registerDlq } from './dlq';
import { registerDocs } from './docs';
import { registerFinance } from './finance';
import { registerFlowRun } from './flow-run';
import { registerOps } from './ops';
import { registerPaper } from './paper';
import { registerSchema } from './schema';
import { registerStart } from './start';
import { registerSvs } from './svs';
import { registerTest } from './test';
import { registerTestMappings } from './test-mappings';
import { registerValidate } from './validate';
import { registerWsdl } from './wsdl';

const program = new Command();
program.name('medbill').description('medbill — 医疗电子票据管理平台 (hospital medical fiscal e-bill platform)').version(require('../../../package.json').version);
registerStart(program);
registerValidate(program);
registerTestMappings(program);
registerTest(program);
registerFlowRun(program);
registerSchema(program);
registerDocs(program);
registerOps(program);
registerDlq(program);
registerPaper(program);
registerCall(program);
registerWsdl(program);
registerFinance(program);
registerSvs(program);
program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`medbill: ${e.message}\n`);
  process.exit(1);
});
