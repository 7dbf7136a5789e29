/**
 * What `medbill replay` says before replaying through a server that may run other definitions than the
 * files (one CLI run against a real stale server: stale-server.test.ts).
 */
import assert from 'node:assert/strict';
import { definitionDrift, LoadedDefinitions } from '../../src/engine/loaded-definitions';

const CURE = 'reload it (medbill reload), or replay with --local to use the files';

function defs(over: { flows?: Partial<Record<string, string>>; files?: Record<string, string> } = {}): LoadedDefinitions {
  const versions: Record<string, string | undefined> = { invoiceEBillOutpatient: 'aaaaaaaaaaaa', getEBillByBusNo: 'bbbbbbbbbbbb', ...over.flows };
  const names: Record<string, string> = { invoiceEBillOutpatient: 'outpatient-issue', getEBillByBusNo: 'query-get-ebill-by-busno' };
  return {
    loadedAt: 0,
    version: '',
    overlay: [],
    flows: Object.entries(versions)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([service, version]) => ({ channel: 'his', service, flow: names[service] ?? service, version, file: `flows/${service}.flow.yaml` })),
    files: {
      'config/catalogue/common.schema.yaml': 'c0',
      'config/catalogue/invoiceEBillOutpatient.yaml': 'c1',
      'config/catalogue/getEBillByBusNo.yaml': 'c2',
      'mappings/his-v32/outpatient-to-settlement.map.yaml': 'm1',
      'flows/invoiceEBillOutpatient.flow.yaml': 'f1',
      ...over.files,
    },
  };
}

describe('replay: does the running server use the files?', () => {
  it('the same definitions: nothing to say', () => {
    assert.deepEqual(definitionDrift(defs(), defs(), ['invoiceEBillOutpatient', 'invoiceEBillOutpatient', '-']), []);
  });

  it('another flow version for a replayed service: says which, and what to do', () => {
    const server = defs({ flows: { invoiceEBillOutpatient: '111111111111' }, files: { 'flows/invoiceEBillOutpatient.flow.yaml': 'f0' } });
    assert.deepEqual(definitionDrift(server, defs(), ['invoiceEBillOutpatient']), [`server runs outpatient-issue@111111111111, files are @aaaaaaaaaaaa: ${CURE}`]);
  });

  it('a flow of a service that is not replayed does not matter; its catalogue entry neither', () => {
    const server = defs({ flows: { getEBillByBusNo: '222222222222' }, files: { 'config/catalogue/getEBillByBusNo.yaml': 'old' } });
    assert.deepEqual(definitionDrift(server, defs(), ['invoiceEBillOutpatient']), []);
  });

  it('a changed mapping or schema, or a file added or removed: the flow version alone would not tell', () => {
    const server = defs({ files: { 'mappings/his-v32/outpatient-to-settlement.map.yaml': 'm0', 'config/catalogue/common.schema.yaml': 'old', 'mappings/his-v32/gone.map.yaml': 'g' } });
    const files = defs({ files: { 'mappings/his-v32/new.map.yaml': 'n' } });
    assert.deepEqual(definitionDrift(server, files, ['invoiceEBillOutpatient']), [
      `server loaded its definitions before these files changed (changed config/catalogue/common.schema.yaml, mappings/his-v32/outpatient-to-settlement.map.yaml; added mappings/his-v32/new.map.yaml; removed mappings/his-v32/gone.map.yaml): ${CURE}`,
    ]);
  });

  it('a service only one side routes', () => {
    assert.deepEqual(definitionDrift(defs({ flows: { getEBillByBusNo: undefined } }), defs(), ['getEBillByBusNo']), [`server has no flow for getEBillByBusNo, files have query-get-ebill-by-busno@bbbbbbbbbbbb: ${CURE}`]);
    assert.deepEqual(definitionDrift(defs(), defs({ flows: { getEBillByBusNo: undefined } }), ['getEBillByBusNo']), [`server runs query-get-ebill-by-busno@bbbbbbbbbbbb for getEBillByBusNo, the files have no flow for it: ${CURE}`]);
  });
});
