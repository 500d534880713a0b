// `npm run certs`: writes the development PKI (SPEC §7) to .dev/certs, or CERTS_DIR.
import { resolve } from 'node:path';
import { ensureDevPki } from '../services/mesh/src/dev-pki.js';

const directory = resolve(process.env['CERTS_DIR'] ?? '.dev/certs');
const result = await ensureDevPki(directory);
console.log(
  result.written.length === 0
    ? `certificates in ${directory} are up to date`
    : `wrote ${result.written.join(', ')} to ${directory}`,
);
