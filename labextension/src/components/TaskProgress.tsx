import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ITask, TASK_DONE } from '../tokens';

export function TaskProgress(props: { task: ITask; trans: TranslationBundle; onCancel: () => void }): JSX.Element {
  const { task, trans } = props;
  const p = task.progress;
  const total = Math.max(p.packages_total, 1);
  const running = !TASK_DONE.includes(task.state);
  return (
    <div className={`jp-TrustPanel-task jp-TrustPanel-task-${task.state}`}>
      <progress max={total} value={task.state === 'succeeded' ? total : p.packages_done} />
      <div className="jp-TrustPanel-taskState">
        {trans.__('%1: %2 (%3/%4 packages)', task.state, p.message, p.packages_done, p.packages_total)}
      </div>
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
