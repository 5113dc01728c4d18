/**
 * What the panel says about a plan, taken from the server's plan document: the decision is the server's
 * (`blocked`, `needs_confirmation`), never re-derived here; this only counts and words it.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { AuditVerdict, IAttestation, IAttestationSigner, IAudit, IPackageVerdicts, IPlan, Verdict } from './tokens';

export type Decision = 'blocked' | 'confirm' | 'ready' | 'empty';

/** Worst first: the order of sorting and of the filter buttons. */
export const VERDICTS: (Verdict | AuditVerdict)[] = ['untrusted', 'not-found', 'unsigned', 'trusted', 'n/a'];

export interface IPlanSummary {
  decision: Decision;
  counts: { [verdict: string]: number };
  /** The line shown above the packages, e.g. "2 packages · 2 trusted · ready to install". */
  text: string;
}

export function decisionOf(plan: IPlan): Decision {
  if (plan.blocked) {
    return 'blocked';
  }
  if (plan.packages.length === 0) {
    return 'empty';
  }
  return plan.needs_confirmation ? 'confirm' : 'ready';
}

/** The package's attestation when it is one (an object with a status), else null: nothing else is rendered. */
export function attestationOf(p: IPackageVerdicts): IAttestation | null {
  const a = p.attestation;
  return a !== null && typeof a === 'object' && typeof a.status === 'string' ? a : null;
}

/** No content-trust signature, but a verified publish attestation: the server treats it as verified. */
export function publisherVerified(p: IPackageVerdicts): boolean {
  return p.verdict !== 'trusted' && attestationOf(p)?.status === 'verified';
}

/** Attestation results that block a plan (docs/openapi.yaml, Attestation.status). */
export const FAILED_ATTESTATIONS = ['untrusted-publisher', 'invalid', 'retrieval-failed'];

/** What the filter "only packages without verified publisher" keeps (removals have no publisher to verify). */
export function withoutVerifiedPublisher(p: IPackageVerdicts): boolean {
  return p.verdict !== 'n/a' && attestationOf(p)?.status !== 'verified';
}

/**
 * Whether the filter "only packages without verified publisher" would change the list: some packages have a
 * verified publisher and some do not. Otherwise it is not offered (it could only show everything or nothing).
 */
export function publisherFilterUseful(packages: IPackageVerdicts[]): boolean {
  const without = packages.filter(withoutVerifiedPublisher).length;
  return without > 0 && packages.some(p => attestationOf(p)?.status === 'verified');
}

/** An attestation result in words, for the row marker and the publisher line. */
export function attestationWord(status: IAttestation['status'], trans: TranslationBundle): string {
  switch (status) {
    case 'verified':
      return trans.__('publisher verified');
    case 'untrusted-publisher':
      return trans.__('publisher not trusted');
    case 'invalid':
      return trans.__('attestation invalid');
    case 'retrieval-failed':
      return trans.__('attestation not retrievable');
    case 'missing':
      return trans.__('no publisher attestation');
    case 'not-checked':
      return trans.__('publisher not checked');
    default:
      return trans.__('publisher: %1', status);
  }
}

/**
 * Counts per verdict. With `publishers` (the summary line), a failed attestation counts as "publisherFailed" and
 * an unsigned package with a verified publisher as "publisher".
 */
