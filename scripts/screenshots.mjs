// Copies the screenshots the last `npm run test:e2e` wrote (test/e2e/screenshots-latest/, git-ignored) over the
// committed ones the README shows (test/e2e/screenshots/), on purpose and never as a side effect of testing.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const latest = join('test', 'e2e', 'screenshots-latest');
const committed = join('test', 'e2e', 'screenshots');

const pngs = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.png')).sort() : []);
const names = pngs(latest);
if (names.length === 0) {
  console.error(`no screenshots in ${latest}/: run \`npm run test:e2e\` first`);
  process.exit(1);
}

mkdirSync(committed, { recursive: true });
const counts = { changed: 0, added: 0, unchanged: 0 };
for (const name of names) {
  const from = join(latest, name);
  const to = join(committed, name);
  // Byte comparison: Chromium encodes identical pixels identically, so only real changes show up in git.
  const state = !existsSync(to) ? 'added' : readFileSync(to).equals(readFileSync(from)) ? 'unchanged' : 'changed';
  counts[state]++;
  if (state === 'unchanged') continue;
  copyFileSync(from, to);
  console.log(`${state.padEnd(9)} ${to}`);
}
// A committed screenshot no test wrote this time is left alone, but named: it may be stale or renamed.
for (const name of pngs(committed).filter((n) => !names.includes(n))) console.log(`not taken ${join(committed, name)} (left as it is)`);
console.log(`${counts.changed} changed, ${counts.added} added, ${counts.unchanged} unchanged`);
