import { objectGraphPresetConfig, type ObjectGraphConfig } from '../../../core/models/object-graph/config.ts';

/** The debug preset with overrides (validated through the family's config path). */
export function resolveObjectGraphConfigFor(overrides: Record<string, unknown>): ObjectGraphConfig {
  return objectGraphPresetConfig.resolveConfig('debug', overrides);
}
