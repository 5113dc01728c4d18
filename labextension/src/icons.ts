import { LabIcon } from '@jupyterlab/ui-components';

import shieldSvg from '../style/icons/shield.svg';

/** The sidebar and settings icon: a shield with a check mark. */
export const shieldIcon = new LabIcon({ name: 'jupyter-trust:shield', svgstr: shieldSvg });
