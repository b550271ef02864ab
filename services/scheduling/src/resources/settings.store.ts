/** A tenant's scheduling settings as the store holds them: DEFAULT_SETTINGS until the tenant changes them. */
import { type EventStore, type LoadedStream, loadStream } from '@buergerkoffer/shared/event-sourcing';
import { type SettingsState, settingsDecider, toSchedulingSettingsStreamName } from './settings.decider.ts';
import { type SchedulingSettings, settingsCodec } from './settings.events.ts';

export interface LoadedSettings extends LoadedStream<SettingsState> {
  /** The settings in force (the state's). */
  readonly settings: SchedulingSettings;
}

/**
 * The tenant's settings, with the stream's revision (-1 while the defaults apply: `If-Match: W/"-1"` makes the first
 * change) — one read, which a change may decide on (`handleCommand`'s `loaded`).
 */
export async function loadSettings(store: EventStore, tenantId: string): Promise<LoadedSettings> {
  const loaded = await loadStream(
    store,
    settingsDecider,
    settingsCodec.decode,
    toSchedulingSettingsStreamName(tenantId),
  );
  return { ...loaded, settings: loaded.state.settings };
}