export function verdictCounts(packages: IPackageVerdicts[], publishers = false): { [verdict: string]: number } {
  const counts: { [verdict: string]: number } = {};
  for (const p of packages) {
    let key: string = p.verdict;
    const attestation = attestationOf(p);
    if (publishers && p.verdict !== 'untrusted' && attestation) {
      if (publisherVerified(p)) {
        key = p.verdict === 'unsigned' ? 'publisher' : key;
      } else if (FAILED_ATTESTATIONS.includes(attestation.status)) {
        key = 'publisherFailed';
      }
    }
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Who signed a publish attestation, as the CLI says it: "github.com/org/repo · workflow.yml · ref" or "identity (issuer)". */
export function describeSigner(signer: IAttestationSigner | null | undefined): string {
  if (!signer || typeof signer !== 'object') {
    return '';
  }
  const identity = String(signer.identity ?? '');
  if (signer.repository) {
    const parts = [String(signer.repository).replace(/^https:\/\//, ''), identity.split('@', 1)[0].split('/').pop() ?? ''];
    if (signer.ref) {
      parts.push(String(signer.ref));
    }
    return parts.join(' · ');
  }
  return `${identity} (${String(signer.issuer ?? '')})`;
}

export function summarize(plan: IPlan, trans: TranslationBundle): IPlanSummary {
  const decision = decisionOf(plan);
  const counts = verdictCounts(plan.packages, true);
  const words: { [verdict: string]: (n: number) => string } = {
    untrusted: n => trans.__('%1 untrusted', n),
    unsigned: n => trans.__('%1 unsigned', n),
    trusted: n => trans.__('%1 trusted', n),
    publisher: n => trans.__('%1 publisher-verified', n),
    publisherFailed: n => trans.__('%1 publisher not trusted', n),
    'n/a': n => trans._n('%1 removal', '%1 removals', n)
  };
  const order = ['untrusted', 'publisherFailed', 'unsigned', 'trusted', 'publisher', 'n/a'];
  const parts = order.filter(v => counts[v]).map(v => words[v](counts[v]));
  const total = trans._n('%1 package', '%1 packages', plan.packages.length);
  let text: string;
  switch (decision) {
    case 'blocked':
      text = trans.__('Blocked: %1', [...parts, total].join(' · '));
      break;
    case 'confirm':
      text = trans.__('Needs your confirmation: %1', [...parts, total].join(' · '));
      break;
    case 'empty':
      text = trans.__('Nothing to install: the environment already satisfies the request');
      break;
    default:
      text = [total, ...parts, trans.__('ready to install')].join(' · ');
  }
  return { decision, counts, text };
}

/** A channel's short name: its last path part ("…/channel/demo" → "demo"); a name stays as it is. */
export function channelShortName(channel: string): string {
  const trimmed = channel.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 && slash < trimmed.length - 1 ? trimmed.slice(slash + 1) : trimmed;
}

export type SortKey = 'verdict' | 'name' | 'version' | 'channel' | 'action';

/** Packages sorted by one column; verdicts sort worst first, ties by name. */
export function sortPackages<P extends IPackageVerdicts>(packages: P[], key: SortKey, ascending: boolean): P[] {
  const value = (p: P): string | number =>
    key === 'verdict' ? VERDICTS.indexOf(p.verdict) : key === 'channel' ? channelShortName(p.channel) : (p[key] ?? '');
  const sorted = [...packages].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const order = va < vb ? -1 : va > vb ? 1 : a.name.localeCompare(b.name);
    return order;
  });
  return ascending ? sorted : sorted.reverse();
}

export type AuditState = 'blocked' | 'confirm' | 'ready' | 'empty';

/**
 * An audit's line, from the server's counts: "3 packages: 2 trusted, 1 publisher-verified, 0 unverified", then
 * what needs attention. The state colours it: untrusted or failed (blocked), unverified (confirm), all verified.
 */
export function summarizeAudit(audit: IAudit, trans: TranslationBundle): { state: AuditState; text: string } {
  const s = audit.summary;
  const parts = [
    trans._n(
      '%1 package: %2 trusted, %3 publisher-verified, %4 unverified',
      '%1 packages: %2 trusted, %3 publisher-verified, %4 unverified',
      s.total,
      s.trusted,
      s.publisher_verified,
      s.unverified
    )
  ];
  if (s.untrusted_or_failed) {
    parts.push(trans.__('%1 untrusted or publisher not trusted', s.untrusted_or_failed));
  }
  if (s.not_found) {
    parts.push(trans.__('%1 no longer listed by its channel', s.not_found));
  }
  const state: AuditState =
    s.total === 0 ? 'empty' : s.untrusted_or_failed ? 'blocked' : s.unverified ? 'confirm' : 'ready';
  return { state, text: parts.join(' · ') };
}
