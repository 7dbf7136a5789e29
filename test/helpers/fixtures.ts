/**
 * The repository's own sample data, for every suite and the benches: the example settlements under
 * examples/ (the README tour posts the same files) and test/fixtures/ (vendor vectors, real-client
 * payloads; see test/fixtures/README.md). Tests run from dist/test/…, so paths start at the project
 * root, never at the working directory, and nothing outside the repository is read.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

export const EXAMPLES_DIR = path.join(PROJECT_ROOT, 'examples');
/** The outpatient settlement of the README tour (busNo MZ20261125000123_1, 236.50). */
export const SAMPLE_FILE = path.join(EXAMPLES_DIR, 'outpatient-v3.2.json');
export const FIXTURES_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures');
export const VECTORS_DIR = path.join(FIXTURES_DIR, 'vectors');
export const REAL_CLIENTS_DIR = path.join(FIXTURES_DIR, 'real-clients');

/** A vendor vector (Base64 text, as the signature server returned it) decoded to DER. */
export const vector = (name: string): Buffer => Buffer.from(readFileSync(path.join(VECTORS_DIR, name), 'utf8'), 'base64');
