// The prompt lab's edit → figures time over a real LSP connection, on a copy of the sample: median of 7 prompt
// edits after one warm-up edit (each a new prompt, so each encodes its prompt × templates).
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { repoRoot } from '../helpers/paths';
import { figure } from './report';

export async function benchPromptLab(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'gla-bench-lab-'));
  const shapes = join(root, 'shapes');
  cpSync(join(repoRoot, 'samples', 'shapes'), shapes, { recursive: true, dereference: true });
  const client = await LspTestClient.start({ workspace: root, initializationOptions: { cacheDir: join(root, '.cache'), trusted: true } });
  try {
    const uri = uriOf(join(shapes, 'gla.yaml'));
    const original = readFileSync(join(shapes, 'gla.yaml'), 'utf8');
    await client.open(uri, original);
    await client.executeCommand('gla.analyze', [{ dataset: uri }]);
    const edit = async (prompt: string): Promise<number> => {
      const refreshes = client.codeLensRefreshes;
      const t0 = performance.now();
      await client.change(uri, original.replace('prompt: orange square', `prompt: ${prompt}`));
      await client.waitFor('the lens refresh', () => (client.codeLensRefreshes > refreshes ? true : undefined));
      await client.codeLens(uri);
      return performance.now() - t0;
    };
    await edit('orange shape');
    const times: number[] = [];
    for (let i = 0; i < 7; i++) times.push(await edit(`orange square number ${i}`));
    times.sort((a, b) => a - b);
    // Includes the 300 ms debounce after the edit.
    figure('prompt-lab.edit_to_figures', times[3], 'ms', { runs: 7, debounceMs: 300, target: 1000, dataset: 'samples/shapes' });
  } finally {
    await client.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
