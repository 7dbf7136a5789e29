/** The `medbill` command. */
import { Command } from 'commander';
import { registerCommands } from './commands';

const program = new Command();
program.name('medbill').description('medbill — 医疗电子票据管理平台 (hospital medical fiscal e-bill platform)').version(require('../../../package.json').version);
registerCommands(program, process.argv.slice(2))
  .then(() => program.parseAsync(process.argv))
  .catch((e: Error) => {
    process.stderr.write(`medbill: ${e.message}\n`);
    process.exit(1);
  });
