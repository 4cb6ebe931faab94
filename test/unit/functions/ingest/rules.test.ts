import { describe, expect, it } from 'vitest';
import {
  cleanCell,
  fitsLength,
  normalizeDeviceType,
  normalizeEventType,
  parsePrice,
  parseQuantity,
} from '../../../../functions/ingest/rules.ts';

describe('cleanCell', () => {
  it('trims and maps the spellings of nothing to null', () => {
    expect(cleanCell('  a b  ')).toBe('a b');
    for (const empty of ['', '   ', 'null', 'NULL', 'None', 'N/A', ' n/a ']) {
      expect(cleanCell(empty)).toBeNull();
    }
    expect(cleanCell('nullable')).toBe('nullable');
    expect(cleanCell(undefined)).toBeNull();
  });
});

describe('normalizeEventType', () => {
  it.each([
    ['view', 'view'],
    ['Page View', 'view'],
    ['page-view', 'view'],
    ['PAGEVIEW', 'view'],
    ['product_view', 'view'],
    ['viewed', 'view'],
    ['add_to_cart', 'add_to_cart'],
    ['Add To Cart', 'add_to_cart'],
    ['addtocart', 'add_to_cart'],
    ['cart_add', 'add_to_cart'],
    ['add', 'add_to_cart'],
    ['remove-from-cart', 'remove_from_cart'],
    ['removefromcart', 'remove_from_cart'],
    ['cart_remove', 'remove_from_cart'],
    ['remove', 'remove_from_cart'],
    ['purchase', 'purchase'],
    ['Purchased', 'purchase'],
    ['buy', 'purchase'],
    ['order', 'purchase'],
    ['CHECKOUT', 'purchase'],
  ])('maps %j to %s', (alias, type) => {
    expect(normalizeEventType(alias)).toBe(type);
  });

  it('rejects anything else', () => {
    for (const other of ['wishlist', 'refund', 'views', 'add to', 'click']) {
      expect(normalizeEventType(other)).toBeNull();
    }
  });
});

describe('normalizeDeviceType', () => {
  it('maps aliases, keeps null, calls the rest other', () => {
    expect(normalizeDeviceType('Phone')).toBe('mobile');
    expect(normalizeDeviceType('smartphone')).toBe('mobile');
    expect(normalizeDeviceType('PC')).toBe('desktop');
    expect(normalizeDeviceType('laptop')).toBe('desktop');
    expect(normalizeDeviceType('computer')).toBe('desktop');
    expect(normalizeDeviceType('iPad')).toBe('tablet');
    expect(normalizeDeviceType('tablet')).toBe('tablet');
    expect(normalizeDeviceType(null)).toBeNull();
    expect(normalizeDeviceType('smart tv')).toBe('other');
  });
});

describe('parsePrice', () => {
  it.each([
    ['0', '0.00'],
    ['12', '12.00'],
    ['12.3', '12.30'],
    ['12.345', '12.35'],
    ['12.344', '12.34'],
    ['0.005', '0.01'],
    ['0.004', '0.00'],
    ['.5', '0.50'],
    ['7.', '7.00'],
    ['$19.99', '19.99'],
    ['€ 5', '5.00'],
    ['£0.1', '0.10'],
    ['007.10', '7.10'],
    ['999999.99', '999999.99'],
    ['999999.994', '999999.99'],
  ])('reads %j as %s', (text, expected) => {
    expect(parsePrice(text)).toBe(expected);
  });

  it.each([
    '-1',
    '1000000',
    '999999.995',
    '1,299.00',
    '1e3',
    '$$5',
    '5$',
    '¥5',
    'abc',
    '.',
    '$',
    '12.3.4',
    'NaN',
    '12345678',
  ])('rejects %j', (text) => {
    expect(parsePrice(text)).toBeNull();
  });
});

describe('parseQuantity', () => {
  it('takes integers 1 to 1000, empty as 1', () => {
    expect(parseQuantity(null)).toBe(1);
    expect(parseQuantity('1')).toBe(1);
    expect(parseQuantity('1000')).toBe(1000);
    expect(parseQuantity('01')).toBe(1);
  });

  it.each(['0', '1001', '-1', '1.5', '2.0', 'two', '+3', '99999'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeNull();
  });
});

describe('fitsLength', () => {
  it('counts characters, not UTF-16 units', () => {
    expect(fitsLength('a'.repeat(64), 64)).toBe(true);
    expect(fitsLength('a'.repeat(65), 64)).toBe(false);
    expect(fitsLength('😀'.repeat(64), 64)).toBe(true);
    expect(fitsLength('😀'.repeat(65), 64)).toBe(false);
  });
});
