/**
 * The five service databases pgcarve writes to. The list is literal so that the compiler checks
 * every place that handles "each service"; the order is the order of reports and metrics.
 */
export const SERVICES = ['user_db', 'document_db', 'freezone_db', 'ai_research_db', 'scraper_db'] as const;

export type ServiceName = (typeof SERVICES)[number];

export function isServiceName(value: string): value is ServiceName {
  return (SERVICES as readonly string[]).includes(value);
}
