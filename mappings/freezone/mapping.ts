import { emit, owned, reference, type TableMapping } from '../table-mapping.js';
import { benefitLines, categoryName, categorySlug, derive, keyColumn, need, utcTimestamptz } from '../transforms.js';
import { businessActivities, businessActivityCategories, establishmentGuides, freeZones } from './schema.js';

/**
 * freezone_db (monolith.md): free zones with their benefits as lines, business activities with
 * their category as a reference row keyed by its slug, establishment guides 1:1. Every column of
 * the category reference row is needed: a reference row is inserted once and never updated, so it
 * cannot "keep the target's value" of an unsent column.
 */

const freeZonesTarget = owned('freezone_db', freeZones, (key) => ({ id: keyColumn(key, 'id') }));
const categoriesTarget = reference('freezone_db', businessActivityCategories);
const businessActivitiesTarget = owned('freezone_db', businessActivities, (key) => ({ id: keyColumn(key, 'id') }));
const establishmentGuidesTarget = owned('freezone_db', establishmentGuides, (key) => ({ id: keyColumn(key, 'id') }));

export const freezoneMappings: readonly TableMapping[] = [
  {
    kind: 'mapped',
    source: 'free_zones',
    sourceKey: ['id'],
    targets: [freeZonesTarget],
    map: (row) => [
      emit(freeZonesTarget, {
        id: row.id,
        slug: row.slug,
        name: row.name,
        emirate: row.emirate,
        description: row.description,
        website: row.website,
        benefits: derive(row.benefits, benefitLines),
        min_setup_cost_aed: row.setup_cost_min,
        max_setup_cost_aed: row.setup_cost_max,
        created_at: utcTimestamptz(row.created_at),
        updated_at: utcTimestamptz(row.updated_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'business_activities',
    sourceKey: ['id'],
    targets: [categoriesTarget, businessActivitiesTarget],
    map: (row) => {
      const category = need(row, 'category', 'business_activities');
      const slug = categorySlug(category);
      return [
        emit(categoriesTarget, {
          slug,
          name: categoryName(category),
          description: need(row, 'category_description', 'business_activities'),
        }),
        emit(businessActivitiesTarget, {
          id: row.id,
          free_zone_id: row.free_zone_id,
          code: row.code,
          name: row.name,
          description: row.description,
          category_slug: slug,
          is_regulated: row.is_regulated,
          approval_authority: row.approval_authority,
          created_at: utcTimestamptz(row.created_at),
        }),
      ];
    },
  },
  {
    kind: 'mapped',
    source: 'establishment_guides',
    sourceKey: ['id'],
    targets: [establishmentGuidesTarget],
    map: (row) => [
      emit(establishmentGuidesTarget, {
        id: row.id,
        free_zone_id: row.free_zone_id,
        entity_type: row.entity_type,
        title: row.title,
        steps: row.steps,
        required_documents: row.required_documents,
        estimated_days: row.estimated_days,
        updated_at: utcTimestamptz(row.updated_at),
      }),
    ],
  },
];
