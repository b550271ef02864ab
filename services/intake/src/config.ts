/** The intake service's configuration: the runtime's variables (nothing of its own yet). */
import { serviceEnvSchema } from '@buergerkoffer/shared/http';

export const configSchema = serviceEnvSchema(3101);
