import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IInstallGate } from '../model';
import { attestationOf, attestationWord, channelShortName, publisherFilterUseful, withoutVerifiedPublisher } from '../plans';
import { IPackageVerdicts, IPlan } from '../tokens';
import { PackageDetails } from './PackageDetails';
import { PlanSummary } from './PlanSummary';
import { VerdictBadge } from './VerdictBadge';

export { VerdictBadge } from './VerdictBadge';

/** One package, verdict first, in one compact row; build, URL, sha256, reason and publisher when expanded. */
export function PackageRow(props: { pkg: IPackageVerdicts; trans: TranslationBundle }): JSX.Element {
  const { pkg: p, trans } = props;
  const version = p.previous_version ? `${p.previous_version} → ${p.version}` : p.version;
  const attestation = attestationOf(p);
  return (
    <li className={`jp-TrustPlan-row jp-TrustPanel-row-${p.verdict.replace('/', '')}`} data-verdict={p.verdict}>
      <details>
        <summary className="jp-TrustPlan-rowSummary" title={p.filename}>
          <VerdictBadge verdict={p.verdict} trans={trans} name={p.name} />
          <span className="jp-TrustPlan-name">{p.name}</span>
          <span className="jp-TrustPlan-meta">
            <span className="jp-TrustPlan-version">{version}</span>
            {p.action && (
              <>
                {' · '}
                <span className="jp-TrustPlan-action">{p.action}</span>
              </>
            )}
            {' · '}
            <span className="jp-TrustPlan-channel" title={p.channel}>
              {channelShortName(p.channel)}
            </span>
          </span>
          {attestation && attestation.status !== 'not-checked' && attestation.status !== 'missing' && (
            <span className="jp-TrustPlan-attestation" data-attestation={attestation.status}>
              {attestationWord(attestation.status, trans)}
            </span>
          )}
        </summary>
        <PackageDetails pkg={p} trans={trans} />
      </details>
    </li>
  );
}

/**
 * The compact rows of a plan or an audit, with the filter "only packages without verified publisher" when it would
 * change the list (some packages have a verified publisher, some not).
 */
export function PackageList(props: { packages: IPackageVerdicts[]; trans: TranslationBundle; label: string }): JSX.Element {
  const { packages, trans } = props;
  const [onlyUnverified, setOnlyUnverified] = React.useState(false);
  const offered = publisherFilterUseful(packages);
  const unverified = packages.filter(withoutVerifiedPublisher);
  const shown = offered && onlyUnverified ? unverified : packages;
  return (
    <>
      {offered && (
        <label className="jp-TrustPlan-publisherFilter">
          <input type="checkbox" checked={onlyUnverified} onChange={e => setOnlyUnverified(e.target.checked)} />{' '}
          {trans.__('Only packages without verified publisher (%1)', unverified.length)}
        </label>
      )}
      <ul className="jp-TrustPlan-list" aria-label={props.label}>
        {shown.map(p => (
          <PackageRow key={`${p.action ?? ''}-${p.filename}`} pkg={p} trans={trans} />
        ))}
      </ul>
    </>
  );
}

/** Every package the install would link or remove, with its verdict; server text is rendered as text. */
export function PlanView(props: {
  plan: IPlan;
  gate: IInstallGate;
  trans: TranslationBundle;
  onInstall: () => void;
  /** Opens the full, sortable table in the main area. */
  onOpenInMain?: () => void;
  /** When set, unsigned packages are confirmed with this inline checkbox instead of a dialog. */
  inlineConfirm?: { checked: boolean; onChange: (checked: boolean) => void };
}): JSX.Element {
  const { plan, gate, trans, inlineConfirm } = props;
  const waitingForConfirm = gate.needsConfirmation && inlineConfirm !== undefined && !inlineConfirm.checked;
  return (
    <div className="jp-TrustPanel-plan">
      <PlanSummary plan={plan} trans={trans} />
      <PackageList packages={plan.packages} trans={trans} label={trans.__('Planned packages')} />
      {plan.warnings.length > 0 && (
        <ul className="jp-TrustPanel-warnings">
          {plan.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {plan.blocked && (
        <div className="jp-TrustPanel-blocked">
          <strong>{trans.__('Why it is blocked:')}</strong>
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
      <div className="jp-TrustPanel-planActions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept jp-TrustPanel-install"
          aria-label={trans.__('Install')}
          disabled={!gate.enabled || waitingForConfirm}
          title={gate.reason ?? (gate.needsConfirmation ? trans.__('Includes unsigned packages: you will be asked to confirm') : '')}
          onClick={props.onInstall}
        >
          {gate.needsConfirmation ? trans.__('Install…') : trans.__('Install')}
        </button>
        {props.onOpenInMain && plan.packages.length > 0 && (
          <button type="button" className="jp-Button jp-mod-styled jp-TrustPanel-openPlan" onClick={props.onOpenInMain}>
            {trans.__('Open plan in main area')}
          </button>
        )}
      </div>
      {gate.enabled && gate.needsConfirmation && (
        <div className="jp-TrustPanel-reason">{trans.__('Includes unsigned packages: installing asks you to confirm.')}</div>
      )}
      {!gate.enabled && gate.reason && !plan.blocked && <div className="jp-TrustPanel-reason">{gate.reason}</div>}
    </div>
  );
}
