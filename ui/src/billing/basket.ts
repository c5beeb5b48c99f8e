// A counter sale's basket as the front desk fills it (pure): adding an item already
// in it adds one more of it.
import type { SaleItem } from '../ipc/bindings'

export interface BasketLine {
  item: SaleItem
  /** As typed: `1`, `2.5`. */
  quantity: string
}

/** The basket with one more of `item`: a line's quantity goes up by one. */
export function addToBasket(basket: BasketLine[], item: SaleItem): BasketLine[] {
  const at = basket.findIndex((line) => line.item.id === item.id)
  if (at < 0) return [...basket, { item, quantity: '1' }]
  const quantity = Number(basket[at].quantity.replace(',', '.'))
  const next = basket[at].quantity.trim() !== '' && Number.isFinite(quantity) ? String(quantity + 1) : basket[at].quantity
  return basket.map((line, i) => (i === at ? { ...line, quantity: next } : line))
}
