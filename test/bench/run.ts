// `npm run bench [-- SECTION...]`: one machine-readable JSON line per figure on stdout (see report.ts).
import { benchAnalyze } from './analyze';
import { benchEmbedding } from './embedding';
import { benchPrior } from './prior';
import { note } from './report';

const sections: Record<string, () => Promise<void>> = {
  prior: () => benchPrior(),
  embed: () => benchEmbedding(),
  analyze: () => benchAnalyze(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !(w in sections));
  if (unknown.length) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; choose from ${Object.keys(sections).join(', ')}`);
  for (const [name, run] of Object.entries(sections)) {
    if (wanted.length && !wanted.includes(name)) continue;
    note(`section ${name}`);
    await run();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
