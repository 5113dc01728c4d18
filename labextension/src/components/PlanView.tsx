import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IInstallGate } from '../model';
import { IPlan } from '../tokens';

export function VerdictBadge(props: { verdict: string }): JSX.Element {
  return <span className={`jp-TrustBadge jp-TrustBadge-${props.verdict.replace('/', '')}`}>{props.verdict}</span>;
}

/** Every package the install would link or remove, with its verdict; server text is rendered as text. */
export function PlanView(props: {
  plan: IPlan;
  gate: IInstallGate;
  trans: TranslationBundle;
  onInstall: () => void;
}): JSX.Element {
  const { plan, gate, trans } = props;
  return (
    <div className="jp-TrustPanel-plan">
      <table className="jp-TrustPanel-planTable">
        <thead>
          <tr>
            <th>{trans.__('Action')}</th>
            <th>{trans.__('Package')}</th>
            <th>{trans.__('Verdict')}</th>
          </tr>
        </thead>
        <tbody>
          {plan.packages.map(p => (
            <tr key={`${p.action}-${p.filename}`} className={`jp-TrustPanel-row-${p.verdict.replace('/', '')}`}>
              <td>{p.action}</td>
              <td title={`${p.channel}/${p.subdir}/${p.filename}`}>
                <strong>{p.name}</strong> {p.version}
                {p.previous_version ? ` (${trans.__('was %1', p.previous_version)})` : ''}{' '}
                <small className="jp-TrustPanel-source">{p.build}</small>
              </td>
              <td title={p.reason}>
                <VerdictBadge verdict={p.verdict} />
                <div className="jp-TrustPanel-reason">{p.reason}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {plan.packages.length === 0 && <div>{trans.__('Nothing to do: the environment already satisfies the request.')}</div>}
      {plan.warnings.length > 0 && (
        <ul className="jp-TrustPanel-warnings">
          {plan.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {plan.blocked && (
        <div className="jp-TrustPanel-blocked">
          <strong>{trans.__('Install blocked:')}</strong>
          <ul>
            {plan.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      <button
        className="jp-Button jp-mod-styled jp-mod-accept jp-TrustPanel-install"
        disabled={!gate.enabled}
        title={gate.reason ?? ''}
        onClick={props.onInstall}
      >
        {gate.needsConfirmation ? trans.__('Install (includes unsigned packages)…') : trans.__('Install')}
      </button>
      {!gate.enabled && gate.reason && !plan.blocked && <span className="jp-TrustPanel-reason">{gate.reason}</span>}
    </div>
  );
}
