import { firstValueFrom } from 'rxjs';
import { producerCode } from '../../lib/produce/start-lazily';

/**
 * Loads the producer's running code (a lazy chunk) before a spec's producers are made: they then start at once, as
 * an app's do once the chunk is loaded. Virtual-time specs need it: a TestScheduler does not wait for an import.
 */
export const producerCodeLoaded = (): Promise<unknown> => firstValueFrom(producerCode(''));
