import { TranslationBundle } from '@jupyterlab/translation';
import { lockIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IEngineStatus, IStatus } from '../tokens';

function Row(props: { label: string; className?: string; children: React.ReactNode }): JSX.Element {
  return (
    <tr className={props.className}>
      <th>{props.label}</th>
      <td>{props.children}</td>
    </tr>
  );
}

function Expired(props: { expired: boolean | undefined; trans: TranslationBundle }): JSX.Element | null {
  return props.expired ? (
    <span className="jp-TrustBadge jp-TrustBadge-expired">{props.trans.__('expired')}</span>
  ) : null;
}

function ErrorLine(props: { error: string | null | undefined }): JSX.Element | null {
  return props.error ? <div className="jp-TrustPanel-error">{props.error}</div> : null;
}

function EngineLine(props: { engine: IEngineStatus; trans: TranslationBundle }): JSX.Element {
  const { engine, trans } = props;
  const conda = engine.conda?.executable
    ? trans.__('conda found: %1 %2', engine.conda.executable, engine.conda.version ?? '')
    : trans.__('no conda executable found');
  return (
    <>
      <span className="jp-TrustPanel-engineName">{engine.name}</span>
      {engine.effective && engine.effective !== engine.name && (
        <span className="jp-TrustPanel-source"> ({trans.__('solves with %1', engine.effective)})</span>
      )}
      {engine.locked && <span className="jp-TrustPanel-source"> [{trans.__('locked')}]</span>}
      <div className="jp-TrustPanel-engineDetail">
        {trans.__('available: %1', (engine.available ?? []).join(', '))}; {conda.trim()}
      </div>
      <ErrorLine error={engine.error} />
    </>
  );
}

function displayValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (Array.isArray(value)) {
    return value.map(v => String(v)).join(', ');
  }
  if (value !== null && typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** The trust status document as a person reads it. Every server string is rendered as text. */
export function StatusView(props: {
  status: IStatus | null;
  error: string | null;
  trans: TranslationBundle;
  onRefresh: () => void;
}): JSX.Element {
  const { status, error, trans } = props;
  const refresh = (
    <button className="jp-Button jp-mod-styled jp-TrustPanel-refresh" onClick={props.onRefresh}>
      {trans.__('Refresh')}
    </button>
  );
  if (!status) {
    return (
      <div className="jp-TrustPanel-status">
        {error ? (
          <div className="jp-TrustPanel-error">{error}</div>
        ) : (
          <div className="jp-TrustPanel-loading">{trans.__('Loading trust status…')}</div>
        )}
        {error && refresh}
      </div>
    );
  }
  const { verification, trust, conda, token } = status;
  const anchor = trust.anchor;
  const root = trust.root;
  const km = trust.key_mgr;
  const on = verification.enabled;
  return (
    <div className="jp-TrustPanel-status">
      <div className={on ? 'jp-TrustPanel-verificationOn' : 'jp-TrustPanel-verificationOff'}>
        {on ? trans.__('Signature verification is ON') : trans.__('Signature verification is OFF')}
        <span className="jp-TrustPanel-source"> ({verification.source})</span>
      </div>
      {error && <div className="jp-TrustPanel-error">{error}</div>}
      <table className="jp-TrustPanel-table">
        <tbody>
          <Row label={trans.__('Signing metadata')} className="jp-TrustPanel-metadataUrl">
            {trust.metadata_url ?? verification.metadata_url ?? trans.__('not set')}
            {verification.metadata_url_source && (
              <span className="jp-TrustPanel-source"> ({verification.metadata_url_source})</span>
            )}
          </Row>
          <Row label={trans.__('Trust anchor')}>
            {anchor ? (
              <>
                <span className="jp-TrustPanel-anchor" title={anchor.path}>
                  {trans.__('root v%1 (%2)', anchor.version, anchor.source)}
                </span>{' '}
                <span className="jp-TrustPanel-source">{trans.__('expires %1', anchor.expiration)}</span>{' '}
                <Expired expired={anchor.expired} trans={trans} />
              </>
            ) : (
              <span className="jp-TrustPanel-error">{trans.__('no trust anchor found')}</span>
            )}
          </Row>
          {root && (
            <Row label={trans.__('Root')} className="jp-TrustPanel-root">
              {trans.__('v%1, expires %2', root.version ?? '?', root.expiration ?? '?')}{' '}
              <Expired expired={root.expired} trans={trans} />
              <ErrorLine error={root.error} />
            </Row>
          )}
          {km && (
            <Row label={trans.__('key_mgr')}>
              <span className={`jp-TrustPanel-keymgr jp-TrustPanel-keymgr-${km.state ?? 'missing'}`}>
                {km.state ?? 'missing'}
              </span>
              {km.version !== null && ` v${km.version}`}
              {km.expiration && <span className="jp-TrustPanel-source"> {trans.__('expires %1', km.expiration)}</span>}{' '}
              <Expired expired={km.expired} trans={trans} />
              <ErrorLine error={km.error} />
            </Row>
          )}
          {trust.refreshed_at && <Row label={trans.__('Refreshed')}>{trust.refreshed_at}</Row>}
          <ErrorRow error={trust.error} label={trans.__('Trust error')} />
          <Row label={trans.__('conda')}>
            {conda.executable ? `${conda.executable} ${conda.version ?? ''}` : trans.__('not found')}
            {' · '}
            {conda.content_trust_importable
              ? trans.__('conda-content-trust installed')
              : trans.__('conda-content-trust not installed')}
          </Row>
          <Row label={trans.__('Channels')}>
            <ul className="jp-TrustPanel-list">
              {status.channels.map(c => (
                <li key={`${c.name} ${c.url}`} title={c.url}>
                  {c.name === c.url ? c.url : `${c.name} (${c.url})`}
                </li>
              ))}
            </ul>
          </Row>
          <Row label={trans.__('Token')} className="jp-TrustPanel-tokenRow">
            {token.present ? (
              <>
                <span className="jp-TrustPanel-tokenMasked">{token.masked}</span>
                {token.source && <span className="jp-TrustPanel-source"> ({token.source})</span>}
              </>
            ) : (
              trans.__('not set')
            )}
            <ErrorLine error={token.error} />
          </Row>
          <Row label={trans.__('Engine')} className="jp-TrustPanel-engineRow">
            <EngineLine engine={status.engine} trans={trans} />
          </Row>
        </tbody>
      </table>
      <PolicyView policy={status.policy} trans={trans} />
      {status.warnings.length > 0 && (
        <ul className="jp-TrustPanel-warnings">
          {status.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {status.interrupted_tasks.map(t => (
        <div key={t.id} className="jp-TrustPanel-error jp-TrustPanel-interrupted">
          {trans.__('An install into %1 was interrupted: %2', t.prefix, t.error ?? '')}
        </div>
      ))}
      {refresh}
    </div>
  );
}

function ErrorRow(props: { error: string | undefined; label: string }): JSX.Element | null {
  return props.error ? (
    <Row label={props.label}>
      <span className="jp-TrustPanel-error">{props.error}</span>
    </Row>
  ) : null;
}

/** Admin policy: locked values first, each with a lock icon and where it was set. Open when anything is locked. */
function PolicyView(props: { policy: IStatus['policy']; trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  const entries = Object.entries(props.policy).sort(([, a], [, b]) => Number(b.locked) - Number(a.locked));
  const locked = entries.filter(([, v]) => v.locked).length;
  return (
    <details className="jp-TrustPanel-policyList" open={locked > 0}>
      <summary>{trans.__('Policy (%1 locked)', locked)}</summary>
      <table className="jp-TrustPanel-table">
        <tbody>
          {entries.map(([name, v]) => (
            <Row key={name} label={name} className={v.locked ? 'jp-TrustPanel-policy-locked' : 'jp-TrustPanel-policy'}>
              {v.locked && <lockIcon.react tag="span" className="jp-TrustPanel-lock" />} {displayValue(v.value)}
              {v.locked && <span className="jp-TrustPanel-source"> ({trans.__('locked by %1', v.source)})</span>}
            </Row>
          ))}
        </tbody>
      </table>
    </details>
  );
}
