import type { temporal } from '@temporalio/proto';

/**
 * The local activity a history event recorded (sdk-core's `core_local_activity` marker names it in
 * its data), or undefined for any other event.
 */
export function localActivityOf(event: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  return data ? /"activity_type":"(\w+)"/.exec(Buffer.from(data).toString())?.[1] : undefined;
}
