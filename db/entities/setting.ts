import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Instance-wide values decided once (e.g. the operator key hash). */
export const Setting = defineEntity({
  name: 'Setting',
  properties: {
    key: p.text().primary(),
    value: p.text(),
  },
});

export type SettingRow = InferEntity<typeof Setting>;
