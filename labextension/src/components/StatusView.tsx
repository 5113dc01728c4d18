import { TranslationBundle } from '@jupyterlab/translation';
import { lockIcon, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IAttestationsStatus, IChannelPublishers, IEngineStatus, IStatus } from '../tokens';
import { MiddleEllipsis } from './MiddleEllipsis';

/** A label above its value: at sidebar width a two-column table leaves one column crammed, the other empty. */
function Row(props: { label: string; className?: string; children: React.ReactNode }): JSX.Element {
  return (
    <div className={`jp-TrustPanel-field ${props.className ?? ''}`.trim()}>
      <div className="jp-TrustPanel-fieldLabel">{props.label}</div>
      <div className="jp-TrustPanel-fieldValue">{props.children}</div>
    </div>
  );
}

type ChipState = 'ok' | 'bad' | 'info';

function Chip(props: { state: ChipState; className?: string; title?: string; children: React.ReactNode }): JSX.Element {
  return (
    <span className={`jp-TrustChip ${props.className ?? ''}`.trim()} data-state={props.state} title={props.title}>
      {props.children}
    </span>
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

/** The trust status at a glance (one line of chips), its details collapsible. Server strings are text. */
export function StatusView(props: {
  status: IStatus | null;
  error: string | null;
  trans: TranslationBundle;
  onRefresh: () => void;
}): JSX.Element {
  const { status, error, trans } = props;
  const refresh = (
    <button
      type="button"
      className="jp-Button jp-mod-minimal jp-TrustPanel-refresh"
      aria-label={trans.__('Refresh trust status')}
      title={trans.__('Refresh trust status')}
      onClick={props.onRefresh}
    >
      <refreshIcon.react tag="span" className="jp-TrustPanel-refreshIcon" />
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
  const kmState = km?.state ?? 'missing';
  const kmOk = km !== null && !km.expired && (kmState === 'verified' || kmState === 'cached') && !km.error;
  const rootBad = (root?.expired ?? false) || Boolean(root?.error);
  const planError = status.engine.effective === null ? status.engine.error : null;
  return (
    <div className="jp-TrustPanel-status">
      {!on && (
        <div className="jp-TrustPanel-verificationOff" role="alert">
          {trans.__('Signature verification is OFF')}
          <div className="jp-TrustPanel-bannerHint">
            {trans.__('conda installs unverified packages. Turn it on below.')}
          </div>
        </div>
      )}
      <div className="jp-TrustPanel-glance">
        {on && (
          <Chip state="ok" className="jp-TrustPanel-verificationOn" title={trans.__('Signature verification is ON (%1)', verification.source)}>
            {trans.__('Verification on')}
          </Chip>
        )}
        {anchor ? (
          anchor.expired || rootBad ? (
            <Chip state="bad" className="jp-TrustPanel-anchorChip">
              {trans.__('Root expired')}
            </Chip>
          ) : (
            <Chip state="ok" className="jp-TrustPanel-anchorChip" title={anchor.path}>
              {trans.__('Root v%1 ok', root?.version ?? anchor.version)}
            </Chip>
          )
        ) : (
          <Chip state="bad" className="jp-TrustPanel-anchorChip">
            {trans.__('No trust anchor')}
          </Chip>
        )}
        {km && (
          <Chip state={kmOk ? 'ok' : km.expired || kmState === 'invalid' ? 'bad' : 'info'} className="jp-TrustPanel-keymgrChip">
            {km.expired ? trans.__('key_mgr expired') : kmOk ? trans.__('key_mgr ok') : trans.__('key_mgr %1', kmState)}
          </Chip>
        )}
        <Chip state="info" className="jp-TrustPanel-tokenChip">
          {token.present ? trans.__('Token %1', token.masked ?? '') : trans.__('No token')}
        </Chip>
        {refresh}
      </div>
      {error && <div className="jp-TrustPanel-error">{error}</div>}
      {trust.error && <div className="jp-TrustPanel-error">{trust.error}</div>}
      {planError && <div className="jp-TrustPanel-error">{planError}</div>}
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
      <details className="jp-TrustPanel-statusDetails">
        <summary>{trans.__('Details')}</summary>
        <div className="jp-TrustPanel-fields">
          <Row label={trans.__('Signature verification')}>
            {on ? trans.__('on') : trans.__('off')}
            <MiddleEllipsis className="jp-TrustPanel-source" value={verification.source} trans={trans} />
          </Row>
          <Row label={trans.__('Signing metadata')} className="jp-TrustPanel-metadataUrl">
            <MiddleEllipsis
              value={trust.metadata_url ?? verification.metadata_url ?? trans.__('not set')}
              trans={trans}
              copy={trust.metadata_url ?? verification.metadata_url ? trans.__('URL') : undefined}
            />
            {verification.metadata_url_source && (
              <MiddleEllipsis className="jp-TrustPanel-source" value={verification.metadata_url_source} trans={trans} />
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
                <MiddleEllipsis className="jp-TrustPanel-source" value={anchor.path} trans={trans} copy={trans.__('path')} />
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
              <span className={`jp-TrustPanel-keymgr jp-TrustPanel-keymgr-${kmState}`}>{kmState}</span>
              {km.version !== null && ` v${km.version}`}
              {km.expiration && <span className="jp-TrustPanel-source"> {trans.__('expires %1', km.expiration)}</span>}{' '}
              <Expired expired={km.expired} trans={trans} />
              <ErrorLine error={km.error} />
            </Row>
          )}
          {trust.refreshed_at && <Row label={trans.__('Refreshed')}>{trust.refreshed_at}</Row>}
          <Row label={trans.__('Channels')}>
            <ul className="jp-TrustPanel-list">
              {status.channels.map(c => (
                <li key={`${c.name} ${c.url}`}>
                  {c.name !== c.url && <span className="jp-TrustPanel-channelName">{c.name} </span>}
                  <MiddleEllipsis value={c.url} trans={trans} copy={trans.__('channel URL')} />
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
          <Row label={trans.__('conda')}>
            {conda.executable ? (
              <MiddleEllipsis value={`${conda.executable} ${conda.version ?? ''}`.trim()} trans={trans} />
            ) : (
              trans.__('not found')
            )}
            <div className="jp-TrustPanel-source">
              {conda.content_trust_importable
                ? trans.__('conda-content-trust installed')
                : trans.__('conda-content-trust not installed (not needed here)')}
            </div>
          </Row>
        </div>
        {status.attestations && <AttestationsView attestations={status.attestations} trans={trans} />}
        <PolicyView policy={status.policy} trans={trans} />
      </details>
    </div>
  );
}

/** Who may publish to a channel, in words: each allowed publisher's repository (or exact identity). */
function publishersText(channel: IChannelPublishers, trans: TranslationBundle): string[] {
  if (channel.attestations === 'off') {
    return [trans.__('not checked (attestations off)')];
  }
  if (channel.publishers === null || channel.publishers === undefined) {
    return [trans.__('any valid signer')];
  }
  if (channel.publishers.length === 0) {
    return [trans.__('nobody (every attestation is refused)')];
  }
  return channel.publishers.map(p =>
    String(p.repository ?? p.identity ?? JSON.stringify(p)).replace(/^https:\/\//, '')
  );
}

/**
 * Publisher attestations (Sigstore): the trust root in use (where from, its date) and each channel's policy.
 * Collapsed like the rest of the details; it opens by itself only when the root cannot be used.
 */
function AttestationsView(props: { attestations: IAttestationsStatus; trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  const root = props.attestations.sigstore_root;
  const channels = props.attestations.channels ?? [];
  return (
    <details className="jp-TrustPanel-attestations" open={Boolean(root?.error)}>
      <summary>{trans.__('Publisher attestations (Sigstore)')}</summary>
      <div className="jp-TrustPanel-fields">
        {root && (
          <Row label={trans.__('Sigstore root')} className="jp-TrustPanel-sigstoreRoot">
            <span className="jp-TrustPanel-sigstoreSource">
              {root.date ? trans.__('%1, dated %2', root.source, root.date) : root.source}
            </span>
            {root.path && <MiddleEllipsis className="jp-TrustPanel-source" value={root.path} trans={trans} copy={trans.__('path')} />}
            <ErrorLine error={root.error} />
          </Row>
        )}
        {channels.map(c => (
          <Row
            key={`${c.name} ${c.url}`}
            label={trans.__('Publishers: %1', c.name)}
            className="jp-TrustPanel-channelPublishers"
          >
            <span className="jp-TrustPanel-source">
              {c.v0_sigs
                ? trans.__('attestations %1, also unpinned .v0.sigs', c.attestations)
                : trans.__('attestations %1', c.attestations)}
            </span>
            <ul className="jp-TrustPanel-list">
              {publishersText(c, trans).map(who => (
                <li key={who} className="jp-TrustPanel-publisher" title={who}>
                  {who}
                </li>
              ))}
            </ul>
          </Row>
        ))}
      </div>
    </details>
  );
}

/** Admin policy: locked values first, each with a lock icon and where it was set. Open when anything is locked. */
function PolicyView(props: { policy: IStatus['policy']; trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  const entries = Object.entries(props.policy).sort(([, a], [, b]) => Number(b.locked) - Number(a.locked));
  const locked = entries.filter(([, v]) => v.locked).length;
  return (
    <details className="jp-TrustPanel-policyList" open={locked > 0}>
      <summary>{trans.__('Policy (%1 locked)', locked)}</summary>
      <div className="jp-TrustPanel-fields">
        {entries.map(([name, v]) => (
            <Row key={name} label={name} className={v.locked ? 'jp-TrustPanel-policy-locked' : 'jp-TrustPanel-policy'}>
              {v.locked && <lockIcon.react tag="span" className="jp-TrustPanel-lock" />} {displayValue(v.value)}
              {v.locked && <span className="jp-TrustPanel-source"> ({trans.__('locked by %1', v.source)})</span>}
            </Row>
        ))}
      </div>
    </details>
  );
}
