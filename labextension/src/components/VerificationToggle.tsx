import { TranslationBundle } from '@jupyterlab/translation';
import { lockIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IVerification } from '../tokens';

/** conda's signature verification on/off; disabled (with the administrator's reason) when locked. */
export function VerificationToggle(props: {
  verification: IVerification | null;
  trans: TranslationBundle;
  onChange: (enabled: boolean) => void;
}): JSX.Element | null {
  const { verification, trans } = props;
  if (!verification) {
    return null;
  }
  return (
    <div className="jp-TrustPanel-verificationToggle">
      <label>
        <input
          type="checkbox"
          className="jp-TrustPanel-verificationCheckbox"
          checked={verification.enabled}
          disabled={verification.locked}
          onChange={e => props.onChange(e.target.checked)}
        />{' '}
        {trans.__('conda verifies package signatures (extra_safety_checks)')}
      </label>
      {verification.locked && (
        <div className="jp-TrustPanel-locked">
          <lockIcon.react tag="span" className="jp-TrustPanel-lock" />{' '}
          {verification.lock_reason ?? trans.__('Locked by your administrator.')}
        </div>
      )}
    </div>
  );
}
