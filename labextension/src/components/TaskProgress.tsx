import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ITask, TASK_DONE } from '../tokens';

/** Bytes for people: 1.5 MB. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = Math.max(n, 0);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** An install task: packages and bytes progress, Cancel while it runs, then the result or the error. */
export function TaskProgress(props: { task: ITask; trans: TranslationBundle; onCancel: () => void }): JSX.Element {
  const { task, trans } = props;
  const p = task.progress;
  const running = !TASK_DONE.includes(task.state);
  const packagesMax = Math.max(p.packages_total, 1);
  const bytesMax = Math.max(p.bytes_total, 1);
  const done = task.state === 'succeeded';
  return (
    <div className={`jp-TrustPanel-task jp-TrustPanel-task-${task.state}`}>
      <div className="jp-TrustPanel-taskState">
        <span className="jp-TrustPanel-taskStateName">{task.state}</span>
        {p.phase && <span className="jp-TrustPanel-source"> · {p.phase}</span>}
        {p.message && p.message !== p.phase && <span> · {p.message}</span>}
      </div>
      <label className="jp-TrustPanel-progress">
        {trans.__('Packages %1/%2', p.packages_done, p.packages_total)}
        <progress className="jp-TrustPanel-packagesProgress" max={packagesMax} value={done ? packagesMax : p.packages_done} />
      </label>
      {p.bytes_total > 0 && (
        <label className="jp-TrustPanel-progress">
          {trans.__('Downloaded %1 of %2', formatBytes(p.bytes_done), formatBytes(p.bytes_total))}
          <progress className="jp-TrustPanel-bytesProgress" max={bytesMax} value={done ? bytesMax : p.bytes_done} />
        </label>
      )}
      {task.result && <div className="jp-TrustPanel-taskResult">{task.result.message}</div>}
      {task.error && <div className="jp-TrustPanel-error">{task.error}</div>}
      {running && (
        <button className="jp-Button jp-mod-styled jp-mod-warn jp-TrustPanel-cancel" onClick={props.onCancel}>
          {trans.__('Cancel')}
        </button>
      )}
    </div>
  );
}
