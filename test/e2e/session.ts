// What most e2e files do first: code-server on a sandbox, the workbench opened on a folder with the extension
// active, and (for those that need a run) gla.yaml analyzed. One place, so each test file says only what it adds.
import { CodeServer, STATUS_ITEM_SELECTOR, type Sandbox } from './harness';
import { Workbench } from './workbench';

export interface Session {
  server: CodeServer;
  wb: Workbench;
}

/** code-server on `sandbox`, the workbench on `folder`, once GLA's status item shows (the extension is active). */
export async function openSession(sandbox: Sandbox, folder: string): Promise<Session> {
  const server = await CodeServer.start(sandbox);
  const wb = await Workbench.open(server, folder);
  await wb.page.locator(STATUS_ITEM_SELECTOR).waitFor({ state: 'visible', timeout: 30_000 });
  return { server, wb };
}

/** Opens `manifest` (relative to the folder) and runs GLA: Analyze Dataset… on it, as a user does, to its summary. */
export async function analyzeManifest(wb: Workbench, manifest: string, summary = /Analyzed \d+ images/, timeoutMs = 120_000): Promise<void> {
  await wb.openFile(manifest);
  await wb.runCommand('GLA: Analyze Dataset…');
  await wb.waitForNotification(summary, timeoutMs);
}

/** After an analysis: only the bias panel open, with room beside it. */
export async function showBiasPanelAlone(wb: Workbench): Promise<void> {
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('GLA: Show Bias Panel');
  await wb.makeRoomForEditor();
}

/** Closes the browser and code-server, and removes the sandbox. */
export async function closeSession(session: Partial<Session> | undefined, sandbox: Sandbox | undefined): Promise<void> {
  await session?.wb?.close();
  await session?.server?.stop();
  sandbox?.dispose();
}
