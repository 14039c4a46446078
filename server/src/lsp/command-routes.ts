// Every workspace/executeCommand the server answers, in one list: what initialize advertises and what it routes.
import type { Connection } from 'vscode-languageserver';
import type { CommandRoute } from './custom-messages';
import { editPromptRoute } from './manifest/edit-prompt';
import type { AnalysisCommands } from './runs/analysis-commands';

export function commandRoutes(analysis: Pick<AnalysisCommands, 'routes'>, connection: Connection): CommandRoute[] {
  return [...analysis.routes, editPromptRoute(connection)];
}
