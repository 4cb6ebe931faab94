import type { Faker } from '@faker-js/faker';
import type { Product } from './catalogue.ts';

export type Device = 'mobile' | 'desktop' | 'tablet';
export type ActivityType = 'view' | 'add_to_cart' | 'remove_from_cart' | 'purchase';

/** One event in the clean shape of the CSV contract. */
export interface ActivityEvent {
  event_id: string;
  event_time: string;
  event_type: ActivityType;
  user_id: string;
  session_id: string;
  product_id: string;
  product_name: string;
  category: string;
  price: string;
  quantity: string;
  device_type: Device;
}

export interface User {
  readonly id: string;
  readonly device: Device;
}

/** Funnel shape: most sessions only browse, some add to cart, fewer buy. */
const FUNNEL = { cartPerView: 0.18, removePerCart: 0.15, purchaseIfCart: 0.45 } as const;

export function buildUsers(faker: Faker, count: number): User[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `U${String(i + 1).padStart(6, '0')}`,
    device: faker.helpers.weightedArrayElement<Device>([
      { weight: 6, value: 'mobile' },
      { weight: 3, value: 'desktop' },
      { weight: 1, value: 'tablet' },
    ]),
  }));
}

/**
 * Endless sessions of shoppers: each views a few products (popular ones more often), may
 * put some in the cart, take one out, and check out. Times run forward from `start`.
 */
export function* sessions(
  faker: Faker,
  catalogue: readonly Product[],
  users: readonly User[],
  start: number,
  spanMs: number,
  /** Share of sessions whose rows carry no session id, left to inactivity to sessionise. */
  sessionlessRate = 0,
): Generator<ActivityEvent> {
  const weighted = catalogue.map((p) => ({ weight: p.weight, value: p }));
  let clock = start;
  const step = () => {
    clock += faker.number.int({ min: 1, max: Math.max(2, Math.floor(spanMs / 500)) });
    if (clock > start + spanMs) clock = start + spanMs;
    return new Date(clock).toISOString();
  };
  for (;;) {
    const user = faker.helpers.arrayElement(users);
    const id = `S${faker.string.alphanumeric({ length: 12, casing: 'upper' })}`;
    const session = sessionlessRate > 0 && faker.number.float() < sessionlessRate ? '' : id;
    const cart: { product: Product; quantity: number }[] = [];
    const event = (type: ActivityType, product: Product, quantity: number): ActivityEvent => ({
      event_id: faker.string.uuid(),
      event_time: step(),
      event_type: type,
      user_id: user.id,
      session_id: session,
      product_id: product.id,
      product_name: product.name,
      category: product.category,
      price: type === 'view' ? '' : product.price,
      quantity: type === 'view' ? '' : String(quantity),
      device_type: user.device,
    });
    const views = faker.number.int({ min: 1, max: 8 });
    for (let v = 0; v < views; v++) {
      const product = faker.helpers.weightedArrayElement(weighted);
      yield event('view', product, 1);
      if (faker.number.float() < FUNNEL.cartPerView) {
        const quantity = faker.helpers.weightedArrayElement([
          { weight: 8, value: 1 },
          { weight: 2, value: 2 },
          { weight: 1, value: 3 },
        ]);
        cart.push({ product, quantity });
        yield event('add_to_cart', product, quantity);
      }
    }
    if (cart.length > 0 && faker.number.float() < FUNNEL.removePerCart) {
      const [removed] = cart.splice(faker.number.int({ max: cart.length - 1 }), 1);
      if (removed) yield event('remove_from_cart', removed.product, removed.quantity);
    }
    if (cart.length > 0 && faker.number.float() < FUNNEL.purchaseIfCart) {
      for (const item of cart) yield event('purchase', item.product, item.quantity);
    }
  }
}
