import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatBytes } from './TaskProgress';
import { MiddleEllipsis } from './MiddleEllipsis';
import { attestationOf, attestationWord, describeSigner, FAILED_ATTESTATIONS } from '../plans';
import { IAttestation, IPackageVerdicts } from '../tokens';

/** Where an attestation came from, for the publisher line's tooltip (full identity, issuer, log entry). */
function attestationTitle(attestation: IAttestation): string {
  const signer = attestation.signer;
  return [
    signer?.identity,
    signer?.issuer,
    signer?.commit ? `commit ${signer.commit}` : null,
    attestation.log_index !== null && attestation.log_index !== undefined ? `log index ${attestation.log_index}` : null,
    attestation.integrated_time,
    attestation.transport
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * "published by github.com/org/repo · workflow · ref" and the attestation result in words; shown when publishers
 * were checked for the package (not for attestations off). The signer wraps rather than being cut: it is the answer.
 */
export function PublisherLine(props: { pkg: IPackageVerdicts; trans: TranslationBundle }): JSX.Element | null {
  const { trans } = props;
  const attestation = attestationOf(props.pkg);
  if (!attestation || attestation.status === 'not-checked') {
    return null;
  }
  const signer = describeSigner(attestation.signer);
  const failed = FAILED_ATTESTATIONS.includes(attestation.status);
  // A verified attestation's reason restates the signer: it goes to the tooltip; any other reason says what is wrong.
  const reason = attestation.status === 'verified' ? '' : String(attestation.reason ?? '');
  return (
    <div
      className="jp-TrustPlan-publisher"
      data-attestation={attestation.status}
      data-failed={failed ? 'true' : undefined}
      title={[attestationTitle(attestation), attestation.status === 'verified' ? attestation.reason : '']
        .filter(Boolean)
        .join('\n') || undefined}
    >
      <span className="jp-TrustPlan-detailLabel">{trans.__('Publisher')}</span>
      <span className="jp-TrustPlan-attestationStatus">{attestationWord(attestation.status, trans)}</span>
      {signer && <span className="jp-TrustPlan-publishedBy">{trans.__('published by %1', signer)}</span>}
      {reason && <span className="jp-TrustPanel-source jp-TrustPlan-attestationReason">{reason}</span>}
    </div>
  );
}

/** Everything about one package that does not fit its row. Server text is rendered as text. */
export function PackageDetails(props: { pkg: IPackageVerdicts; trans: TranslationBundle }): JSX.Element {
  const { pkg: p, trans } = props;
  const item = (label: string, value: React.ReactNode, className = ''): JSX.Element => (
    <div className={`jp-TrustPlan-detail ${className}`.trim()}>
      <span className="jp-TrustPlan-detailLabel">{label}</span>
      {value}
    </div>
  );
  const channel = p.subdir ? `${p.channel}/${p.subdir}` : p.channel;
  return (
    <div className="jp-TrustPlan-details">
      {p.reason && item(trans.__('Reason'), <span className="jp-TrustPlan-reason">{p.reason}</span>)}
      <PublisherLine pkg={p} trans={trans} />
      {item(trans.__('Build'), <span className="jp-TrustPlan-build">{p.build}</span>)}
      {p.previous_version && item(trans.__('Replaces'), <span>{p.previous_version}</span>)}
      {channel && item(trans.__('Channel'), <MiddleEllipsis value={channel} trans={trans} copy={trans.__('channel URL')} />)}
      {p.url && item(trans.__('URL'), <MiddleEllipsis value={p.url} trans={trans} copy={trans.__('URL')} />, 'jp-TrustPlan-url')}
      {p.sha256 &&
        item(trans.__('sha256'), <MiddleEllipsis value={p.sha256} trans={trans} copy={trans.__('sha256')} />, 'jp-TrustPlan-sha256')}
      {(p.size ?? 0) > 0 && item(trans.__('Size'), <span>{formatBytes(p.size ?? 0)}</span>)}
    </div>
  );
}
