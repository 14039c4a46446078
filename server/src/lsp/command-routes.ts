// Every workspace/executeCommand the server answers, in one list: what initialize advertises and what it routes.
import type { Connection } from 'vscode-languageserver';
import type { CommandRoute } from './custom-messages';
import { editPromptRoute } from './manifest/edit-prompt';
import type { AnalysisCommands } from './runs/analysis-commands';
import type { LabelIssuePublisher } from './runs/label-issue-diagnostics';
import { markNotLabelErrorRoute } from './runs/mark-not-label-error';

export function commandRoutes(
  analysis: Pick<AnalysisCommands, 'routes'>, connection: Connection, labelIssues: LabelIssuePublisher, rootFor: (datasetRoot: string) => string,
): CommandRoute[] {
  return [...analysis.routes, editPromptRoute(connection), markNotLabelErrorRoute(labelIssues, rootFor)];
}
