// The review queue's actions on the extension's side: Move to the suggested class (renames the user confirms, one
// WorkspaceEdit however many) and Not an error (the worker's gla.markNotLabelError writes .gla/reviewed.json).
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest } from 'vscode-languageclient/node';
import { MarkNotLabelErrorCommand, type MarkNotLabelErrorArgs } from '../../server/src/protocol';
import type { PanelData } from './bias-panel-api';
import { keepingBoth, overwriting, planMoves, type PlannedMove } from './label-moves';
import { removeReviewed } from './review-counts';
import { markDone, WalkthroughKeys } from './walkthrough-progress';
import type { GlaWorker } from './worker';

/**
 * The only way the panel edits a dataset: renames the user confirms, applied as one undoable WorkspaceEdit (a
 * batch is one Undo). A target that exists is overwritten only when the user says so; "Keep Both" picks a free name.
 */
export async function moveToSuggestedClass(datasetRoot: string | undefined, data: PanelData, paths: string[], output: vscode.LogOutputChannel): Promise<{ moved: string[]; message: string }> {
  const issues = paths.map((p) => data.images.labelIssues.find((i) => i.path === p)).filter((i): i is NonNullable<typeof i> => !!i);
  const plan = datasetRoot ? planMoves(datasetRoot, issues, existsSync) : { moves: [], refused: [] };
  if (!plan.moves.length) {
    const why = plan.refused[0]?.why ?? 'it is not a suspected label error of this run';
    return { moved: [], message: `${paths.length === 1 ? paths[0] : 'None of them'} can be moved to a class folder: ${why}.` };
  }
  const first = issues.find((i) => i.path === plan.moves[0].path)!;
  const taken = plan.moves.filter((m) => m.taken);
  const what = plan.moves.length === 1 ? `Move ${first.path} from '${first.given}' to '${first.other}'?` : `Move ${plan.moves.length} images to their suggested class folders?`;
  const list = plan.moves.slice(0, 8).map((m) => `${m.path} → ${m.target}`).join('\n') + (plan.moves.length > 8 ? `\n… and ${plan.moves.length - 8} more` : '');
  const refused = plan.refused.length ? `\n\n${plan.refused.length} cannot be moved (${plan.refused[0].why}).` : '';
  let moves: PlannedMove[] = plan.moves;
  if (taken.length) {
    const choice = await vscode.window.showWarningMessage(
      what,
      { modal: true, detail: `${taken.length === 1 ? `${taken[0].target} already exists` : `${taken.length} of the targets already exist (${taken[0].target}, …)`}. Keep Both moves ${taken.length === 1 ? 'it' : 'them'} under a new name (${basename(keepingBoth([taken[0]], existsSync, datasetRoot!)[0].to)}); Overwrite replaces the image${taken.length === 1 ? '' : 's'} there.${refused}` },
      'Keep Both',
      'Overwrite',
    );
    if (!choice) return { moved: [], message: 'Not moved.' };
    moves = choice === 'Keep Both' ? keepingBoth(plan.moves, existsSync, datasetRoot!) : overwriting(plan.moves, existsSync, datasetRoot!);
  } else {
    const choice = await vscode.window.showWarningMessage(
      what,
      { modal: true, detail: `This renames ${plan.moves.length === 1 ? `the file in your dataset to ${plan.moves[0].target}` : `the files in your dataset:\n${list}`}; the notice that follows can undo it. Re-run the analysis to update the report.${refused}` },
      'Move',
    );
    if (choice !== 'Move') return { moved: [], message: 'Not moved.' };
  }
  const edit = new vscode.WorkspaceEdit();
  for (const m of moves) edit.renameFile(vscode.Uri.file(m.from), vscode.Uri.file(m.to), { overwrite: m.taken });
  const applied = await vscode.workspace.applyEdit(edit);
  for (const m of moves) output.info(`bias panel: ${applied ? 'moved' : 'could not move'} ${m.from} → ${m.to}`);
  if (!applied) return { moved: [], message: `Could not move ${moves.length === 1 ? moves[0].path : `the ${moves.length} images`}.` };
  markDone(WalkthroughKeys.labelFixApplied);
  const said = moves.length === 1 ? `${moves[0].path} to ${moves[0].target}` : `${moves.length} images to their suggested class folders`;
  // Edit › Undo reaches the renames only from a moved image's editor, so the undo is offered right here too.
  void vscode.window.showInformationMessage(`GLA: moved ${said}.`, 'Undo Move').then(async (undo) => {
    const back = moves.filter((m) => !existsSync(m.from) && existsSync(m.to));
    if (undo !== 'Undo Move' || !back.length) return;
    const edit = new vscode.WorkspaceEdit();
    for (const m of back) edit.renameFile(vscode.Uri.file(m.to), vscode.Uri.file(m.from), { overwrite: false });
    output.info(`bias panel: ${(await vscode.workspace.applyEdit(edit)) ? 'moved back' : 'could not move back'} ${back.length} image(s)`);
  });
  return { moved: moves.map((m) => m.path), message: `Moved ${moves.length === 1 ? `to ${moves[0].target}` : `${moves.length} images`}. Re-run the analysis to update the report.` };
}

/** "Not an error": the worker records it in .gla/reviewed.json and drops the warnings; the queue then lets it go. */
export async function markNotLabelError(datasetRoot: string | undefined, data: PanelData, paths: string[], output: vscode.LogOutputChannel, worker: GlaWorker | undefined): Promise<{ marked: string[]; message: string }> {
  const known = paths.filter((p) => data.images.labelIssues.some((i) => i.path === p));
  if (!known.length || !datasetRoot) return { marked: [], message: 'Nothing to mark: not a suspected label error of this run.' };
  if (!worker) return { marked: [], message: 'The GLA worker is not available to record the review.' };
  const client = await worker.ready();
  const args: MarkNotLabelErrorArgs = { dataset: vscode.Uri.file(datasetRoot).toString(), paths: known };
  const result = (await client.sendRequest(ExecuteCommandRequest.type, { command: MarkNotLabelErrorCommand.command, arguments: [args] })) as { marked: number; file: string };
  removeReviewed(data, new Set(known));
  output.info(`bias panel: marked ${known.length} image(s) "not an error" in ${result.file}`);
  return { marked: known, message: `Marked ${known.length === 1 ? known[0] : `${known.length} images`} "not an error" (${vscode.workspace.asRelativePath(result.file)}). Later runs leave ${known.length === 1 ? 'it' : 'them'} out while unchanged.` };
}
