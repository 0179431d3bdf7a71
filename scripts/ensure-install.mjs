// The `prestart` / `pretest` hook. Plain JavaScript on purpose: it runs on whatever Node the
// machine has (possibly too old for the project), before node_modules — and with it the project's
// own Node 24 — exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// npm writes this file at the end of every install, so its age is the age of the install.
const installMarker = join(root, 'node_modules', '.package-lock.json');

function modifiedAt(file) {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

function installIsStale() {
  const installedAt = modifiedAt(installMarker);
  if (installedAt === 0) return true;
  return ['package.json', 'package-lock.json'].some((f) => modifiedAt(join(root, f)) > installedAt);
}

if (installIsStale()) {
  console.log('Dependencies are missing or older than package.json/package-lock.json: running npm install…');
  // npm install, not npm ci: it honours the lockfile and tolerates the platform-specific optional
  // packages (anvil, swc) a lockfile made on another platform lacks.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `exit code ${result.status}`;
    console.error(
      `npm install failed (${why}). Check the network or registry access, then run \`npm install\` in ${root} yourself.`,
    );
    process.exit(1);
  }
}
