// `npm run compose`: regenerate docker-compose.yml and deploy/nats-*.conf at the repository root
// from the deployment definition (cluster/compose.ts). Commit the result; a test checks drift.
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { writeComposeFiles } from '../cluster/compose.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');
for (const path of writeComposeFiles(root)) process.stdout.write(`wrote ${relative(root, path)}\n`);
