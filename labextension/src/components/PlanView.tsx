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
  /** When set, unsigned packages are confirmed with this inline checkbox instead of a dialog. */
  inlineConfirm?: { checked: boolean; onChange: (checked: boolean) => void };
}): JSX.Element {
  const { plan, gate, trans, inlineConfirm } = props;
  const waitingForConfirm = gate.needsConfirmation && inlineConfirm !== undefined && !inlineConfirm.checked;
  return (
    <div className="jp-TrustPanel-plan">
      <table className="jp-TrustPanel-planTable">
        <thead>
          <tr>
            <th>{trans.__('Name')}</th>
            <th>{trans.__('Version')}</th>
            <th>{trans.__('Build')}</th>
            <th>{trans.__('Channel')}</th>
            <th>{trans.__('Action')}</th>
            <th>{trans.__('Verdict')}</th>
          </tr>
        </thead>
        <tbody>
          {plan.packages.map(p => (
            <tr key={`${p.action}-${p.filename}`} className={`jp-TrustPanel-row-${p.verdict.replace('/', '')}`}>
              <td title={p.filename}>
                <strong>{p.name}</strong>
              </td>
              <td>
                {p.version}
                {p.previous_version ? ` (${trans.__('was %1', p.previous_version)})` : ''}
              </td>
              <td className="jp-TrustPanel-source">{p.build}</td>
              <td className="jp-TrustPanel-channel" title={`${p.channel}/${p.subdir}`}>
                {p.channel}
              </td>
              <td>{p.action}</td>
              <td>
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
      {gate.enabled && gate.needsConfirmation && inlineConfirm && (
        <label className="jp-TrustPanel-confirmUnsigned">
          <input
            type="checkbox"
            checked={inlineConfirm.checked}
            onChange={e => inlineConfirm.onChange(e.target.checked)}
          />{' '}
          {trans.__('I want to install packages that have no signature')}
        </label>
      )}
      <button
        className="jp-Button jp-mod-styled jp-mod-accept jp-TrustPanel-install"
        disabled={!gate.enabled || waitingForConfirm}
        title={gate.reason ?? ''}
        onClick={props.onInstall}
      >
        {gate.needsConfirmation ? trans.__('Install (includes unsigned packages)…') : trans.__('Install')}
      </button>
      {!gate.enabled && gate.reason && !plan.blocked && <span className="jp-TrustPanel-reason">{gate.reason}</span>}
    </div>
  );
}
