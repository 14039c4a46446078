// How the server's hovers and messages name what a user can do: our VS Code extension's command titles for that
// client (it says who it is in initializationOptions.client), the LSP command names for every other client.
import { VSCODE_CLIENT, type InitializationOptions } from '../protocol';

export interface ClientWording {
  /** What to run to analyze a dataset, as the object of "run …". */
  analyze: string;
  /** The refusal in a restricted workspace, ending with how to lift it. */
  restricted: string;
  /** A Markdown link to a class's row in the bias panel, which only our extension has. */
  panelLink?(className: string, runDir: string): string;
}

/** Our extension's command that opens the bias panel at a class: `[{ className, runDir }]` (client/src/commands.ts). */
export const SHOW_CLASS_IN_PANEL_COMMAND = 'gla.showClassInBiasPanel';

/** The command's arguments for a class of a run, as code actions and hover links pass them. */
export function showClassArguments(className: string, runDir: string): [{ className: string; runDir: string }] {
  return [{ className, runDir }];
}

const RESTRICTED = 'GLA: this workspace is in restricted mode, so no model is run and nothing is downloaded.';

const VSCODE_WORDING: ClientWording = {
  analyze: '**GLA: Analyze Dataset**',
  restricted: `${RESTRICTED} Trust the workspace to analyze or classify.`,
  // The client trusts this one command in hovers (markdown.isTrusted.enabledCommands in client/src/language-client.ts).
  panelLink: (className, runDir) => `[Show in bias panel](command:${SHOW_CLASS_IN_PANEL_COMMAND}?${encodeURIComponent(JSON.stringify(showClassArguments(className, runDir)))})`,
};

// Other editors have no palette entry of ours; they call workspace/executeCommand and set initializationOptions.
const LSP_WORDING: ClientWording = {
  analyze: 'the `gla.analyze` command (workspace/executeCommand)',
  restricted: `${RESTRICTED} Start the server without initializationOptions.trusted: false to analyze or classify.`,
};

export function clientWording(init: InitializationOptions): ClientWording {
  return init.client === VSCODE_CLIENT ? VSCODE_WORDING : LSP_WORDING;
}
