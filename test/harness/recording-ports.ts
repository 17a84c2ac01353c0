import { SERVICES, type ServiceName } from '../../mappings/services.js';
import type { WriterPort } from '../../src/router/router.js';
import type { WriterItem } from '../../src/targets/writer-item.js';

/** A port per service for a Router under test: always accepting, skipping nothing; `service`'s items are appended to `received`. */
export function recordingPorts(service: ServiceName, received: WriterItem[]): WriterPort[] {
  return SERVICES.map((s) => ({
    service: s,
    accepting: true,
    skips: () => false,
    push: (item: WriterItem) => {
      if (s === service) received.push(item);
      return undefined;
    },
  }));
}
