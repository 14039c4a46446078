// How the server's hovers and messages name what a user can do: our VS Code extension's command titles for that
// client (it says who it is in initializationOptions.client), the LSP command names for every other client.
import { VSCODE_CLIENT, type InitializationOptions } from '../protocol';

export interface ClientWording {
  /** What to run to analyze a dataset, as the object of "run …". */
  analyze: string;
  /** The refusal in a restricted workspace, ending with how to lift it. */
  restricted: string;
}

const RESTRICTED = 'GLA: this workspace is in restricted mode, so no model is run and nothing is downloaded.';

const VSCODE_WORDING: ClientWording = {
  analyze: '**GLA: Analyze Dataset**',
  restricted: `${RESTRICTED} Trust the workspace to analyze or classify.`,
};

// Other editors have no palette entry of ours; they call workspace/executeCommand and set initializationOptions.
const LSP_WORDING: ClientWording = {
  analyze: 'the `gla.analyze` command (workspace/executeCommand)',
  restricted: `${RESTRICTED} Start the server without initializationOptions.trusted: false to analyze or classify.`,
};

export function clientWording(init: InitializationOptions): ClientWording {
  return init.client === VSCODE_CLIENT ? VSCODE_WORDING : LSP_WORDING;
}
