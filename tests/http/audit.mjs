// GraphQL-over-HTTP conformance audit (graphql-http's auditServer) of a running server.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
// Prints every result and a summary; exits 1 when any MUST or SHOULD audit fails, 2 on misuse.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = await auditServer({ url });
const levels = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
let failures = 0;
for (const r of results) {
  const level = r.name.split(' ')[0];
  levels[level][1] += 1;
  if (r.status === 'ok') levels[level][0] += 1;
  else if (level !== 'MAY') failures += 1;
  const why = r.status === 'ok' ? '' : ` -- ${r.reason} (got ${r.response.status})`;
  console.log(`${r.id} ${r.status.padEnd(6)} ${r.name}${why}`);
}
const parts = Object.entries(levels).map(([level, [ok, all]]) => `${level} ${ok}/${all}`);
console.log(`summary: ${parts.join(', ')}; ${failures} MUST/SHOULD failures`);
process.exit(failures ? 1 : 0);
