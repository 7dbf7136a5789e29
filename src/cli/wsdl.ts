import path from 'node:path';
import type { Command } from 'commander';
import { writeOrCheck } from './generated-file';
import { generateWsdl } from '../../adapters/his/soap/wsdl-gen';
import { loadConfig } from '../config';
import { loadCatalogue } from '../engine/catalogue';

/** `medbill wsdl`: regenerates wsdl/EBillService.wsdl from the catalogue (commit the result). */
export function registerWsdl(program: Command): void {
  program
    .command('wsdl')
    .description('generate wsdl/EBillService.wsdl from config/catalogue (commit the result; a test fails when it is stale)')
    .option('--out <file>', 'write here instead of wsdl/EBillService.wsdl')
    .option('--check', 'only compare: exit 1 when the file differs from a fresh generation')
    .action((opts: { out?: string; check?: boolean }) => {
      const cfg = loadConfig();
      const xml = generateWsdl(loadCatalogue(path.join(cfg.projectRoot, 'config', 'catalogue')));
      const file = opts.out ?? path.join(cfg.projectRoot, 'wsdl', 'EBillService.wsdl');
      writeOrCheck(file, xml, opts.check, 'medbill wsdl');
    });
}
