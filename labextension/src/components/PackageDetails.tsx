import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatBytes } from './TaskProgress';
import { MiddleEllipsis } from './MiddleEllipsis';
import { describeSigner } from '../plans';
import { IPlannedPackage } from '../tokens';

/** The publisher line: shown only when the server attached a publish attestation to the package. */
export function PublisherLine(props: { pkg: IPlannedPackage; trans: TranslationBundle }): JSX.Element | null {
  const attestation = props.pkg.attestation;
  if (!attestation || typeof attestation !== 'object' || attestation.status === 'not-checked') {
    return null;
  }
  const signer = describeSigner(attestation.signer);
  return (
    <div className="jp-TrustPlan-publisher" data-attestation={attestation.status}>
      <span className="jp-TrustPlan-detailLabel">{props.trans.__('Publisher')}</span>
      <span className="jp-TrustPlan-publisherValue">
        {signer && <MiddleEllipsis value={signer} trans={props.trans} />}
        <span className="jp-TrustPlan-attestationStatus">{attestation.status}</span>
        {attestation.reason && <span className="jp-TrustPanel-source"> · {attestation.reason}</span>}
      </span>
    </div>
  );
}

/** Everything about one planned package that does not fit its row. Server text is rendered as text. */
export function PackageDetails(props: { pkg: IPlannedPackage; trans: TranslationBundle }): JSX.Element {
  const { pkg: p, trans } = props;
  const item = (label: string, value: React.ReactNode, className = ''): JSX.Element => (
    <div className={`jp-TrustPlan-detail ${className}`.trim()}>
      <span className="jp-TrustPlan-detailLabel">{label}</span>
      {value}
    </div>
  );
  return (
    <div className="jp-TrustPlan-details">
      {p.reason && item(trans.__('Reason'), <span className="jp-TrustPlan-reason">{p.reason}</span>)}
      <PublisherLine pkg={p} trans={trans} />
      {item(trans.__('Build'), <span className="jp-TrustPlan-build">{p.build}</span>)}
      {p.previous_version && item(trans.__('Replaces'), <span>{p.previous_version}</span>)}
      {item(trans.__('Channel'), <MiddleEllipsis value={`${p.channel}/${p.subdir}`} trans={trans} copy={trans.__('channel URL')} />)}
      {p.url && item(trans.__('URL'), <MiddleEllipsis value={p.url} trans={trans} copy={trans.__('URL')} />, 'jp-TrustPlan-url')}
      {p.sha256 &&
        item(trans.__('sha256'), <MiddleEllipsis value={p.sha256} trans={trans} copy={trans.__('sha256')} />, 'jp-TrustPlan-sha256')}
      {p.size > 0 && item(trans.__('Size'), <span>{formatBytes(p.size)}</span>)}
    </div>
  );
}
