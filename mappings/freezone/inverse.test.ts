import { describe, expect, it } from 'vitest';
import { expectRoundTrip, legacyRowOf, TRAPS } from '../../test/mappings/inverse-round-trip.js';
import { businessActivities, businessActivityCategories, establishmentGuides, freeZones } from './schema.js';

const zone = (benefits: string) => ({
  table: freeZones,
  row: { id: '1', slug: 'dmcc', name: TRAPS.unicode, emirate: 'Dubai', description: null, website: 'https://x', benefits, min_setup_cost_aed: '9999999999.99', max_setup_cost_aed: null, created_at: TRAPS.micros, updated_at: TRAPS.bc },
});

describe('freezone_db inverse mappings: forward(inverse(rows)) = rows', () => {
  it.each([
    ['several benefits, printed as PostgreSQL does', '{"Zero tax","100% ownership","Zürich \\"HQ\\" \\\\ 東京",plain}'],
    ['one benefit', '{one}'],
    ['no benefits', '{}'],
  ])('free_zones: %s', (_name, benefits) => {
    expectRoundTrip([zone(benefits)]);
  });

  it('benefits join back one per line; none is a legacy null', () => {
    expect(legacyRowOf([zone('{a,"b c"}')]).row.benefits).toBe('a\nb c');
    expect(legacyRowOf([zone('{}')]).row.benefits).toBeNull();
  });

  it('business_activities: category_slug back to the category and description of the service’s own category row', () => {
    const category = { table: businessActivityCategories, row: { slug: 'food-beverage', name: 'Food & Beverage', description: TRAPS.unicode } };
    const activity = { table: businessActivities, row: { id: '9', free_zone_id: '1', code: '1011', name: 'Bakery', description: null, category_slug: 'food-beverage', is_regulated: 't', approval_authority: null, created_at: TRAPS.micros } };
    expect(expectRoundTrip([activity], [category])).toEqual([category]);
    expect(legacyRowOf([activity], [category]).row).toMatchObject({ category: 'Food & Beverage', category_description: TRAPS.unicode });
    const noDescription = { table: businessActivityCategories, row: { slug: 'ict', name: 'ICT', description: null } };
    expect(expectRoundTrip([{ ...activity, row: { ...activity.row, category_slug: 'ict' } }], [noDescription])).toEqual([noDescription]);
  });

  it('establishment_guides 1:1 (jsonb, text[] as printed, empty array)', () => {
    expectRoundTrip([{ table: establishmentGuides, row: { id: '3', free_zone_id: null, entity_type: 'LLC', title: TRAPS.unicode, steps: TRAPS.json, required_documents: '{"passport copy",NOC}', estimated_days: '14', updated_at: TRAPS.micros } }]);
    expectRoundTrip([{ table: establishmentGuides, row: { id: '4', free_zone_id: '1', entity_type: 'FZE', title: 't', steps: '[]', required_documents: '{}', estimated_days: null, updated_at: null } }]);
  });
});
