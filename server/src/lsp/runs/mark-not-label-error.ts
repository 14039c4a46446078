// gla.markNotLabelError: the server writes .gla/reviewed.json (the CLI and later runs read it) and drops the warnings.
import { ErrorCodes, ResponseError } from 'vscode-languageserver';
import { isAbsolute } from 'node:path';
import { MarkNotLabelErrorCommand, type MarkNotLabelErrorArgs } from '../../protocol';
import { UserError, describeError } from '../../errors';
import { markReviewed, reviewedPath } from '../../store/reviewed';
import { commandRoute, type CommandRoute } from '../custom-messages';
import { uriPath } from '../uris';
import type { LabelIssuePublisher } from './label-issue-diagnostics';

function markArgs(raw: unknown): MarkNotLabelErrorArgs {
  const a = raw as Partial<MarkNotLabelErrorArgs> | null;
  if (!a || typeof a.dataset !== 'string' || !Array.isArray(a.paths) || !a.paths.length || !a.paths.every((p) => typeof p === 'string' && p !== '')) {
    throw new ResponseError(ErrorCodes.InvalidParams, 'GLA: gla.markNotLabelError takes [{dataset, paths: [image path relative to the dataset, …]}]');
  }
  return { dataset: a.dataset, paths: a.paths };
}

export function markNotLabelErrorRoute(labelIssues: LabelIssuePublisher, rootFor: (datasetRoot: string) => string): CommandRoute {
  return commandRoute(MarkNotLabelErrorCommand, async (raw) => {
    const args = markArgs(raw);
    const datasetRoot = isAbsolute(args.dataset) ? args.dataset : uriPath(args.dataset);
    if (!datasetRoot) throw new ResponseError(ErrorCodes.InvalidParams, `GLA: gla.markNotLabelError: ${args.dataset} is not a file URI or path`);
    const images = args.paths.map((path) => {
      const issue = labelIssues.issue(datasetRoot, path);
      if (!issue) throw new ResponseError(ErrorCodes.InvalidParams, `GLA: ${path} is not a suspected label error of the latest run of ${datasetRoot}`);
      return { path, given: issue.given, suggested: issue.suggested };
    });
    const workspaceRoot = rootFor(datasetRoot);
    try {
      await markReviewed(workspaceRoot, datasetRoot, images);
    } catch (err) {
      throw new ResponseError(ErrorCodes.InvalidRequest, `GLA: ${err instanceof UserError ? err.message : `could not record the review: ${describeError(err)}`}`);
    }
    labelIssues.markReviewed(datasetRoot, images.map((i) => i.path));
    return { marked: images.length, file: reviewedPath(workspaceRoot) };
  });
}
