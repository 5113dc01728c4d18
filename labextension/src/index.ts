import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, ReactWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';

import { TrustAPI } from './api';
import { shieldIcon } from './icons';
import { TrustModel } from './model';
import { createAuditWidget, createPlanWidget } from './widgets/PlanWidget';
import { TrustPanel } from './widgets/TrustPanel';

const COMMAND = 'jupyter-trust:open';

/** The palette's commands (category "Conda Trust"). */
export const CommandIDs = {
  open: COMMAND,
  plan: 'jupyter-trust:plan',
  install: 'jupyter-trust:install',
  refresh: 'jupyter-trust:refresh',
  openPlan: 'jupyter-trust:open-plan',
  audit: 'jupyter-trust:audit',
  openAudit: 'jupyter-trust:open-audit'
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-trust:plugin',
  description: 'Conda trust status, token configuration and signed install plans.',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_trust');
    const model = new TrustModel(new TrustAPI(app.serviceManager.serverSettings), { trans });
    const tracker = new WidgetTracker<MainAreaWidget<ReactWidget>>({ namespace: 'jupyter-trust-plan' });
    /** One main-area view per kind (plan, audit): opened once, then brought to the front. */
    const opener = (create: (m: TrustModel, t: TranslationBundle) => MainAreaWidget<ReactWidget>): (() => void) => {
      let widget: MainAreaWidget<ReactWidget> | null = null;
      return () => {
        if (!widget || widget.isDisposed) {
          widget = create(model, trans);
          void tracker.add(widget);
          app.shell.add(widget, 'main');
        }
        app.shell.activateById(widget.id);
      };
    };
    const openPlan = opener(createPlanWidget);
    const openAudit = opener(createAuditWidget);
    const panel = new TrustPanel(
      model,
      trans,
      () => app.commands.execute(CommandIDs.openPlan),
      () => app.commands.execute(CommandIDs.openAudit)
    );
    panel.title.icon = shieldIcon;
    app.shell.add(panel, 'left', { rank: 700 });
    restorer?.add(panel, 'jupyter-trust-panel');

    app.restored.then(() => {
      if (panel.isVisible) {
        model.ensureLoaded();
      }
    });

    app.commands.addCommand(COMMAND, {
      label: trans.__('Conda Trust: Show trust panel'),
      icon: shieldIcon,
      execute: () => {
        app.shell.activateById(panel.id);
        model.ensureLoaded();
      }
    });
    const showPanel = (): void => {
      app.shell.activateById(panel.id);
      model.ensureLoaded();
    };
    app.commands.addCommand(CommandIDs.plan, {
      label: trans.__('Conda Trust: Plan an install'),
      caption: trans.__('Plan the packages typed in the trust panel (or put the cursor there)'),
      execute: () => {
        showPanel();
        if (model.specText.trim() && model.selectedPrefix) {
          return model.makePlan();
        }
        panel.focusSpecs();
      }
    });
    app.commands.addCommand(CommandIDs.install, {
      label: trans.__('Conda Trust: Install the verified plan'),
      isEnabled: () => model.installGate.enabled,
      execute: () => {
        showPanel();
        return panel.install();
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Conda Trust: Refresh trust status'),
      execute: () => model.refresh(true)
    });
    app.commands.addCommand(CommandIDs.openPlan, {
      label: trans.__('Conda Trust: Open plan in main area'),
      isEnabled: () => model.plan !== null,
      execute: openPlan
    });
    app.commands.addCommand(CommandIDs.audit, {
      label: trans.__('Conda Trust: Audit this environment'),
      caption: trans.__('Content trust and publisher of every package in the environment chosen in the trust panel'),
      execute: async () => {
        showPanel();
        if (!model.selectedPrefix) {
          await model.loadEnvironments();
        }
        return panel.audit();
      }
    });
    app.commands.addCommand(CommandIDs.openAudit, {
      label: trans.__('Conda Trust: Open audit in main area'),
      isEnabled: () => model.audit !== null,
      execute: openAudit
    });
    model.changed.connect(() => app.commands.notifyCommandChanged());
    for (const command of [
      COMMAND,
      CommandIDs.plan,
      CommandIDs.install,
      CommandIDs.refresh,
      CommandIDs.openPlan,
      CommandIDs.audit,
      CommandIDs.openAudit
    ]) {
      palette?.addItem({ command, category: trans.__('Conda Trust') });
    }

    if (settingRegistry) {
      settingRegistry
        .load(plugin.id)
        .then(settings => {
          const apply = (): void => {
            const seconds = settings.get('refreshInterval').composite as number;
            panel.showUnsignedConfirm = settings.get('showUnsignedConfirm').composite !== false;
            window.clearInterval(timer);
            if (seconds > 0) {
              timer = window.setInterval(() => {
                if (panel.isVisible) {
                  void model.refresh();
                }
              }, seconds * 1000);
            }
          };
          let timer = 0;
          settings.changed.connect(apply);
          apply();
        })
        .catch(reason => console.warn('jupyter-trust: settings could not be loaded', reason));
    }
  }
};

export default plugin;
