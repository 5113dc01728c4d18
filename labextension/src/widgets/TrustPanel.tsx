import { Dialog, Notification, ReactWidget, showDialog, UseSignal } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { PlanView } from '../components/PlanView';
import { StatusView } from '../components/StatusView';
import { TaskProgress } from '../components/TaskProgress';
import { TokenForm } from '../components/TokenForm';
import { VerificationToggle } from '../components/VerificationToggle';
import { TrustModel } from '../model';
import { CondarcScope } from '../tokens';

function InstallSection(props: {
  model: TrustModel;
  trans: TranslationBundle;
  showUnsignedConfirm: boolean;
}): JSX.Element {
  const { model, trans } = props;
  const [specs, setSpecs] = React.useState('');
  const [accepted, setAccepted] = React.useState<string | null>(null);
  const gate = model.installGate;
  const planId = model.plan?.id ?? null;

  const install = async (): Promise<void> => {
    let confirm = false;
    if (gate.needsConfirmation && !props.showUnsignedConfirm) {
      // Confirmed with the inline checkbox, for exactly this plan.
      if (accepted !== planId) {
        return;
      }
      confirm = true;
    } else if (gate.needsConfirmation) {
      const unsigned = model.plan?.packages.filter(p => p.verdict === 'unsigned').map(p => p.name) ?? [];
      const answer = await showDialog({
        title: trans.__('Install unsigned packages?'),
        body: trans.__('These packages have no signature: %1. Install them anyway?', unsigned.join(', ')),
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Install anyway') })]
      });
      if (!answer.button.accept) {
        return;
      }
      confirm = true;
    }
    await model.install(confirm);
  };

  return (
    <div className="jp-TrustPanel-install-section">
      <label>
        {trans.__('Environment')}{' '}
        <select
          className="jp-TrustPanel-envSelect"
          value={model.selectedPrefix ?? ''}
          onChange={e => model.selectPrefix(e.target.value)}
        >
          {model.environments.map(env => (
            <option key={env.prefix} value={env.prefix}>
              {env.name} ({env.prefix})
            </option>
          ))}
        </select>
      </label>
      <form
        className="jp-TrustPanel-planForm"
        onSubmit={e => {
          e.preventDefault();
          void model.makePlan(specs);
        }}
      >
        <input
          className="jp-mod-styled jp-TrustPanel-specs"
          placeholder={trans.__('packages, e.g. numpy "scipy>=1.10"')}
          value={specs}
          onChange={e => setSpecs(e.target.value)}
        />
        <button type="submit" className="jp-Button jp-mod-styled jp-TrustPanel-planButton" disabled={model.busy}>
          {model.busy ? trans.__('Planning…') : trans.__('Plan')}
        </button>
      </form>
      {model.planError && <div className="jp-TrustPanel-error">{model.planError}</div>}
      {model.plan && (
        <PlanView
          plan={model.plan}
          gate={gate}
          trans={trans}
          onInstall={() => void install()}
          inlineConfirm={
            props.showUnsignedConfirm
              ? undefined
              : { checked: accepted === planId, onChange: checked => setAccepted(checked ? planId : null) }
          }
        />
      )}
      {model.taskError && <div className="jp-TrustPanel-error">{model.taskError}</div>}
      {model.task && <TaskProgress task={model.task} trans={trans} onCancel={() => void model.cancel()} />}
    </div>
  );
}

async function notify<T>(trans: TranslationBundle, action: Promise<T>, success: (r: T) => string): Promise<void> {
  try {
    const result = await action;
    Notification.success(success(result), { autoClose: 5000 });
  } catch (error) {
    Notification.error((error as Error).message, { autoClose: false });
  }
}

export class TrustPanel extends ReactWidget {
  constructor(
    readonly model: TrustModel,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.id = 'jupyter-trust-panel';
    this.addClass('jp-TrustPanel');
    this.title.caption = trans.__('Conda Trust');
  }

  /** Ask in a dialog before installing unsigned packages (setting showUnsignedConfirm); else an inline checkbox. */
  get showUnsignedConfirm(): boolean {
    return this._showUnsignedConfirm;
  }

  set showUnsignedConfirm(value: boolean) {
    this._showUnsignedConfirm = value;
    this.update();
  }

  private _showUnsignedConfirm = true;

  protected onAfterShow(): void {
    this.model.ensureLoaded();
  }

  private async removeToken(scope: CondarcScope): Promise<void> {
    const trans = this.trans;
    const answer = await showDialog({
      title: trans.__('Remove the Anaconda token?'),
      body: trans.__('conda will no longer send it, and its default channels are reset.'),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Remove') })]
    });
    if (answer.button.accept) {
      await notify(trans, this.model.removeToken(scope), r => r.messages.join(' '));
    }
  }

  render(): JSX.Element {
    const trans = this.trans;
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <div className="jp-TrustPanel-body">
            <h2 className="jp-TrustPanel-heading">{trans.__('Conda Trust')}</h2>
            <section>
              <h3>{trans.__('Trust status')}</h3>
              <StatusView
                status={this.model.status}
                error={this.model.statusError}
                trans={trans}
                onRefresh={() => void this.model.refresh(true)}
              />
            </section>
            <section>
              <h3>{trans.__('Signature verification')}</h3>
              <VerificationToggle
                verification={this.model.status?.verification ?? null}
                trans={trans}
                onChange={enabled =>
                  void notify(trans, this.model.setVerification(enabled, 'user'), r => r.messages.join(' '))
                }
              />
            </section>
            <section>
              <h3>{trans.__('Anaconda token')}</h3>
              <TokenForm
                status={this.model.status}
                policy={this.model.policy}
                trans={trans}
                onSave={(token, validate, enable, scope) =>
                  notify(trans, this.model.setToken(token, validate, enable, scope), r => r.messages.join(' '))
                }
                onRemove={scope => this.removeToken(scope)}
              />
            </section>
            <section>
              <h3>{trans.__('Install packages')}</h3>
              <InstallSection
                model={this.model}
                trans={trans}
                showUnsignedConfirm={this._showUnsignedConfirm}
              />
            </section>
          </div>
        )}
      </UseSignal>
    );
  }
}
