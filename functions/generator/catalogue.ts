import { en, Faker } from '@faker-js/faker';

export interface Product {
  readonly id: string;
  readonly name: string;
  readonly category: string;
  /** Two decimals, as a string: the catalogue price never changes between runs. */
  readonly price: string;
  /** Relative popularity: a few products draw most of the views. */
  readonly weight: number;
}

/** Fixed so that every invocation, on every target, sells the same products at the same prices. */
const CATALOGUE_SEED = 20_261_122;

/**
 * A stable product catalogue: the same seed and size always give the same products, each
 * with its own category and price, and a long-tailed popularity.
 */
export function buildCatalogue(size: number): Product[] {
  const faker = new Faker({ locale: [en] });
  faker.seed(CATALOGUE_SEED);
  const categories = faker.helpers.uniqueArray(() => faker.commerce.department(), 12);
  return Array.from({ length: size }, (_, i) => ({
    id: `P${String(i + 1).padStart(5, '0')}`,
    name: faker.commerce.productName(),
    category: faker.helpers.arrayElement(categories),
    price: faker.commerce.price({ min: 2, max: 900, dec: 2 }),
    weight: 1 / (i + 1) ** 0.8,
  }));
}
