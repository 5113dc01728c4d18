import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  attestationOf,
  attestationWord,
  channelShortName,
  describeSigner,
  publisherFilterUseful,
  SortKey,
  sortPackages,
  verdictCounts,
  VERDICTS,
  withoutVerifiedPublisher
} from '../plans';
import { IPackageVerdicts, IPlan } from '../tokens';
import { MiddleEllipsis } from './MiddleEllipsis';
import { PlanSummary } from './PlanSummary';
import { VerdictBadge, verdictWord } from './VerdictBadge';

/** Whether a package has something to say in the publisher column (most channels have no attestations). */
function hasPublisher(p: IPackageVerdicts): boolean {
  const a = attestationOf(p);
  return Boolean(a && (a.signer || !['not-checked', 'missing'].includes(a.status)));
}

/** The publisher cell: who signed, and the result in words (also "no publisher attestation", quietly). */
function PublisherCell(props: { pkg: IPackageVerdicts; trans: TranslationBundle }): JSX.Element {
  const a = attestationOf(props.pkg);
  return (
    <td className="jp-TrustPlanTable-publisher" data-attestation={a?.status}>
      {a && a.status !== 'not-checked' && (
        <>
          {a.signer && (
            <div className="jp-TrustPlan-publishedBy">{props.trans.__('published by %1', describeSigner(a.signer))}</div>
          )}
          <div className="jp-TrustPlan-attestationStatus">{attestationWord(a.status, props.trans)}</div>
        </>
      )}
    </td>
  );
}

/**
 * Packages as a table (main area): sortable by any column, filterable by verdict and to packages without a
 * verified publisher. `head` goes above the filters (the summary line, the environment).
 */
export function PackageTable(props: {
  packages: IPackageVerdicts[];
  trans: TranslationBundle;
  head: React.ReactNode;
  /** Planned packages have an action; installed ones do not. */
  withAction: boolean;
}): JSX.Element {
  const { packages, trans } = props;
  const [sort, setSort] = React.useState<{ key: SortKey; ascending: boolean }>({ key: 'verdict', ascending: true });
  const [shown, setShown] = React.useState<string>('all');
  const [onlyUnverified, setOnlyUnverified] = React.useState(false);
  const counts = verdictCounts(packages);
  const attested = packages.some(hasPublisher);
  const offered = publisherFilterUseful(packages);
  const rows = sortPackages(
    packages.filter(
      p => (shown === 'all' || p.verdict === shown) && (!offered || !onlyUnverified || withoutVerifiedPublisher(p))
    ),
    sort.key,
    sort.ascending
  );
  const columns: [SortKey, string][] = [
    ['verdict', trans.__('Verdict')],
    ['name', trans.__('Name')],
    ['version', trans.__('Version')],
    ...(props.withAction ? [['action', trans.__('Action')] as [SortKey, string]] : []),
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
        {props.head}
        <div className="jp-TrustPlanTable-filter" role="group" aria-label={trans.__('Show packages')}>
          {['all', ...VERDICTS.filter(v => counts[v])].map(v => (
            <button
              key={v}
              type="button"
              className={`jp-Button jp-mod-styled jp-TrustPlanTable-filterButton${shown === v ? ' jp-mod-active' : ''}`}
              data-filter={v}
              aria-pressed={shown === v}
              onClick={() => setShown(v)}
            >
              {v === 'all'
                ? trans.__('All (%1)', packages.length)
                : trans.__('%1 (%2)', verdictWord(v, trans), counts[v])}
            </button>
          ))}
          {offered && (
            <button
              type="button"
              className={`jp-Button jp-mod-styled jp-TrustPlanTable-filterButton jp-TrustPlanTable-publisherFilter${onlyUnverified ? ' jp-mod-active' : ''}`}
              data-filter="without-verified-publisher"
              aria-pressed={onlyUnverified}
              onClick={() => setOnlyUnverified(!onlyUnverified)}
            >
              {trans.__('Only packages without verified publisher (%1)', packages.filter(withoutVerifiedPublisher).length)}
            </button>
          )}
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
            <tr key={`${p.action ?? ''}-${p.filename}`} data-verdict={p.verdict}>
              <td>
                <VerdictBadge verdict={p.verdict} trans={trans} name={p.name} />
              </td>
              <td className="jp-TrustPlanTable-name" title={p.filename}>
                {p.name}
              </td>
              <td>{p.previous_version ? `${p.previous_version} → ${p.version}` : p.version}</td>
              {props.withAction && <td>{p.action}</td>}
              <td title={p.subdir ? `${p.channel}/${p.subdir}` : p.channel}>{channelShortName(p.channel)}</td>
              <td>{p.build}</td>
              <td className="jp-TrustPlanTable-reason">{p.reason}</td>
              {attested && <PublisherCell pkg={p} trans={trans} />}
              <td className="jp-TrustPlanTable-sha">
                {p.sha256 && <MiddleEllipsis value={p.sha256} trans={trans} copy={trans.__('sha256')} />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <div className="jp-TrustPlanTable-empty">{trans.__('No package matches the filters.')}</div>}
    </div>
  );
}

/** Which environment a table is about, cut in the middle when long, with a copy button. */
export function EnvironmentLine(props: { prefix: string; trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-TrustPlanTable-prefix">
      {trans.__('Environment:')} <MiddleEllipsis value={props.prefix} trans={trans} copy={trans.__('prefix')} />
    </div>
  );
}

/** The whole plan in the main area: its summary, environment, the table and why it is blocked. */
export function PlanTable(props: { plan: IPlan; trans: TranslationBundle }): JSX.Element {
  const { plan, trans } = props;
  const head = (
    <>
      <PlanSummary plan={plan} trans={trans} />
      <EnvironmentLine prefix={plan.prefix} trans={trans} />
    </>
  );
  return (
    <>
      <PackageTable packages={plan.packages} trans={trans} head={head} withAction={true} />
      {plan.blocked && (
        <ul className="jp-TrustPanel-blocked">
          {plan.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      )}
    </>
  );
}
