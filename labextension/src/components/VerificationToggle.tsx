import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IVerification } from '../tokens';

export function VerificationToggle(props: {
  verification: IVerification | null;
  trans: TranslationBundle;
  onChange: (enabled: boolean) => void;
}): JSX.Element | null {
  const { verification, trans } = props;
  if (!verification) {
    return null;
  }
  const lockedOn = verification.locked && verification.enabled;
  return (
    <div className="jp-TrustPanel-verificationToggle">
      <label>
        <input
          type="checkbox"
          className="jp-TrustPanel-verificationCheckbox"
          checked={verification.enabled}
          disabled={lockedOn}
          onChange={e => props.onChange(e.target.checked)}
        />{' '}
        {trans.__('conda verifies package signatures (extra_safety_checks)')}
      </label>
      {verification.locked && <div className="jp-TrustPanel-locked">{verification.lock_reason}</div>}
    </div>
  );
}
