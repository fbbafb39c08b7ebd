/*
 * Issue 5 (webhooks): NOT BUILT YET — the place for webhook figures once `POST /v1/hooks/:provider`
 * exists, e.g. time to the 2xx answer while a deploy runs behind it, and signed deliveries per second
 * (HMAC check + parse) against raw HMAC-SHA256 per second. Until then this module reports nothing.
 */
import type { BenchModule } from './figures.ts'

export const webhooksBench: BenchModule = {
  area: 'webhooks (issue 5, not measured yet)',
  async run() {
    return []
  },
}
