// Regenerates test fixtures from the committed generators in test/fixtures/<family>/generate.{py,mjs}.
// Each family writes into test/fixtures/generated/<family>/ and is rerun only when its generator files change.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'test/fixtures';
const outRoot = join(root, 'generated');
const python = process.env.GLA_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const only = process.argv.slice(2);

function familyHash(dir) {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isFile()) h.update(f).update(readFileSync(p));
  }
  return h.digest('hex');
}

const families = readdirSync(root)
  .filter((f) => f !== 'generated' && statSync(join(root, f)).isDirectory())
  .filter((f) => only.length === 0 || only.includes(f))
  .sort();

let failed = 0;
for (const family of families) {
  const dir = join(root, family);
  const generator = ['generate.py', 'generate.mjs'].map((g) => join(dir, g)).find(existsSync);
  if (!generator) continue;
  const out = join(outRoot, family);
  const stamp = join(out, '.stamp');
  const hash = familyHash(dir);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) continue;
  // Generate into a temporary folder and swap it in, so an interrupted run never leaves half a family.
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  const cmd = generator.endsWith('.py') ? python : process.execPath;
  const r = spawnSync(cmd, [generator, tmp], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`fixtures: ${family} failed (${generator} exited ${r.status ?? r.signal})`);
    rmSync(tmp, { recursive: true, force: true });
    failed++;
    continue;
  }
  writeFileSync(join(tmp, '.stamp'), hash);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  console.log(`fixtures: ${family} generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
process.exit(failed ? 1 : 0);
