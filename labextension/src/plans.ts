/**
 * What the panel says about a plan, taken from the server's plan document: the decision is the server's
 * (`blocked`, `needs_confirmation`), never re-derived here; this only counts and words it.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IAttestationSigner, IPlan, IPlannedPackage, Verdict } from './tokens';

export type Decision = 'blocked' | 'confirm' | 'ready' | 'empty';

export const VERDICTS: Verdict[] = ['untrusted', 'unsigned', 'trusted', 'n/a'];

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

/** No content-trust signature, but a verified publish attestation: the server treats it as verified. */
export function publisherVerified(p: IPlannedPackage): boolean {
  return p.verdict !== 'trusted' && p.attestation?.status === 'verified';
}

/** Attestation results that block a plan (docs/openapi.yaml, Attestation.status). */
const FAILED_ATTESTATIONS = ['untrusted-publisher', 'invalid', 'retrieval-failed'];

/**
 * Counts per verdict. With `publishers` (the summary line), a failed attestation counts as "publisherFailed" and
 * an unsigned package with a verified publisher as "publisher".
 */
export function verdictCounts(packages: IPlannedPackage[], publishers = false): { [verdict: string]: number } {
  const counts: { [verdict: string]: number } = {};
  for (const p of packages) {
    let key: string = p.verdict;
    if (publishers && p.verdict !== 'untrusted' && p.attestation) {
      if (publisherVerified(p)) {
        key = p.verdict === 'unsigned' ? 'publisher' : key;
      } else if (FAILED_ATTESTATIONS.includes(p.attestation.status)) {
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
export function sortPackages(packages: IPlannedPackage[], key: SortKey, ascending: boolean): IPlannedPackage[] {
  const value = (p: IPlannedPackage): string | number =>
    key === 'verdict' ? VERDICTS.indexOf(p.verdict) : key === 'channel' ? channelShortName(p.channel) : p[key];
  const sorted = [...packages].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const order = va < vb ? -1 : va > vb ? 1 : a.name.localeCompare(b.name);
    return order;
  });
  return ascending ? sorted : sorted.reverse();
}
