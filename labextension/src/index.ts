import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { TrustAPI } from './api';
import { shieldIcon } from './icons';
import { TrustModel } from './model';
import { TrustPanel } from './widgets/TrustPanel';

const COMMAND = 'jupyter-trust:open';

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
    const panel = new TrustPanel(model, trans);
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
    palette?.addItem({ command: COMMAND, category: trans.__('Conda Trust') });

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
