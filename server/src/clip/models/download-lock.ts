// One lock file per download destination, so two gla processes never append to the same .part.
import { promises as fs } from 'node:fs';
import { UserError } from '../../errors';

/** Takes `<dest>.lock` (holding our pid); a lock whose process is gone is stale and taken over. Returns the release. */
export async function acquireLock(dest: string): Promise<() => Promise<void>> {
  const lockPath = `${dest}.lock`;
  for (let tries = 0; tries < 3; tries++) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => fs.rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fs.readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new UserError(`another gla process (pid ${pid}) is downloading ${dest}; wait for it to finish, or delete ${lockPath} if it is gone`);
      }
      // A lock whose process is gone (killed, crashed) is stale.
      await fs.rm(lockPath, { force: true });
    }
  }
  throw new UserError(`cannot lock ${dest} for download`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
