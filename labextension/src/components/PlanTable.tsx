import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { channelShortName, describeSigner, SortKey, sortPackages, verdictCounts, VERDICTS } from '../plans';
import { IPlan, IPlannedPackage, Verdict } from '../tokens';
import { MiddleEllipsis } from './MiddleEllipsis';
import { PlanSummary } from './PlanSummary';
import { VerdictBadge, verdictWord } from './VerdictBadge';

/** The whole plan as a table (main area): sortable by any column, filterable by verdict. */
export function PlanTable(props: { plan: IPlan; trans: TranslationBundle }): JSX.Element {
  const { plan, trans } = props;
  const [sort, setSort] = React.useState<{ key: SortKey; ascending: boolean }>({ key: 'verdict', ascending: true });
  const [shown, setShown] = React.useState<Verdict | 'all'>('all');
  const counts = verdictCounts(plan.packages);
  // The publisher column only when some package has an attestation (most channels have none).
  const hasPublisher = (p: IPlannedPackage): boolean =>
    Boolean(p.attestation && (p.attestation.signer || !['not-checked', 'missing'].includes(p.attestation.status)));
  const attested = plan.packages.some(hasPublisher);
  const rows = sortPackages(
    plan.packages.filter(p => shown === 'all' || p.verdict === shown),
    sort.key,
    sort.ascending
  );
  const columns: [SortKey, string][] = [
    ['verdict', trans.__('Verdict')],
    ['name', trans.__('Name')],
    ['version', trans.__('Version')],
    ['action', trans.__('Action')],
    ['channel', trans.__('Channel')]
  ];
  const header = ([key, label]: [SortKey, string]): JSX.Element => {
    const active = sort.key === key;
    return (
      <th key={key} aria-sort={active ? (sort.ascending ? 'ascending' : 'descending') : 'none'}>
        <button
          type="button"
          className="jp-TrustPlanTable-sort"
          data-sort={key}
          onClick={() => setSort({ key, ascending: active ? !sort.ascending : true })}
        >
          {label}
          <span aria-hidden="true">{active ? (sort.ascending ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <div className="jp-TrustPlanTable">
      <div className="jp-TrustPlanTable-head">
        <PlanSummary plan={plan} trans={trans} />
        <div className="jp-TrustPlanTable-prefix">
          {trans.__('Environment:')} <MiddleEllipsis value={plan.prefix} trans={trans} copy={trans.__('prefix')} />
        </div>
        <div className="jp-TrustPlanTable-filter" role="group" aria-label={trans.__('Show packages')}>
          {(['all', ...VERDICTS.filter(v => counts[v])] as (Verdict | 'all')[]).map(v => (
            <button
              key={v}
              type="button"
              className={`jp-Button jp-mod-styled jp-TrustPlanTable-filterButton${shown === v ? ' jp-mod-active' : ''}`}
              data-filter={v}
              aria-pressed={shown === v}
              onClick={() => setShown(v)}
            >
              {v === 'all'
                ? trans.__('All (%1)', plan.packages.length)
                : trans.__('%1 (%2)', verdictWord(v, trans), counts[v])}
            </button>
          ))}
        </div>
      </div>
      <table className="jp-TrustPlanTable-table">
        <thead>
          <tr>
            {columns.map(header)}
            <th>{trans.__('Build')}</th>
            <th>{trans.__('Reason')}</th>
            {attested && <th>{trans.__('Publisher')}</th>}
            <th>{trans.__('sha256')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(p => (
            <tr key={`${p.action}-${p.filename}`} data-verdict={p.verdict}>
              <td>
                <VerdictBadge verdict={p.verdict} trans={trans} name={p.name} />
              </td>
              <td className="jp-TrustPlanTable-name" title={p.filename}>
                {p.name}
              </td>
              <td>{p.previous_version ? `${p.previous_version} → ${p.version}` : p.version}</td>
              <td>{p.action}</td>
              <td title={`${p.channel}/${p.subdir}`}>{channelShortName(p.channel)}</td>
              <td>{p.build}</td>
              <td className="jp-TrustPlanTable-reason">{p.reason}</td>
              {attested && (
                <td className="jp-TrustPlanTable-publisher">
                  {hasPublisher(p) ? `${describeSigner(p.attestation?.signer)} (${p.attestation?.status})`.trim() : ''}
                </td>
              )}
              <td className="jp-TrustPlanTable-sha">
                {p.sha256 && <MiddleEllipsis value={p.sha256} trans={trans} copy={trans.__('sha256')} />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {plan.blocked && (
        <ul className="jp-TrustPanel-blocked">
          {plan.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
