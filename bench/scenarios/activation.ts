import type { Scenario } from '../scenario';

export const activation: Scenario = { id: 'activation', title: 'activation', run: async () => [] };
