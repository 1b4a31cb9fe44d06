// Writes the scenario file's JSON Schema (world/scenario_schema.ts) to
// world/scenario.schema.json, for editors: `npm run schema`. A test fails while the file is out
// of date, so the committed file is always the schema the simulator checks against.
import { writeFileSync } from 'node:fs';

import { SCENARIO_SCHEMA_FILE, scenarioSchemaText } from '../world/scenario_schema.ts';

writeFileSync(SCENARIO_SCHEMA_FILE, scenarioSchemaText());
console.log(`wrote ${SCENARIO_SCHEMA_FILE}`);
