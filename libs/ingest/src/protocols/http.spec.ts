import { flattenParams } from './http';

describe('flattenParams', () => {
  it('flattens repeated query keys to their first value', () => {
    expect(flattenParams({ id: ['a', 'b'], lat: '1' }, { lon: '2' })).toEqual({ id: 'a', lat: '1', lon: '2' });
  });
});
