import { DurableStreamError } from '../errors/durable-stream-error.js';

/** Saving or loading a checkpoint failed, or the stored value is not a checkpoint. */
export class CheckpointStorageError extends DurableStreamError {
  override name = 'CheckpointStorageError';
  /** The storage key concerned. */
  readonly key: string;
  /** `'load'`, `'save'` or `'clear'`. */
  readonly operation: 'load' | 'save' | 'clear';

  constructor(operation: 'load' | 'save' | 'clear', key: string, what: string, cause?: unknown) {
    super('CHECKPOINT_STORAGE', `Could not ${operation} the checkpoint under key '${key}': ${what}`, {
      url: '',
      cause,
      hint:
        operation === 'save'
          ? 'Check the storage (quota, permissions). Unless onSaveError handles it, the read stops here, so it never runs ahead of what is saved'
          : operation === 'clear'
            ? 'Check the storage (permissions)'
            : 'Check the storage, or remove the stored value; catch this error to start from another offset',
    });
    this.key = key;
    this.operation = operation;
  }
}
