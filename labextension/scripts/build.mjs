// Builds the prebuilt lab extension offline: JupyterLab's core metadata comes from the installed
// JupyterLab (staging/package.json) instead of being downloaded.
import { execFileSync } from 'node:child_process';

const python = process.env.PYTHON || (process.platform === 'win32' ? 'python' : 'python3');
const core = execFileSync(python, [
  '-c',
  'import jupyterlab, pathlib; print(pathlib.Path(jupyterlab.__file__).parent / "staging" / "package.json")'
])
  .toString()
  .trim();
const args = ['-m', 'jupyterlab.labextensions', 'build', '--core-package-file', core, ...process.argv.slice(2), '.'];
execFileSync(python, args, { stdio: 'inherit' });
