import { Dialog, Notification, ReactWidget, showDialog, UseSignal } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AuditView } from '../components/AuditView';
import { MiddleEllipsis } from '../components/MiddleEllipsis';
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
  onInstall: (acceptedInline: boolean) => void;
  onOpenPlan?: () => void;
}): JSX.Element {
  const { model, trans } = props;
  const [accepted, setAccepted] = React.useState<string | null>(null);
  const gate = model.installGate;
  const planId = model.plan?.id ?? null;
  const selected = model.environments.find(e => e.prefix === model.selectedPrefix);

  return (
    <div className="jp-TrustPanel-install-section">
      <label className="jp-TrustPanel-envLabel">
        {trans.__('Environment')}
        <select
          className="jp-TrustPanel-envSelect"
          aria-label={trans.__('Environment')}
          value={model.selectedPrefix ?? ''}
          onChange={e => model.selectPrefix(e.target.value)}
        >
          {model.environments.map(env => (
            <option key={env.prefix} value={env.prefix} title={env.prefix}>
              {env.name}
            </option>
          ))}
        </select>
      </label>
      {selected && <MiddleEllipsis className="jp-TrustPanel-envPrefix" value={selected.prefix} trans={trans} copy={trans.__('prefix')} />}
      <form
        className="jp-TrustPanel-planForm"
        onSubmit={e => {
          e.preventDefault();
          void model.makePlan();
        }}
      >
        <input
          className="jp-mod-styled jp-TrustPanel-specs"
          aria-label={trans.__('Package specs')}
          placeholder={trans.__('e.g. numpy "scipy>=1.10"')}
          value={model.specText}
          onChange={e => model.setSpecText(e.target.value)}
        />
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-TrustPanel-planButton"
          aria-label={trans.__('Plan')}
          disabled={model.busy}
        >
          {model.busy ? trans.__('Planning…') : trans.__('Plan')}
        </button>
      </form>
      {model.planError && <div className="jp-TrustPanel-error">{model.planError}</div>}
      {model.plan && (
        <PlanView
          plan={model.plan}
          gate={gate}
          trans={trans}
          onInstall={() => props.onInstall(accepted === planId)}
          onOpenInMain={props.onOpenPlan}
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

/** Audit the selected environment: both verdicts for every installed package, compact rows like a plan's. */
function AuditSection(props: { model: TrustModel; trans: TranslationBundle; onOpenAudit?: () => void }): JSX.Element {
  const { model, trans } = props;
  const selected = model.environments.find(e => e.prefix === model.selectedPrefix);
  return (
    <div className="jp-TrustAudit-section">
      <div className="jp-TrustAudit-actions">
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-TrustAudit-run"
          aria-label={trans.__('Audit this environment')}
          title={selected ? trans.__('Content trust and publisher of every package installed in %1', selected.prefix) : ''}
          disabled={model.auditing || !model.selectedPrefix}
          onClick={() => void model.runAudit()}
        >
          {model.auditing ? trans.__('Auditing…') : trans.__('Audit this environment')}
        </button>
      </div>
      {model.auditError && <div className="jp-TrustPanel-error jp-TrustAudit-error">{model.auditError}</div>}
      {model.audit && <AuditView audit={model.audit} trans={trans} onOpenInMain={props.onOpenAudit} />}
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
    private readonly trans: TranslationBundle,
    /** Opens the current plan in the main area (the panel shows the button only when this is given). */
    private readonly openPlan?: () => void,
    /** Opens the last audit in the main area, likewise. */
    private readonly openAudit?: () => void
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

  /** Put the cursor into the specs field (the palette's Plan command with nothing typed yet). */
  focusSpecs(): void {
    this.node.querySelector<HTMLInputElement>('.jp-TrustPanel-specs')?.focus();
  }

  /**
   * Install the current plan if the server's decision allows it: unsigned packages are confirmed first (inline
   * checkbox already ticked, or a dialog); the result or failure is a notification.
   */
  async install(acceptedInline = false): Promise<void> {
    const { model, trans } = this;
    const gate = model.installGate;
    if (!gate.enabled) {
      return;
    }
    let confirm = false;
    if (gate.needsConfirmation) {
      if (!acceptedInline) {
        const unsigned = model.plan?.packages.filter(p => p.verdict === 'unsigned').map(p => p.name) ?? [];
        const answer = await showDialog({
          title: trans.__('Install unsigned packages?'),
          body: trans.__('These packages have no signature: %1. Install them anyway?', unsigned.join(', ')),
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Install anyway') })]
        });
        if (!answer.button.accept) {
          return;
        }
      }
      confirm = true;
    }
    const id = Notification.emit(trans.__('Installing the verified plan…'), 'in-progress', { autoClose: false });
    await model.install(confirm);
    // A new notification (not an update of the progress one), so the result shows as its own toast.
    Notification.dismiss(id);
    const task = model.task;
    if (model.taskError) {
      Notification.error(model.taskError, { autoClose: false });
    } else if (task?.state === 'succeeded') {
      Notification.success(task.result?.message ?? trans.__('Installed.'), { autoClose: 8000 });
    } else if (task?.state === 'cancelled') {
      Notification.warning(task.error ?? trans.__('The install was cancelled.'), { autoClose: 8000 });
    } else {
      Notification.error(task?.error ?? trans.__('The install ended: %1', task?.state ?? ''), { autoClose: false });
    }
  }

  /** The Audit button, for the palette: shows the section and audits the selected environment. */
  async audit(): Promise<void> {
    await this.model.runAudit();
    this.node.querySelector('.jp-TrustAudit-section')?.scrollIntoView({ block: 'nearest' });
  }

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
            <section aria-label={trans.__('Trust status')}>
              <StatusView
                status={this.model.status}
                error={this.model.statusError}
                trans={trans}
                onRefresh={() => void this.model.refresh(true)}
              />
            </section>
            <section>
              <h3>{trans.__('Install packages')}</h3>
              <InstallSection
                model={this.model}
                trans={trans}
                showUnsignedConfirm={this._showUnsignedConfirm}
                onInstall={accepted => void this.install(accepted)}
                onOpenPlan={this.openPlan}
              />
            </section>
            <section aria-label={trans.__('Environment audit')}>
              <h3>{trans.__('Audit')}</h3>
              <AuditSection model={this.model} trans={trans} onOpenAudit={this.openAudit} />
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
          </div>
        )}
      </UseSignal>
    );
  }
}
