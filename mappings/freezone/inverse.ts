import { derive } from '../transforms.js';
import { copy, inverse, type InverseMapping } from '../inverse-mapping.js';
import { benefitText, legacyTimestamp, oneToOne } from '../inverse-transforms.js';
import { businessActivities, businessActivityCategories, establishmentGuides, freeZones } from './schema.js';

/**
 * freezone_db back to legacy (the inverse of mapping.ts): benefits join back into lines; a
 * business activity's `category_slug` goes back to the legacy `category` and
 * `category_description` of the service's own `business_activity_categories` row (its `name` is
 * the trimmed category, whose slug is the slug again). Categories are reference data the forward
 * mapping derives, so they need no inverse of their own.
 */
export const freezoneInverses: readonly InverseMapping[] = [
  inverse({
    service: 'freezone_db',
    table: freeZones,
    legacy: 'free_zones',
    key: { id: 'id' },
    shape: { kind: 'row' },
    values: (row) => ({
      ...copy(row, ['id', 'slug', 'name', 'emirate', 'description', 'website']),
      benefits: derive(row.benefits, benefitText),
      setup_cost_min: row.min_setup_cost_aed,
      setup_cost_max: row.max_setup_cost_aed,
      created_at: legacyTimestamp(row.created_at),
      updated_at: legacyTimestamp(row.updated_at),
    }),
  }),
  inverse({
    service: 'freezone_db',
    table: businessActivities,
    legacy: 'business_activities',
    key: { id: 'id' },
    shape: { kind: 'row' },
    reference: {
      table: businessActivityCategories,
      key: (row) => (row.category_slug === undefined ? undefined : { slug: row.category_slug }),
    },
    values: (row, category) => ({
      ...copy(row, ['id', 'free_zone_id', 'code', 'name', 'description', 'is_regulated', 'approval_authority']),
      category: category?.name,
      category_description: category?.description,
      created_at: legacyTimestamp(row.created_at),
    }),
  }),
  oneToOne('freezone_db', establishmentGuides, 'establishment_guides', ['updated_at']),
];
