/**
 * The five target schemas as monolith.md states them, written by hand from that document (not
 * derived from the drizzle schemas, which it exists to check). Field names and values are those
 * of PostgreSQL's information_schema, so a test can compare them with what a migrated database
 * reports:
 * - columns: `information_schema.columns` (`data_type`, `udt_name`, `is_nullable`, and for
 *   numeric columns `numeric_precision` / `numeric_scale`); `sequence` marks a serial or
 *   bigserial column, whose `column_default` is `nextval(...)`;
 * - `primaryKey`: the primary-key columns in key order;
 * - `uniques`: the other unique constraints by their columns, each DEFERRABLE INITIALLY DEFERRED.
 * No target table has a foreign key.
 */
import type { ServiceName } from '../../mappings/services.js';

export interface ContractColumn {
  readonly data_type: string;
  readonly udt_name: string;
  readonly is_nullable: 'YES' | 'NO';
  readonly numeric_precision?: number;
  readonly numeric_scale?: number;
  readonly sequence?: true;
}

export interface ContractTable {
  /** Every column, in the order of monolith.md. */
  readonly columns: Readonly<Record<string, ContractColumn>>;
  readonly primaryKey: readonly string[];
  readonly uniques: readonly (readonly string[])[];
}

export type ServiceContract = Readonly<Record<string, ContractTable>>;

const NOT_NULL = { is_nullable: 'NO' } as const;
const NULL = { is_nullable: 'YES' } as const;

const serial = { data_type: 'integer', udt_name: 'int4', ...NOT_NULL, sequence: true } as const;
const bigserial = { data_type: 'bigint', udt_name: 'int8', ...NOT_NULL, sequence: true } as const;
const integer = { data_type: 'integer', udt_name: 'int4' } as const;
const bigint = { data_type: 'bigint', udt_name: 'int8' } as const;
const text = { data_type: 'text', udt_name: 'text' } as const;
const textArray = { data_type: 'ARRAY', udt_name: '_text' } as const;
const jsonb = { data_type: 'jsonb', udt_name: 'jsonb' } as const;
const boolean = { data_type: 'boolean', udt_name: 'bool' } as const;
const uuid = { data_type: 'uuid', udt_name: 'uuid' } as const;
const timestamptz = { data_type: 'timestamp with time zone', udt_name: 'timestamptz' } as const;
const money = { data_type: 'numeric', udt_name: 'numeric', numeric_precision: 12, numeric_scale: 2 } as const;

