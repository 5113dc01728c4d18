import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { summarize } from '../plans';
import { IPlan } from '../tokens';

/** One line above the packages: counts per verdict and the server's install decision in words. */
export function PlanSummary(props: { plan: IPlan; trans: TranslationBundle }): JSX.Element {
  const summary = summarize(props.plan, props.trans);
  return (
    <div className={`jp-TrustPlan-summary jp-TrustPlan-summary-${summary.decision}`} data-decision={summary.decision} role="status">
      {summary.text}
    </div>
  );
}
