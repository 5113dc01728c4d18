import { MainAreaWidget, ReactWidget, UseSignal } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { PlanTable } from '../components/PlanTable';
import { shieldIcon } from '../icons';
import { TrustModel } from '../model';

/** The current plan in the main area; follows the model, so a new plan replaces the table. */
class PlanContent extends ReactWidget {
  constructor(
    private readonly model: TrustModel,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-TrustPlanWidget');
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() =>
          this.model.plan ? (
            <PlanTable key={this.model.plan.id} plan={this.model.plan} trans={this.trans} />
          ) : (
            <div className="jp-TrustPlanTable-empty">{this.trans.__('No plan yet: make one in the Conda Trust panel.')}</div>
          )
        }
      </UseSignal>
    );
  }
}

export function createPlanWidget(model: TrustModel, trans: TranslationBundle): MainAreaWidget<ReactWidget> {
  const widget = new MainAreaWidget<ReactWidget>({ content: new PlanContent(model, trans) });
  widget.id = 'jupyter-trust-plan';
  widget.title.label = trans.__('Install plan');
  widget.title.icon = shieldIcon;
  widget.title.closable = true;
  return widget;
}