export const TARGET_CONTRACT: Readonly<Record<ServiceName, ServiceContract>> = {
  user_db: {
    roles: {
      columns: {
        id: serial,
        name: { ...text, ...NOT_NULL },
        permissions: { ...jsonb, ...NOT_NULL },
        created_at: { ...timestamptz, ...NOT_NULL },
      },
      primaryKey: ['id'],
      uniques: [['name']],
    },
    users: {
      columns: {
        id: serial,
        email: { ...text, ...NOT_NULL },
        password_hash: { ...text, ...NOT_NULL },
        role_id: { ...integer, ...NOT_NULL },
        is_active: { ...boolean, ...NOT_NULL },
        last_login_at: { ...timestamptz, ...NULL },
        created_at: { ...timestamptz, ...NOT_NULL },
        updated_at: { ...timestamptz, ...NOT_NULL },
      },
      primaryKey: ['id'],
      uniques: [['email']],
    },
    user_profiles: {
      columns: {
        user_id: { ...integer, ...NOT_NULL },
        full_name: { ...text, ...NULL },
        phone: { ...text, ...NULL },
        company_name: { ...text, ...NULL },
        nationality: { ...text, ...NULL },
        avatar_url: { ...text, ...NULL },
        bio: { ...text, ...NULL },
        updated_at: { ...timestamptz, ...NOT_NULL },
      },
      primaryKey: ['user_id'],
      uniques: [],
    },
  },

  document_db: {
    document_types: {
      columns: {
        code: { ...text, ...NOT_NULL },
        name: { ...text, ...NOT_NULL },
      },
      primaryKey: ['code'],
      uniques: [],
    },
    documents: {
      columns: {
        id: bigserial,
        title: { ...text, ...NOT_NULL },
        file_name: { ...text, ...NULL },
        mime_type: { ...text, ...NULL },
        size_bytes: { ...bigint, ...NULL },
        storage_key: { ...text, ...NULL },
        document_type_code: { ...text, ...NOT_NULL },
        created_at: { ...timestamptz, ...NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    user_documents: {
      columns: {
        document_id: { ...bigint, ...NOT_NULL },
        user_id: { ...integer, ...NOT_NULL },
      },
      primaryKey: ['document_id'],
      uniques: [],
    },
    document_templates: {
      columns: {
        id: bigserial,
        title: { ...text, ...NOT_NULL },
        document_type_code: { ...text, ...NOT_NULL },
        fields: { ...jsonb, ...NOT_NULL },
        created_at: { ...timestamptz, ...NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    template_submissions: {
      columns: {
        id: bigserial,
        template_id: { ...bigint, ...NOT_NULL },
        user_id: { ...integer, ...NOT_NULL },
        data: { ...jsonb, ...NOT_NULL },
        status: { ...text, ...NOT_NULL },
        submitted_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
  },

  freezone_db: {
    free_zones: {
      columns: {
        id: serial,
        slug: { ...text, ...NOT_NULL },
        name: { ...text, ...NOT_NULL },
        emirate: { ...text, ...NOT_NULL },
        description: { ...text, ...NULL },
        website: { ...text, ...NULL },
        benefits: { ...textArray, ...NOT_NULL },
        min_setup_cost_aed: { ...money, ...NULL },
        max_setup_cost_aed: { ...money, ...NULL },
        created_at: { ...timestamptz, ...NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [['slug']],
    },
    business_activity_categories: {
      columns: {
        slug: { ...text, ...NOT_NULL },
        name: { ...text, ...NOT_NULL },
        description: { ...text, ...NULL },
      },
      primaryKey: ['slug'],
      uniques: [],
    },
    business_activities: {
      columns: {
        id: serial,
        free_zone_id: { ...integer, ...NOT_NULL },
        code: { ...text, ...NOT_NULL },
        name: { ...text, ...NOT_NULL },
        description: { ...text, ...NULL },
        category_slug: { ...text, ...NOT_NULL },
        is_regulated: { ...boolean, ...NOT_NULL },
        approval_authority: { ...text, ...NULL },
        created_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [['free_zone_id', 'code']],
    },
    establishment_guides: {
      columns: {
        id: serial,
        free_zone_id: { ...integer, ...NULL },
        entity_type: { ...text, ...NOT_NULL },
        title: { ...text, ...NOT_NULL },
        steps: { ...jsonb, ...NOT_NULL },
        required_documents: { ...textArray, ...NOT_NULL },
        estimated_days: { ...integer, ...NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
  },

  ai_research_db: {
    conversations: {
      columns: {
        id: { ...uuid, ...NOT_NULL },
        user_id: { ...integer, ...NULL },
        title: { ...text, ...NULL },
        model: { ...text, ...NULL },
        created_at: { ...timestamptz, ...NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    messages: {
      columns: {
        id: bigserial,
        conversation_id: { ...uuid, ...NOT_NULL },
        role: { ...text, ...NOT_NULL },
        content: { ...text, ...NOT_NULL },
        tokens: { ...integer, ...NULL },
        created_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    assistant_memory: {
      columns: {
        id: serial,
        user_id: { ...integer, ...NOT_NULL },
        key: { ...text, ...NOT_NULL },
        value: { ...jsonb, ...NOT_NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [['user_id', 'key']],
    },
    ai_training_data: {
      columns: {
        id: bigserial,
        source: { ...text, ...NULL },
        input: { ...text, ...NOT_NULL },
        output: { ...text, ...NOT_NULL },
        tags: { ...textArray, ...NOT_NULL },
        created_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    research_topics: {
      columns: {
        id: serial,
        user_id: { ...integer, ...NULL },
        topic: { ...text, ...NOT_NULL },
        status: { ...text, ...NOT_NULL },
        result: { ...jsonb, ...NULL },
        created_at: { ...timestamptz, ...NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    web_research_items: {
      columns: {
        id: bigserial,
        topic_id: { ...integer, ...NULL },
        url: { ...text, ...NOT_NULL },
        title: { ...text, ...NULL },
        content: { ...text, ...NULL },
        fetched_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
  },

  scraper_db: {
    scraper_tasks: {
      columns: {
        id: serial,
        url: { ...text, ...NOT_NULL },
        free_zone_id: { ...integer, ...NULL },
        kind: { ...text, ...NOT_NULL },
        status: { ...text, ...NOT_NULL },
        created_at: { ...timestamptz, ...NULL },
        updated_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    scraper_results: {
      columns: {
        id: bigserial,
        task_id: { ...integer, ...NOT_NULL },
        http_status: { ...integer, ...NULL },
        content: { ...text, ...NULL },
        extracted: { ...jsonb, ...NULL },
        scraped_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    scraper_schedules: {
      columns: {
        id: serial,
        task_id: { ...integer, ...NOT_NULL },
        cron: { ...text, ...NOT_NULL },
        enabled: { ...boolean, ...NOT_NULL },
        next_run_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
    activity_logs: {
      columns: {
        id: bigserial,
        actor_user_id: { ...integer, ...NULL },
        action: { ...text, ...NOT_NULL },
        entity: { ...text, ...NOT_NULL },
        entity_id: { ...text, ...NULL },
        details: { ...jsonb, ...NULL },
        created_at: { ...timestamptz, ...NULL },
      },
      primaryKey: ['id'],
      uniques: [],
    },
  },
};
