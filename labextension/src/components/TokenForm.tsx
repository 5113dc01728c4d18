import { TranslationBundle } from '@jupyterlab/translation';
import { lockIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CondarcScope, IPolicyValue, IStatus } from '../tokens';

export interface ITokenFormProps {
  status: IStatus | null;
  /** Effective policy (status, or page config before the first status). */
  policy: { [name: string]: IPolicyValue };
  trans: TranslationBundle;
  onSave: (token: string, validate: boolean, enableVerification: boolean, scope: CondarcScope) => Promise<void>;
  onRemove: (scope: CondarcScope) => Promise<void>;
}

/** The token never comes back from the server; the field is cleared after every submit. */
export function TokenForm(props: ITokenFormProps): JSX.Element {
  const { status, trans } = props;
  const [token, setToken] = React.useState('');
  const [validate, setValidate] = React.useState(true);
  const [enable, setEnable] = React.useState(true);
  const [scope, setScope] = React.useState<CondarcScope>('user');
  const [saving, setSaving] = React.useState(false);
  const allowed = props.policy.allow_user_token;
  // A token the administrator supplies (token_env_var / token_file) cannot be replaced or removed here (403).
  const adminToken = status?.token.source === 'env' || status?.token.source === 'secret_file';
  const locked = (allowed !== undefined && allowed.value === false) || adminToken;

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    if (!token.trim()) {
      return;
    }
    setSaving(true);
    const value = token;
    setToken('');
    try {
      await props.onSave(value, validate, enable, scope);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="jp-TrustPanel-tokenForm" onSubmit={submit}>
      {status?.token.present && (
        <div className="jp-TrustPanel-tokenState">
          {trans.__('Token set: ')}
          <span className="jp-TrustPanel-tokenMasked">{status.token.masked}</span>
          {status.token.location && <span className="jp-TrustPanel-source"> ({status.token.location})</span>}
          {!locked && (
            <button
              type="button"
              className="jp-Button jp-mod-styled jp-mod-warn jp-TrustPanel-removeToken"
              onClick={() => void props.onRemove(scope)}
            >
              {trans.__('Remove')}
            </button>
          )}
        </div>
      )}
      {locked ? (
        <div className="jp-TrustPanel-locked jp-TrustPanel-tokenLocked">
          <lockIcon.react tag="span" className="jp-TrustPanel-lock" />{' '}
          {adminToken
            ? trans.__('The Anaconda token is supplied by your administrator (%1).', status?.token.location ?? '')
            : trans.__('Personal tokens are not allowed here; your administrator manages the token (%1).', allowed?.source ?? '')}
        </div>
      ) : (
        <>
          <input
            type="password"
            autoComplete="off"
            className="jp-mod-styled jp-TrustPanel-tokenInput"
            placeholder={trans.__('Anaconda access token')}
            value={token}
            onChange={e => setToken(e.target.value)}
          />
          <label>
            <input type="checkbox" checked={enable} onChange={e => setEnable(e.target.checked)} />{' '}
            {trans.__('Enable signature verification')}
          </label>
          <label>
            <input
              type="checkbox"
              className="jp-TrustPanel-validate"
              checked={validate}
              onChange={e => setValidate(e.target.checked)}
            />{' '}
            {trans.__('Validate token')}
          </label>
          <label>
            {trans.__('conda configuration: ')}
            <select className="jp-TrustPanel-scope" value={scope} onChange={e => setScope(e.target.value as CondarcScope)}>
              <option value="user">{trans.__('user (~/.condarc)')}</option>
              <option value="env">{trans.__('active environment')}</option>
              <option value="system">{trans.__('conda installation')}</option>
            </select>
          </label>
          <button
            type="submit"
            className="jp-Button jp-mod-styled jp-mod-accept jp-TrustPanel-saveToken"
            disabled={saving || !token.trim()}
          >
            {status?.token.present ? trans.__('Replace token') : trans.__('Save token')}
          </button>
        </>
      )}
    </form>
  );
}
