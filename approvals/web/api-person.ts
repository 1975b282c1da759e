import type { IncomingMessage } from 'node:http';
import { auditRefusal, type RequestServices } from '../requests';
import { bearerPerson } from './http';

/** The person an API bearer token stands for; an unknown or missing token is refused, and audited. */
export async function apiPerson(
  req: IncomingMessage,
  deps: { services: Pick<RequestServices, 'store' | 'temporal'>; apiTokens: Map<string, string> },
  action: string,
  requestId?: string,
): Promise<string> {
  try {
    return bearerPerson(req, deps.apiTokens);
  } catch (error) {
    await auditRefusal(deps.services, {
      action,
      actor: 'unknown',
      channel: 'api',
      requestId,
      reason: (error as Error).message,
    });
    throw error;
  }
}
