import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { copyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

/** How many characters stay visible at the end: a file name or the last path parts are what tell values apart. */
export function tailLength(value: string): number {
  return Math.min(18, Math.floor(value.length * 0.45));
}

/**
 * A long path or URL on one line, cut in the middle when it does not fit (CSS shrinks the head, the tail
 * stays), with the full value on hover and, when `copy` is set, a button copying it.
 */
export function MiddleEllipsis(props: {
  value: string;
  trans: TranslationBundle;
  /** What the value is ("URL", "sha256"), for the copy button's label. */
  copy?: string;
  className?: string;
}): JSX.Element {
  const { value, trans } = props;
  const tail = tailLength(value);
  const head = value.slice(0, value.length - tail);
  const end = value.slice(value.length - tail);
  return (
    <span className={`jp-TrustEllipsis ${props.className ?? ''}`.trim()} title={value}>
      <span className="jp-TrustEllipsis-text" aria-label={value}>
        <span className="jp-TrustEllipsis-head" aria-hidden="true">
          {head}
        </span>
        <span className="jp-TrustEllipsis-tail" aria-hidden="true">
          {end}
        </span>
      </span>
      {props.copy && (
        <button
          type="button"
          className="jp-TrustEllipsis-copy"
          aria-label={trans.__('Copy %1', props.copy)}
          title={trans.__('Copy %1', props.copy)}
          onClick={() => Clipboard.copyToSystem(value)}
        >
          <copyIcon.react tag="span" className="jp-TrustEllipsis-copyIcon" />
        </button>
      )}
    </span>
  );
}
