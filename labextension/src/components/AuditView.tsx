import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { summarizeAudit } from '../plans';
import { IAudit } from '../tokens';
import { EnvironmentLine, PackageTable } from './PlanTable';
import { PackageList } from './PlanView';

/** "N packages: a trusted, b publisher-verified, c unverified", then what needs attention. */
export function AuditSummary(props: { audit: IAudit; trans: TranslationBundle }): JSX.Element {
  const { state, text } = summarizeAudit(props.audit, props.trans);
  return (
    <div className={`jp-TrustPlan-summary jp-TrustPlan-summary-${state} jp-TrustAudit-summary`} data-state={state} role="status">
      {text}
    </div>
  );
}

/** An environment's audit in the sidebar: the summary and one compact row per installed package. */
export function AuditView(props: { audit: IAudit; trans: TranslationBundle; onOpenInMain?: () => void }): JSX.Element {
  const { audit, trans } = props;
  return (
    <div className="jp-TrustAudit">
      <AuditSummary audit={audit} trans={trans} />
      <PackageList packages={audit.packages} trans={trans} label={trans.__('Installed packages')} />
      {props.onOpenInMain && audit.packages.length > 0 && (
        <div className="jp-TrustPanel-planActions">
          <button type="button" className="jp-Button jp-mod-styled jp-TrustAudit-open" onClick={props.onOpenInMain}>
            {trans.__('Open audit in main area')}
          </button>
        </div>
      )}
    </div>
  );
}

/** The whole audit in the main area: sortable, filterable table of every installed package. */
export function AuditTable(props: { audit: IAudit; trans: TranslationBundle }): JSX.Element {
  const { audit, trans } = props;
  const head = (
    <>
      <AuditSummary audit={audit} trans={trans} />
      <EnvironmentLine prefix={audit.prefix} trans={trans} />
    </>
  );
  return <PackageTable packages={audit.packages} trans={trans} head={head} withAction={false} />;
}
