import { TranslationBundle } from '@jupyterlab/translation';
import { lockIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IStatus } from '../tokens';

function Row(props: { label: string; children: React.ReactNode }): JSX.Element {
  return (
    <tr>
      <th>{props.label}</th>
      <td>{props.children}</td>
    </tr>
  );
}

function Expired(props: { expired: boolean | undefined; trans: TranslationBundle }): JSX.Element | null {
  return props.expired ? <span className="jp-TrustBadge jp-TrustBadge-expired">{props.trans.__('expired')}</span> : null;
}

export function StatusView(props: {
  status: IStatus | null;
  error: string | null;
  trans: TranslationBundle;
  onRefresh: () => void;
}): JSX.Element {
  const { status, error, trans } = props;
  if (error) {
    return <div className="jp-TrustPanel-error">{error}</div>;
  }
  if (!status) {
    return <div className="jp-TrustPanel-loading">{trans.__('Loading trust status…')}</div>;
  }
  const anchor = status.trust.anchor;
  const root = status.trust.root;
  const km = status.trust.key_mgr;
  const on = status.verification.enabled;
  return (
    <div className="jp-TrustPanel-status">
      <div className={on ? 'jp-TrustPanel-verificationOn' : 'jp-TrustPanel-verificationOff'}>
        {on ? trans.__('Signature verification is ON') : trans.__('Signature verification is OFF')}
      </div>
      <table className="jp-TrustPanel-table">
        <tbody>
          <Row label={trans.__('Signing metadata')}>{status.verification.metadata_url ?? trans.__('not set')}</Row>
          {anchor && (
            <Row label={trans.__('Trust anchor')}>
              <span className="jp-TrustPanel-anchor">
                {trans.__('root v%1 (%2)', anchor.version, anchor.source)}
              </span>{' '}
              <Expired expired={anchor.expired} trans={trans} />
            </Row>
          )}
          {root && (
            <Row label={trans.__('Root')}>
              {trans.__('v%1, expires %2', root.version ?? '?', root.expiration ?? '?')}{' '}
              <Expired expired={root.expired} trans={trans} />
              {root.error && <div className="jp-TrustPanel-error">{root.error}</div>}
            </Row>
          )}
          {km && (
            <Row label={trans.__('key_mgr')}>
              <span className={`jp-TrustPanel-keymgr-${km.state}`}>{km.state}</span>
              {km.version !== null && ` v${km.version}`} <Expired expired={km.expired} trans={trans} />
              {km.error && <div className="jp-TrustPanel-error">{km.error}</div>}
            </Row>
          )}
          <Row label={trans.__('conda')}>
            {status.conda.executable ? `${status.conda.executable} ${status.conda.version ?? ''}` : trans.__('not found')}
            {' · '}
            {status.conda.content_trust_importable
              ? trans.__('conda-content-trust installed')
              : trans.__('conda-content-trust not installed')}
          </Row>
          <Row label={trans.__('Channels')}>
            <ul className="jp-TrustPanel-list">
              {status.channels.map(c => (
                <li key={c.url}>{c.url}</li>
              ))}
            </ul>
          </Row>
          <Row label={trans.__('Token')}>
            {status.token.present ? (
              <span className="jp-TrustPanel-tokenMasked">{status.token.masked}</span>
            ) : (
              trans.__('not set')
            )}
            {status.token.error && <div className="jp-TrustPanel-error">{status.token.error}</div>}
          </Row>
          {Object.entries(status.policy)
            .filter(([, v]) => v.locked)
            .map(([name, v]) => (
              <Row key={name} label={name}>
                <lockIcon.react tag="span" className="jp-TrustPanel-lock" /> {String(v.value)}{' '}
                <span className="jp-TrustPanel-source">({v.source})</span>
              </Row>
            ))}
        </tbody>
      </table>
      {status.warnings.length > 0 && (
        <ul className="jp-TrustPanel-warnings">
          {status.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {status.interrupted_tasks.length > 0 && (
        <div className="jp-TrustPanel-error">
          {trans.__('An install was interrupted: %1', status.interrupted_tasks[0].error ?? '')}
        </div>
      )}
      <button className="jp-Button jp-mod-styled jp-TrustPanel-refresh" onClick={props.onRefresh}>
        {trans.__('Refresh')}
      </button>
    </div>
  );
}
