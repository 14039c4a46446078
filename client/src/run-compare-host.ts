// The panel's side of "Compare with…": the panel's run against a run the page names (checked to be another readable
// run of the same dataset) or one the user picks. Answers with the comparison or a message, never a throw.
import { basename, resolve } from 'node:path';
import type { CompareResult } from './bias-panel-api';
import { compareRuns, sameDataset, type ReadableRun } from './run-comparison';
import { pickOtherRun, workspaceRuns } from './run-compare-pick';

export async function compareFromPanel(runDir: string, requested: unknown): Promise<CompareResult> {
  const here = resolve(runDir);
  const entries = await workspaceRuns(here);
  const base = entries.find((e) => e.runDir === here);
  if (!base?.readable) return { message: `This run cannot be compared: ${base?.reason ?? 'its folder is gone'}.` };
  let other: ReadableRun | undefined;
  if (requested !== undefined && requested !== null) {
    const { runs } = sameDataset(base.readable, entries);
    other = typeof requested === 'string' ? runs.find((r) => r.run.runDir === resolve(requested)) : undefined;
    if (!other) return { message: `${typeof requested === 'string' ? basename(requested) : 'That'} is not another readable run of this dataset.` };
  } else {
    const picked = await pickOtherRun(base.readable, entries);
    if (!picked) return { message: 'No run picked.' };
    if (!picked.run) return { message: picked.message };
    other = picked.run;
  }
  return { comparison: compareRuns(base.readable, other) };
}
