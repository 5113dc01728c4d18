import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Verdict } from '../tokens';

/** Small glyphs drawn with currentColor, so the badge's text colour (a theme variable) colours them too. */
const GLYPHS: { [verdict: string]: JSX.Element } = {
  trusted: <path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  unsigned: (
    <>
      <path d="M8 3v6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      <circle cx="8" cy="12.5" r="1.3" fill="currentColor" />
    </>
  ),
  untrusted: <path d="M4 4l8 8M12 4l-8 8" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  'n/a': <path d="M4 8h8" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  'not-found': (
    <>
      <circle cx="7" cy="7" r="4" fill="none" stroke="currentColor" strokeWidth="2" />
      <path d="M10 10l3.5 3.5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </>
  )
};

/** The verdict in words, translated (the word is what the badge shows; colour is never the only signal). */
export function verdictWord(verdict: Verdict | string, trans: TranslationBundle): string {
  switch (verdict) {
    case 'trusted':
      return trans.__('trusted');
    case 'unsigned':
      return trans.__('unsigned');
    case 'untrusted':
      return trans.__('untrusted');
    case 'not-found':
      return trans.__('not found');
    default:
      return trans.__('n/a');
  }
}

/** Icon + word; `data-verdict` lets tests and users' tooling find it, the ARIA label says it in a sentence. */
export function VerdictBadge(props: { verdict: Verdict | string; trans: TranslationBundle; name?: string }): JSX.Element {
  const { verdict, trans } = props;
  const word = verdictWord(verdict, trans);
  const label = props.name ? trans.__('%1: %2', props.name, word) : trans.__('Verdict: %1', word);
  return (
    <span
      className={`jp-TrustBadge jp-TrustBadge-${verdict.replace('/', '')}`}
      data-verdict={verdict}
      role="img"
      aria-label={label}
      title={label}
    >
      <svg className="jp-TrustBadge-icon" viewBox="0 0 16 16" width="10" height="10" aria-hidden="true">
        {GLYPHS[verdict] ?? GLYPHS['n/a']}
      </svg>
      <span className="jp-TrustBadge-word">{word}</span>
    </span>
  );
}
