import { TransferState } from '@angular/core';
import { asTransferredRead, ownsTransferKey, transferKey } from '../../lib/angular/transfer';

describe('TransferState keys of streamResource()', () => {
  it('are made of the value kind, the start and the URL, or the explicit key', () => {
    expect(transferKey('http://s/v1/stream/a', '-1', 'items', undefined).toString()).toBe(
      'dsrx:items:-1:http://s/v1/stream/a',
    );
    expect(transferKey('http://s/v1/stream/a', '-1', 'items', 'mine').toString()).toBe('dsrx:mine');
  });

  it('belong to one resource per render: a second owner makes the key null for good', () => {
    const state = new TransferState();
    const key = transferKey('http://s/a', '-1', 'items', undefined);
    const first = {};
    const second = {};
    expect(ownsTransferKey(state, key, first)).toBe(true);
    state.set(key, { value: [1], checkpoint: { offset: '1' }, upToDate: true, closed: false });
    expect(ownsTransferKey(state, key, first)).toBe(true); // the same resource again (a new request, a reload)
    expect(ownsTransferKey(state, key, second)).toBe(false);
    expect(state.get(key, undefined)).toBeNull();
    expect(ownsTransferKey(state, key, first)).toBe(false);
    expect(ownsTransferKey(new TransferState(), key, second)).toBe(true); // another render, another app
  });

  it('are read back only when well formed', () => {
    expect(asTransferredRead({ value: [], checkpoint: { offset: '5' }, upToDate: true, closed: false })).toBeDefined();
    expect(asTransferredRead(null)).toBeUndefined();
    expect(asTransferredRead({ value: [], checkpoint: { offset: 5 }, upToDate: true, closed: false })).toBeUndefined();
    expect(
      asTransferredRead({ value: [], checkpoint: { offset: '5' }, upToDate: 'yes', closed: false }),
    ).toBeUndefined();
  });
});
